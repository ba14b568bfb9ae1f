//! The anonymous response cache: a repeated public query costs no SQL, a signed-in one always
//! runs, a mutation through this server shows at once, and a write through another server shows
//! after the time to live.

use serde_json::{Value, json};
use tests::{Backend, TestApp};

use crate::fixtures::{connector_source, payload};
use crate::lifecycle::{INSTALL, UNINSTALL, create_listing, create_workspace};

const PAGE: &str = r#"
query { connectors(first: 5, sort: INSTALLS) {
  totalCount
  nodes { slug metrics { totalInstalls activeInstalls installsLast30Days }
          owners { handle authorStats { totalInstalls activeInstalls } } }
} }"#;

fn installs_of(data: &Value, slug: &str) -> Option<i64> {
    data["connectors"]["nodes"]
        .as_array()?
        .iter()
        .find(|n| n["slug"] == slug)?["metrics"]["totalInstalls"]
        .as_i64()
}

/// A server with the listing `cached` (by `author`) and the workspace `ws` (of `admin`); returns
/// the admin's token.
async fn arrange(app: &TestApp) -> anyhow::Result<String> {
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        app,
        &author,
        "cached",
        "Cached",
        &connector_source("Cached", &[("send", "Send")]),
    )
    .await?;
    create_workspace(app, &admin, "ws").await?;
    Ok(admin)
}

/// The admin installs `cached` in `ws`; returns the copy's id.
async fn install(app: &TestApp, admin: &str) -> anyhow::Result<Value> {
    let body = app
        .graphql(
            Some(admin),
            INSTALL,
            json!({ "input": { "workspace": "ws", "connector": "cached" } }),
        )
        .await?;
    let installed = payload(&body, "installConnector")?;
    assert_eq!(installed["userErrors"], json!([]), "{body}");
    Ok(installed["workspaceConnector"]["id"].clone())
}

/// The first anonymous request runs; the same request again is answered from memory.
async fn repeated_query(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let first = app.data(None, PAGE, json!({})).await?;
    assert_eq!(installs_of(&first, "cached"), Some(0), "{first}");
    let before = app.sql_statements().await?;
    let again = app.data(None, PAGE, json!({})).await?;
    assert_eq!(
        app.sql_statements().await? - before,
        0,
        "served from the cache"
    );
    assert_eq!(again, first);
    app.stop().await
}
tests::on_both_backends!(
    a_repeated_anonymous_query_costs_no_sql,
    super::repeated_query
);

/// A signed-in caller may see private data: never cached. Checking the token costs statements of
/// its own, so the page must cost more than a signed-in request that reads nothing.
async fn signed_in_query(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let admin = arrange(&app).await?;
    app.data(None, PAGE, json!({})).await?;
    let before = app.sql_statements().await?;
    app.data(Some(&admin), "{ __typename }", json!({})).await?;
    let token_check = app.sql_statements().await? - before;
    let before = app.sql_statements().await?;
    app.data(Some(&admin), PAGE, json!({})).await?;
    let page = app.sql_statements().await? - before;
    assert!(
        page > token_check,
        "a signed-in page ran no SQL of its own ({page} statements, the token check alone {token_check})"
    );
    app.stop().await
}
tests::on_both_backends!(a_signed_in_query_always_runs, super::signed_in_query);

/// A mutation through this server empties the cache: the next anonymous read is fresh.
async fn mutation_here(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let admin = arrange(&app).await?;
    let cached = app.data(None, PAGE, json!({})).await?;
    assert_eq!(installs_of(&cached, "cached"), Some(0), "{cached}");
    install(&app, &admin).await?;
    let fresh = app.data(None, PAGE, json!({})).await?;
    assert_eq!(installs_of(&fresh, "cached"), Some(1), "{fresh}");
    let owner = &fresh["connectors"]["nodes"][0]["owners"][0]["authorStats"];
    assert_eq!(owner["totalInstalls"], 1, "{fresh}");
    assert_eq!(owner["activeInstalls"], 1, "{fresh}");
    app.stop().await
}
tests::on_both_backends!(
    a_mutation_through_this_server_shows_at_once,
    super::mutation_here
);

/// A write through another server reaches this one's anonymous readers within the time to live
/// (one second by default), not before this server's cache expires.
async fn write_elsewhere(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let admin = arrange(&app).await?;
    let copy_id = install(&app, &admin).await?;
    let cached = app.data(None, PAGE, json!({})).await?;
    assert_eq!(installs_of(&cached, "cached"), Some(1), "{cached}");
    let second = app.spawn_second().await?;
    let body = second
        .graphql(
            Some(&admin),
            UNINSTALL,
            json!({ "input": { "workspaceConnectorId": copy_id } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "uninstallWorkspaceConnector")?["userErrors"],
        json!([]),
        "{body}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let data = app.data(None, PAGE, json!({})).await?;
        let active = data["connectors"]["nodes"][0]["metrics"]["activeInstalls"].as_i64();
        if active == Some(0) {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "another server's write never showed: {data}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    second.stop().await?;
    app.stop().await
}
tests::on_both_backends!(
    another_servers_write_shows_within_the_time_to_live,
    super::write_elsewhere
);
