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

async fn anonymous_cache(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        "cached",
        "Cached",
        &connector_source("Cached", &[("send", "Send")]),
    )
    .await?;
    create_workspace(&app, &admin, "ws").await?;

    // The first anonymous request runs; the same request again is answered from memory.
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

    // A signed-in caller may see private data: never cached. Checking the token costs statements
    // of its own, so the page must cost more than a signed-in request that reads nothing.
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

    // A mutation through this server empties the cache: the next anonymous read is fresh.
    let body = app
        .graphql(
            Some(&admin),
            INSTALL,
            json!({ "input": { "workspace": "ws", "connector": "cached" } }),
        )
        .await?;
    let installed = payload(&body, "installConnector")?;
    assert_eq!(installed["userErrors"], json!([]), "{body}");
    let copy_id = installed["workspaceConnector"]["id"].clone();
    let fresh = app.data(None, PAGE, json!({})).await?;
    assert_eq!(installs_of(&fresh, "cached"), Some(1), "{fresh}");
    let owner = &fresh["connectors"]["nodes"][0]["owners"][0]["authorStats"];
    assert_eq!(owner["totalInstalls"], 1, "{fresh}");
    assert_eq!(owner["activeInstalls"], 1, "{fresh}");

    // A write through another server reaches this one's anonymous readers within the time to
    // live (one second by default), not before this server's cache expires.
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
    anonymous_responses_are_cached_briefly,
    super::anonymous_cache
);
