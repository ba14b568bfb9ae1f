//! An API that echoes the credentials back (`Mock::echo`) gets none of them into any answer.

use testkit::spellings;

use super::*;

/// Basic-auth user name and password, and an API token sent in the query and the body. Their
/// characters are spelled differently by every encoding.
const ECHO_USER: &str = "ada-e2e";
const ECHO_PASSWORD: &str = "pw S3CRET/+?&=\"é";
const ECHO_TOKEN: &str = "tok_E2E_echo_9f8e7d";

/// A connector for the echo API: its connection test, actions and trigger send every secret to
/// the API and hand back, log or throw what comes back.
const ECHO_CONNECTOR: &str = r#"export default {
  title: "Echo",
  allowed_hosts: ["api.echo.test"],
  connection: {
    fields: [
      { name: "user" },
      { name: "password", control_type: "password" },
      { name: "token", secret: true },
    ],
    authorization: { type: "basic", username: (connection) => connection.user, password: (connection) => connection.password },
    base_uri: "http://api.echo.test",
  },
  test: (connection) => get("/echo", { token: connection.token, password: connection.password }),
  actions: {
    echo: {
      title: "Echo",
      execute: (connection, input) => {
        const answer = post("/echo?key=" + connection.token, { password: connection.password, token: connection.token });
        console.log(answer);
        print(`token ${connection.token}, password ${connection.password}`);
        return answer;
      },
    },
    throw_echo: {
      title: "Throw the echo",
      execute: (connection, input) => { throw get("/echo", { token: connection.token }); },
    },
    refused: {
      title: "An HTTP error that quotes the request",
      execute: (connection, input) => get("/denied", { token: connection.token, password: connection.password }),
    },
  },
  triggers: {
    echoes: {
      title: "Echoes",
      poll: (connection, input, cursor) => ({ events: [get("/echo", { token: connection.token })], cursor: connection.token }),
    },
  },
};
"#;

/// The base64 of `user:password`, as a basic `Authorization` header carries it.
fn basic_credentials() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{ECHO_USER}:{ECHO_PASSWORD}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The whole HTTP answer, as text, holds no secret in any spelling.
fn assert_no_secret(label: &str, body: &Value) {
    let text = body.to_string();
    let mut needles = vec![basic_credentials()];
    for secret in [ECHO_USER, ECHO_PASSWORD, ECHO_TOKEN] {
        needles.extend(spellings(secret));
    }
    for needle in needles {
        assert!(
            !text.contains(&needle),
            "{label}: `{needle}` leaked in {text}"
        );
    }
}

/// Every debugger run on `target` (a stored connection, or the values given) answers with the
/// echo redacted: runAction (output, logs, trace, thrown and HTTP errors), testConnection and
/// pollTrigger.
async fn no_secret_in_any_answer(app: &TestApp, dev: &str, target: &Value) -> anyhow::Result<()> {
    // runAction: the echo is the output, the logs quote it, and the trace records it.
    let body = debug(
        app,
        dev,
        "runAction",
        json!({ "target": target.clone(), "action": "echo" }),
    )
    .await?;
    assert_no_secret("runAction echo", &body);
    let run = &payload(&body, "runAction")?["run"];
    assert_eq!(run["ok"], true, "{body}");
    let output = &run["output"];
    // The API did get the credentials and sent them back: the output keeps its shape.
    assert_eq!(output["headers"]["authorization"], "Basic [REDACTED]");
    assert_eq!(output["target"], "/echo?key=[REDACTED]");
    assert_eq!(
        serde_json::from_str::<Value>(output["body"].as_str().unwrap_or_default())?,
        json!({ "password": "[REDACTED]", "token": "[REDACTED]" })
    );
    assert_eq!(run["logs"][1], "token [REDACTED], password [REDACTED]");
    assert_eq!(
        header(&run["trace"][0]["responseHeaders"], "x-echo-authorization"),
        Some("Basic [REDACTED]")
    );
    assert_eq!(run["truncated"], false, "{body}");

    // The error message: a thrown echo, and an HTTP error quoting the request.
    let body = debug(
        app,
        dev,
        "runAction",
        json!({ "target": target.clone(), "action": "throw_echo" }),
    )
    .await?;
    assert_no_secret("runAction throw", &body);
    let run = &payload(&body, "runAction")?["run"];
    assert_eq!(run["error"]["code"], "RUNTIME", "{body}");
    let message = run["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Basic [REDACTED]"), "{body}");
    let body = debug(
        app,
        dev,
        "runAction",
        json!({ "target": target.clone(), "action": "refused" }),
    )
    .await?;
    assert_no_secret("runAction refused", &body);
    assert_eq!(payload(&body, "runAction")?["run"]["error"]["code"], "HTTP");

    // testConnection and pollTrigger.
    let body = debug(
        app,
        dev,
        "testConnection",
        json!({ "target": target.clone() }),
    )
    .await?;
    assert_no_secret("testConnection", &body);
    let run = &payload(&body, "testConnection")?["run"];
    assert_eq!(
        run["output"]["headers"]["authorization"], "Basic [REDACTED]",
        "{body}"
    );
    let body = debug(
        app,
        dev,
        "pollTrigger",
        json!({ "target": target.clone(), "trigger": "echoes" }),
    )
    .await?;
    assert_no_secret("pollTrigger", &body);
    let run = &payload(&body, "pollTrigger")?["run"];
    assert_eq!(run["output"]["next_cursor"], "[REDACTED]", "{body}");
    assert_eq!(
        run["output"]["events"][0]["headers"]["authorization"], "Basic [REDACTED]",
        "{body}"
    );
    Ok(())
}

async fn echoed_secrets(backend: Backend) -> anyhow::Result<()> {
    let api = Mock::echo()?;
    let app = TestApp::spawn_with(backend, point_at(&[("api.echo.test", api.addr)])).await?;
    let author = app.user_with_token("author").await?;
    let dev = app.user_with_token("dev").await?;
    create_listing(&app, &author, "echo", "1.0.0", ECHO_CONNECTOR).await?;
    create_workspace(&app, &dev, "lab").await?;
    let copy = install(&app, &dev, "lab", "echo").await?;
    let values = json!({ "user": ECHO_USER, "password": ECHO_PASSWORD, "token": ECHO_TOKEN });
    let body = app
        .graphql(
            Some(&dev),
            CREATE_CONNECTION,
            json!({ "input": { "workspace": "lab", "name": "Echo", "connector": "echo", "values": values } }),
        )
        .await?;
    let p = payload(&body, "createConnection")?;
    assert_eq!(p["userErrors"], json!([]), "{body}");
    let stored = json!({ "workspaceConnectorId": copy, "connectionId": p["connection"]["id"] });
    let given = json!({ "workspaceConnectorId": copy, "connectionValues": values });

    for target in [stored, given] {
        no_secret_in_any_answer(&app, &dev, &target).await?;
    }
    app.stop().await
}

tests::on_both_backends!(
    secrets_an_api_echoes_back_appear_nowhere_in_the_answer,
    super::echoed_secrets
);
