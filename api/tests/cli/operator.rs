//! Migrate, seed, create a user and a token, serve and stop: the operator's commands, on SQLite
//! and PostgreSQL.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use testkit::Endpoint;

use crate::{BIN, FreshDb, run, serve, sigterm_and_wait};

async fn operator_story(postgres: bool) -> anyhow::Result<()> {
    let db = FreshDb::new(postgres).await?;
    let (out, _) = run(&["migrate"], &db)?;
    assert_eq!(out.trim(), "migrations applied");

    let (first, _) = run(&["seed", "--demo"], &db)?;
    assert!(first.contains(" 9 listings"), "{first}");
    let (second, _) = run(&["seed", "--demo"], &db)?;
    assert!(
        second
            .contains("0 authors, 0 listings, 0 versions, 0 workspaces and 0 install events added"),
        "seeding twice must add nothing: {second}"
    );

    run(
        &[
            "user",
            "create",
            "--handle",
            "ops",
            "--name",
            "Ops",
            "--email",
            "ops@example.test",
        ],
        &db,
    )?;
    let (token, notice) = run(&["token", "create", "--user", "ops", "--name", "ci"], &db)?;
    let token = token.trim().to_owned();
    assert!(token.starts_with("pb_") && token.len() == 43, "{token}");
    assert!(notice.contains("shown only once"), "{notice}");

    let (child, addr) = serve(&db, &[])?;
    let viewer = Endpoint::new(format!("http://{addr}"))
        .graphql(
            Some(&token),
            "{ viewer { user { handle } } connectors { totalCount } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        viewer["data"]["viewer"]["user"]["handle"], "ops",
        "{viewer}"
    );
    assert_eq!(viewer["data"]["connectors"]["totalCount"], 9, "{viewer}");
    sigterm_and_wait(child)?;

    // A revoked token no longer works.
    let (out, _) = run(&["token", "revoke", "--id", "1"], &db)?;
    assert!(out.contains("revoked"));
    let (child, addr) = serve(&db, &[])?;
    let (status, _) = Endpoint::new(format!("http://{addr}"))
        .graphql_raw(Some(&token), "{ __typename }", json!({}))
        .await?;
    assert_eq!(status, 401);
    sigterm_and_wait(child)?;
    db.drop_db().await
}

#[tokio::test]
async fn operator_story_sqlite() -> anyhow::Result<()> {
    operator_story(false).await
}

#[tokio::test]
async fn operator_story_postgres() -> anyhow::Result<()> {
    operator_story(true).await
}

/// `serve --demo` loads the demo catalog into an empty database, and the config file is read.
#[tokio::test]
async fn serve_demo_fills_an_empty_database() -> anyhow::Result<()> {
    let db = FreshDb::new(false).await?;
    let config = db.dir.join("patchbay.toml");
    std::fs::write(&config, "graphiql = false\n[limits]\nmax_page_size = 7\n")?;
    let (child, addr) = serve(
        &db,
        &["--demo", "--config", config.to_str().unwrap_or_default()],
    )?;
    let server = Endpoint::new(format!("http://{addr}"));
    let body = server
        .graphql(None, "{ connectors(first: 8) { totalCount } }", json!({}))
        .await?;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    let body = server
        .graphql(None, "{ connectors(first: 7) { totalCount } }", json!({}))
        .await?;
    assert_eq!(body["data"]["connectors"]["totalCount"], 9, "{body}");
    let graphiql = server
        .client
        .get(format!("{}/graphiql", server.base_url))
        .send()
        .await?
        .status();
    assert_eq!(graphiql, 404);
    sigterm_and_wait(child)?;
    db.drop_db().await
}

#[test]
fn help_lists_the_commands() -> anyhow::Result<()> {
    let out = Command::new(BIN).arg("--help").output()?;
    let text = String::from_utf8(out.stdout)?;
    for command in ["serve", "migrate", "seed", "user", "token", "schema"] {
        assert!(
            text.contains(command),
            "{command} missing from --help:\n{text}"
        );
    }
    Ok(())
}

/// Pointed at a PostgreSQL that is not there, `serve` ends at once and says why (it used to wait
/// 34 s for the pool and say only "pool timed out").
#[test]
fn serve_reports_an_unreachable_postgres_with_its_cause() -> anyhow::Result<()> {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:{port}/nothing"),
        )
        .env("PATCHBAY_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    // A guard against a hang, not a measurement.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            anyhow::bail!("serve still running 20 s after an unreachable database");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        std::io::Read::read_to_string(&mut pipe, &mut stderr)?;
    }
    assert!(!status.success());
    assert!(
        stderr.to_lowercase().contains("connection refused"),
        "the cause is named: {stderr}"
    );
    assert!(!stderr.contains("pool timed out"), "{stderr}");
    Ok(())
}
