//! The page and its assets over plain HTTP, without a browser: content types, the security
//! headers, the client-side routes, and the routes that were there before.

use tests::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_and_asset_has_its_content_type_and_a_strict_security_policy()
-> anyhow::Result<()> {
    let app = TestApp::spawn(Backend::Sqlite).await?;
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/connectors", "text/html; charset=utf-8"),
        ("/connectors/acme-issues", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
    ] {
        let resp = app
            .client
            .get(format!("{}{path}", app.base_url))
            .send()
            .await?;
        assert_eq!(resp.status(), 200, "{path}");
        let headers = resp.headers();
        assert_eq!(headers["content-type"], content_type, "{path}");
        let csp = headers["content-security-policy"].to_str()?;
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_loads_its_script_from_a_file_and_has_no_inline_script() -> anyhow::Result<()> {
    let app = TestApp::spawn(Backend::Sqlite).await?;
    let html = app.client.get(&app.base_url).send().await?.text().await?;
    assert!(html.contains(r#"<script src="/app.js" defer></script>"#));
    assert!(
        !html.contains("<script>"),
        "no inline scripts in index.html"
    );
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_still_served_beside_the_page() -> anyhow::Result<()> {
    let app = TestApp::spawn(Backend::Sqlite).await?;
    let graphiql = app
        .client
        .get(format!("{}/graphiql", app.base_url))
        .send()
        .await?;
    assert_eq!(graphiql.status(), 200);
    app.stop().await
}
