//! `/readyz` tells the truth: ready only while the database takes writes.

use api::config::Config;
use api::server;
use tests::{Backend, TestApp};

async fn readyz(base_url: &str) -> anyhow::Result<(u16, String)> {
    let resp = reqwest::get(format!("{base_url}/readyz")).await?;
    Ok((resp.status().as_u16(), resp.text().await?))
}

/// A second server over the same, already migrated database, read-only to it: SQLite's
/// `mode=ro` (what SQLite falls back to, silently, when the file is read-only to the server's
/// user), PostgreSQL with read-only transactions (a standby, or a locked-down database).
async fn read_only_is_not_ready(backend: Backend) -> anyhow::Result<()> {
    use sea_orm::ConnectionTrait as _;
    let app = TestApp::spawn(backend).await?;
    assert_eq!(readyz(&app.base_url).await?.0, 200);
    let url = match backend {
        Backend::Sqlite => app.db.url.replace("mode=rwc", "mode=ro"),
        Backend::Postgres => app.db.url.clone(),
    };
    let config = Config {
        bind: "127.0.0.1:0".parse()?,
        database_url: Some(url),
        // One connection: once a read has gone through after the reconnect below, the probe
        // uses that same live, read-only session (not a dead one).
        database_pool_size: Some(1),
        ..Config::default()
    };
    let state = server::prepare(config).await?;
    let second = server::start(state).await?;
    let base = format!("http://{}", second.addr);
    if backend == Backend::Postgres {
        // Sessions of this database are read-only from now on (what a standby or a locked-down
        // database gives); the open ones are ended, so the server reconnects into that.
        let name = app.db.url.rsplit('/').next().unwrap_or_default().to_owned();
        let db = app.conn()?;
        db.execute_unprepared(&format!(
            "ALTER DATABASE {name} SET default_transaction_read_only = on"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await?;
    }
    // It still answers reads (once it has reconnected), which is why a ping said "ready".
    let query = serde_json::json!({ "query": "{ connectors { totalCount } }" });
    let mut answered = serde_json::Value::Null;
    for _ in 0..5 {
        answered = reqwest::Client::new()
            .post(format!("{base}/graphql"))
            .header("cache-control", "no-cache")
            .json(&query)
            .send()
            .await?
            .json()
            .await?;
        if answered["data"]["connectors"]["totalCount"] == 0 {
            break;
        }
    }
    assert_eq!(
        answered["data"]["connectors"]["totalCount"], 0,
        "{answered}"
    );
    for _ in 0..2 {
        let (status, text) = readyz(&base).await?;
        assert_eq!(status, 503, "{text}");
    }
    second.stop().await?;
    app.stop().await
}
tests::on_both_backends!(
    a_read_only_database_is_not_ready,
    super::read_only_is_not_ready
);
