//! The HTTP client a connector cannot escape: undeclared hosts, private addresses in every
//! notation, redirects elsewhere, oversized responses and too many requests are all refused,
//! and a refused request makes no connection at all.

use serde_json::{Value, json};

use super::support::{Mock, Reply, Tripwire, config_for};
use sdk::{Invocation, RunReport, RuntimeConfig, run};

/// A connector declaring `hosts`, whose `fetch` action GETs `input.url` `input.times` times
/// (once by default), with a secret token sent as a bearer token.
fn connector(hosts: &[String]) -> String {
    let hosts: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    format!(
        r#"#{{
  title: "Egress",
  allowed_hosts: [{}],
  connection: #{{
    fields: [#{{ name: "token", control_type: "password" }}],
    authorization: #{{ type: "bearer", token: |connection| connection.token }},
    base_uri: "https://api.test",
  }},
  actions: #{{
    fetch: #{{
      title: "Fetch",
      input_fields: [#{{ name: "url" }}, #{{ name: "times", type: "integer", optional: true }}],
      execute: |connection, input| {{
        let result = ();
        for i in 0..(input.times ?? 1) {{ result = get(input.url, #{{ key: connection.token }}); }}
        result
      }},
    }},
  }},
}}"#,
        hosts.join(", ")
    )
}

const TOKEN: &str = "tok-SECRET-42";

fn fetch(source: &str, url: &str, times: i64, config: &RuntimeConfig) -> RunReport {
    run(
        source,
        &json!({ "token": TOKEN }),
        Invocation::Action {
            name: "fetch".into(),
            input: json!({ "url": url, "times": times }),
        },
        config,
    )
}

fn code(report: &RunReport) -> &'static str {
    match &report.outcome {
        Ok(value) => panic!("expected an error, got {value}"),
        Err(error) => error.code(),
    }
}

#[test]
fn private_addresses_are_refused_in_every_notation_without_connecting() {
    let trip = Tripwire::start();
    let port = trip.port;
    let literals = [
        "127.0.0.1",
        "127.1",
        "0x7f.1",
        "2130706433",
        "017700000001",
        "0177.0.0.01",
        "localhost",
    ];
    // Declared, so only the address check stands in the way.
    let mut hosts: Vec<String> = literals.iter().map(|h| format!("{h}:{port}")).collect();
    hosts.extend([
        "169.254.169.254".to_string(),
        "10.0.0.1".to_string(),
        "192.168.1.1".to_string(),
    ]);
    let source = connector(&hosts);
    let config = RuntimeConfig::default();
    let mut urls: Vec<String> = literals
        .iter()
        .map(|h| format!("http://{h}:{port}/x"))
        .collect();
    urls.extend([
        format!("http://[::ffff:127.0.0.1]:{port}/x"),
        format!("http://[::1]:{port}/x"),
        format!("http://[::ffff:7f00:1]:{port}/x"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
        "http://192.168.1.1/".to_string(),
    ]);
    for url in &urls {
        let report = fetch(&source, url, 1, &config);
        assert_eq!(code(&report), "EGRESS_DENIED", "{url}");
        assert_eq!(report.trace.len(), 1, "{url}");
        assert_eq!(report.trace[0].status, None);
        assert!(report.trace[0].error.is_some());
        assert!(
            !report.trace[0].url.contains(TOKEN),
            "{}",
            report.trace[0].url
        );
    }
    assert_eq!(trip.hits(), 0, "a refused request connected");
}

#[test]
fn undeclared_hosts_are_refused() {
    let source = connector(&["api.test".to_string()]);
    for url in [
        "https://evil.example/",
        "https://api.test.evil.example/",
        "https://api.test:8443/",
        "ftp://api.test/",
        "http://user@api.test/",
    ] {
        let report = fetch(&source, url, 1, &RuntimeConfig::default());
        let error = report.outcome.expect_err(url);
        assert!(
            matches!(error.code(), "EGRESS_DENIED" | "RUNTIME"),
            "{url}: {error}"
        );
        assert!(error.position().is_some(), "{error}");
    }
    let report = fetch(
        &source,
        "https://evil.example/",
        1,
        &RuntimeConfig::default(),
    );
    assert_eq!(code(&report), "EGRESS_DENIED");
    assert!(
        report
            .outcome
            .expect_err("denied")
            .to_string()
            .contains("allowed_hosts")
    );
}

#[test]
fn private_addresses_are_reachable_only_when_allowed() {
    let mock = Mock::start();
    mock.route("GET", "/x", Reply::Json(200, json!({ "ok": true })));
    let host = format!("127.0.0.1:{}", mock.addr.port());
    let source = connector(std::slice::from_ref(&host));
    let url = format!("http://{host}/x");
    assert_eq!(
        code(&fetch(&source, &url, 1, &RuntimeConfig::default())),
        "EGRESS_DENIED"
    );
    assert!(mock.requests().is_empty());
    let config = RuntimeConfig {
        allow_private_networks: true,
        ..RuntimeConfig::default()
    };
    let report = fetch(&source, &url, 1, &config);
    assert_eq!(report.outcome.expect("reached"), json!({ "ok": true }));
    // The secret travels in the query and the Authorization header, and is shown in neither.
    let entry = &report.trace[0];
    assert_eq!(entry.url, format!("http://{host}/x?key=[REDACTED]"));
    assert!(
        entry
            .request_headers
            .contains(&("Authorization".into(), "[REDACTED]".into()))
    );
    let received = mock.requests();
    assert_eq!(received[0].query(), format!("key={TOKEN}"));
    assert_eq!(
        received[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

/// A mock standing in for `api.test`, and a configuration that reaches it.
fn api_mock() -> (Mock, String, RuntimeConfig) {
    let mock = Mock::start();
    let source = connector(&["api.test".to_string()]);
    let config = config_for(&["api.test".to_string()], &mock);
    (mock, source, config)
}

#[test]
fn redirects_stay_on_the_same_host() {
    let (mock, source, config) = api_mock();
    let trip = Tripwire::start();
    mock.route("GET", "/same", Reply::Redirect(302, "/final".into()));
    mock.route("GET", "/final", Reply::Json(200, json!({ "done": true })));
    let report = fetch(&source, "/same", 1, &config);
    assert_eq!(report.outcome.expect("followed"), json!({ "done": true }));
    let statuses: Vec<Option<u16>> = report.trace.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(302), Some(200)]);
    assert_eq!(report.trace[1].url, "https://api.test/final");

    for target in [
        format!("http://127.0.0.1:{}/", trip.port),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "https://evil.example/".to_string(),
    ] {
        mock.route("GET", "/away", Reply::Redirect(302, target.clone()));
        let report = fetch(&source, "/away", 1, &config);
        assert_eq!(code(&report), "EGRESS_DENIED", "{target}");
    }
    assert_eq!(trip.hits(), 0, "a redirect elsewhere connected");

    mock.route("GET", "/loop", Reply::Redirect(307, "/loop".into()));
    let report = fetch(&source, "/loop", 1, &config);
    assert_eq!(code(&report), "NETWORK");
    assert_eq!(report.trace.len(), 6);
}

#[test]
fn oversized_responses_are_cut_at_the_cap() {
    let (mock, source, config) = api_mock();
    mock.route("GET", "/endless", Reply::Endless);
    mock.route("GET", "/gigabyte", Reply::Huge(1 << 30));
    mock.route("GET", "/chunked", Reply::Chunked(64));
    for path in ["/endless", "/gigabyte", "/chunked"] {
        let report = fetch(&source, path, 1, &config);
        assert_eq!(code(&report), "RESPONSE_TOO_LARGE", "{path}");
        // The script cannot catch it and carry on.
        assert_eq!(report.trace.len(), 1);
    }
    let small = RuntimeConfig {
        max_response_bytes: 1024,
        ..config
    };
    mock.route(
        "GET",
        "/big",
        Reply::Json(200, json!({ "data": "x".repeat(2000) })),
    );
    assert_eq!(
        code(&fetch(&source, "/big", 1, &small)),
        "RESPONSE_TOO_LARGE"
    );
}

#[test]
fn requests_per_run_are_capped() {
    let (mock, source, config) = api_mock();
    mock.route("GET", "/ping", Reply::Json(200, json!({ "pong": true })));
    let report = fetch(&source, "/ping", 25, &config);
    assert_eq!(code(&report), "REQUEST_LIMIT");
    assert_eq!(mock.requests().len(), config.max_requests);
    let report = fetch(&source, "/ping", 20, &config);
    assert!(report.outcome.is_ok());
}

#[test]
fn http_errors_carry_their_status_and_hide_secrets() {
    let (mock, source, config) = api_mock();
    mock.route(
        "GET",
        "/fail",
        Reply::Json(500, json!({ "error": format!("bad key {TOKEN}") })),
    );
    let report = fetch(&source, "/fail", 1, &config);
    let error = report.outcome.expect_err("500");
    assert_eq!(error.code(), "HTTP");
    assert_eq!(error.status(), Some(500));
    assert!(error.position().is_some());
    let shown = format!("{error} {:?}", report.trace);
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("bad key [REDACTED]"), "{shown}");
}

#[test]
fn connection_failures_are_network_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let host = format!("127.0.0.1:{port}");
    let source = connector(std::slice::from_ref(&host));
    let config = RuntimeConfig {
        allow_private_networks: true,
        ..RuntimeConfig::default()
    };
    let report = fetch(&source, &format!("http://{host}/"), 1, &config);
    assert_eq!(code(&report), "NETWORK");
    let _: Value = serde_json::to_value(&report.trace).expect("trace serializes");
}

/// HTTPS against a real host; needs network access, so it only runs when asked for
/// (`cargo test -p sdk --test run -- --ignored`).
#[test]
#[ignore = "needs network access"]
fn https_reaches_a_real_host() {
    let source = connector(&["api.github.com".to_string()]);
    let report = fetch(
        &source,
        "https://api.github.com/zen",
        1,
        &RuntimeConfig::default(),
    );
    assert!(
        report.outcome.is_ok(),
        "{:?} {:?}",
        report.outcome,
        report.trace
    );
    assert_eq!(report.trace[0].status, Some(200));
}
