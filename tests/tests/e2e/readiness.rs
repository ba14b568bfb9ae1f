//! `/readyz` tells the truth: ready only while the database takes writes.

use api::config::Config;
use api::server;
use tests::{Backend, TestApp};

async fn readyz(base_url: &str) -> anyhow::Result<(u16, String)> {
    let resp = reqwest::get(format!("{base_url}/readyz")).await?;
    Ok((resp.status().as_u16(), resp.text().await?))
}

/// A second server over the same, already migrated database, opened read-only: SQLite's
/// `mode=ro` (what SQLite falls back to, silently, when the file is read-only to the server's
/// user), PostgreSQL with read-only transactions (a standby, or a locked-down role).
async fn read_only_is_not_ready(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    assert_eq!(readyz(&app.base_url).await?.0, 200);
    let read_only_url = match backend {
        Backend::Sqlite => format!("{}&mode=ro", app.db.url.replace("mode=rwc", "x=1")),
        Backend::Postgres => format!(
            "{}?options=-c%20default_transaction_read_only%3Don",
            app.db.url
        ),
    };
    let config = Config {
        bind: "127.0.0.1:0".parse()?,
        database_url: Some(read_only_url),
        ..Config::default()
    };
    let state = server::prepare(config).await?;
    let read_only = server::start(state).await?;
    let base = format!("http://{}", read_only.addr);
    let (status, text) = readyz(&base).await?;
    assert_eq!(status, 503, "{text}");
    // It still answers reads, which is why a ping said "ready".
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({ "query": "{ connectors { totalCount } }" }))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(body["data"]["connectors"]["totalCount"], 0, "{body}");
    read_only.stop().await?;
    app.stop().await
}
tests::on_both_backends!(a_read_only_database_is_not_ready, super::read_only_is_not_ready);
