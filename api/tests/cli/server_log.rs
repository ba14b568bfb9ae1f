//! The server log: what `patchbay serve` writes at debug level keeps secrets out.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use testkit::{Endpoint, Mock};

use crate::{BIN, FreshDb, run, sigterm_and_wait};

/// `patchbay serve` with debug logging; returns the child, its address and everything it logs.
fn serve_logging(
    db: &FreshDb,
    config: &std::path::Path,
) -> anyhow::Result<(Child, String, std::sync::Arc<std::sync::Mutex<String>>)> {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("DATABASE_URL", &db.url)
        .env("PATCHBAY_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (sender, receiver) = std::sync::mpsc::channel();
    let written = std::sync::Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                && event["message"] == "patchbay is listening"
            {
                let _ = sender.send(event["addr"].as_str().unwrap_or_default().to_owned());
            }
            let mut log = written.lock().unwrap_or_else(|p| p.into_inner());
            log.push_str(&line);
            log.push('\n');
        }
    });
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(addr) => Ok((child, addr, log)),
        Err(_) => {
            let _ = child.kill();
            anyhow::bail!("the server did not report its address")
        }
    }
}

/// A connector whose action GETs the echo API with the token in the query, logs the answer and
/// throws it.
const ECHO_SOURCE: &str = r#"export default {
  title: "Echo",
  allowed_hosts: ["api.echo.test"],
  connection: {
    fields: [{ name: "token", control_type: "password" }],
    authorization: { type: "bearer", token: (connection) => connection.token },
  },
  actions: {
    echo: { title: "Echo", execute: (connection, input) => { const r = get("http://api.echo.test/e", { t: connection.token }); console.log(r); throw r; } },
  },
};
"#;

/// A user `dev` with a token and a workspace `lab` they administer; returns the token.
fn developer_with_a_workspace(db: &FreshDb) -> anyhow::Result<String> {
    run(
        &[
            "user",
            "create",
            "--handle",
            "dev",
            "--name",
            "Dev",
            "--email",
            "dev@example.test",
        ],
        db,
    )?;
    let (token, _) = run(&["token", "create", "--user", "dev"], db)?;
    let token = token.trim().to_owned();
    run(
        &[
            "workspace",
            "create",
            "--slug",
            "lab",
            "--name",
            "Lab",
            "--admin",
            "dev",
        ],
        db,
    )?;
    Ok(token)
}

/// A debugger run whose connection values the API echoes back writes none of them to the
/// server's log, even at debug level.
async fn debugger_secrets_stay_out_of_the_log(postgres: bool) -> anyhow::Result<()> {
    const TOKEN: &str = "tok_LOG_secret_31415";
    let db = FreshDb::new(postgres).await?;
    let token = developer_with_a_workspace(&db)?;
    // An API that answers every request with the request itself.
    let echo = Mock::echo()?;
    let config = db.dir.join("patchbay.toml");
    std::fs::write(
        &config,
        format!(
            "[sandbox]\nallow_private_networks = true\nhost_overrides = {{ \"api.echo.test\" = \"{}\" }}\n",
            echo.addr
        ),
    )?;
    let (child, addr, log) = serve_logging(&db, &config)?;
    let api = Endpoint::new(format!("http://{addr}"));
    let gql = |query: &'static str, variables: serde_json::Value| {
        let (api, token) = (&api, &token);
        async move { api.graphql(Some(token), query, variables).await }
    };
    let created = gql(
        "mutation($input: CreateConnectorInput!) { createConnector(input: $input) { userErrors { message } } }",
        serde_json::json!({ "input": { "slug": "echo", "name": "Echo", "summary": "Echoes.",
            "category": "developer-tools", "version": "1.0.0", "source": ECHO_SOURCE } }),
    )
    .await?;
    assert_eq!(
        created["data"]["createConnector"]["userErrors"],
        serde_json::json!([]),
        "{created}"
    );
    let installed = gql(
        "mutation { installConnector(input: {workspace: \"lab\", connector: \"echo\"}) { workspaceConnector { id } } }",
        serde_json::json!({}),
    )
    .await?;
    let copy = installed["data"]["installConnector"]["workspaceConnector"]["id"].clone();
    let answer = gql(
        "mutation($input: RunActionInput!) { runAction(input: $input) { run { ok logs error { code message } trace { url } } } }",
        serde_json::json!({ "input": { "target": { "workspaceConnectorId": copy,
            "connectionValues": { "token": TOKEN } }, "action": "echo" } }),
    )
    .await?;
    let run = &answer["data"]["runAction"]["run"];
    assert_eq!(run["error"]["code"], "RUNTIME", "{answer}");
    assert!(
        run["trace"][0]["url"]
            .as_str()
            .unwrap_or_default()
            .contains("t=[REDACTED]"),
        "{answer}"
    );
    assert!(!answer.to_string().contains(TOKEN), "{answer}");
    sigterm_and_wait(child)?;
    let log = log.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(
        log.contains("\"request\""),
        "the log holds the requests: {log}"
    );
    assert!(
        !log.contains(TOKEN),
        "the token is in the server log:\n{log}"
    );
    db.drop_db().await
}

#[tokio::test]
async fn debugger_secrets_stay_out_of_the_log_sqlite() -> anyhow::Result<()> {
    debugger_secrets_stay_out_of_the_log(false).await
}

#[tokio::test]
async fn debugger_secrets_stay_out_of_the_log_postgres() -> anyhow::Result<()> {
    debugger_secrets_stay_out_of_the_log(true).await
}
