//! The HTTP client a connector cannot escape: undeclared hosts, private addresses in every
//! notation, redirects elsewhere, oversized responses and too many requests are all refused, a
//! refused request makes no connection at all, and a refusal ends the run even when the script
//! catches it.

use std::time::Duration;

use serde_json::json;

use crate::support::config_for;
use sdk::{Invocation, RunReport, RuntimeConfig, run};
use testkit::{Mock, Reply, Tripwire};

const TOKEN: &str = "tok-SECRET-42";

/// A connector declaring `hosts`: `fetch` GETs `input.url` `input.times` times with the token as a
/// query parameter and a bearer token; `fetch_caught` does the same but catches every error.
fn connector(hosts: &[String]) -> String {
    let hosts: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    format!(
        r#"export default {{
  title: "Egress",
  allowed_hosts: [{}],
  connection: {{
    fields: [{{ name: "token", control_type: "password" }}],
    authorization: {{ type: "bearer", token: (connection) => connection.token }},
    base_uri: "https://api.test",
  }},
  actions: {{
    fetch: {{
      title: "Fetch",
      input_fields: [{{ name: "url" }}, {{ name: "times", type: "integer", optional: true }}],
      execute(connection, input) {{
        let result = null;
        for (let i = 0; i < (input.times ?? 1); i++) result = get(input.url, {{ key: connection.token }});
        return result;
      }},
    }},
    fetch_caught: {{
      title: "Fetch, catching",
      input_fields: [{{ name: "url" }}, {{ name: "times", type: "integer", optional: true }}],
      execute(connection, input) {{
        const caught = [];
        for (let i = 0; i < (input.times ?? 1); i++) {{
          try {{ get(input.url, {{ key: connection.token }}); }} catch (e) {{ caught.push(String(e.code)); }}
        }}
        return {{ caught }};
      }},
    }},
  }},
}};"#,
        hosts.join(", ")
    )
}

fn fetch_as(
    action: &str,
    source: &str,
    url: &str,
    times: i64,
    config: &RuntimeConfig,
) -> RunReport {
    run(
        source,
        &json!({ "token": TOKEN }),
        Invocation::Action {
            name: action.into(),
            input: json!({ "url": url, "times": times }),
        },
        config,
    )
}

fn fetch(source: &str, url: &str, times: i64, config: &RuntimeConfig) -> RunReport {
    fetch_as("fetch", source, url, times, config)
}

fn code(report: &RunReport) -> &'static str {
    match &report.outcome {
        Ok(value) => panic!("expected an error, got {value}"),
        Err(error) => error.code(),
    }
}

/// Runs `url`, checks the run ends with `expected` at a position in the connector, and returns
/// the report.
fn refused_with(
    hosts: &[String],
    url: &str,
    times: i64,
    config: &RuntimeConfig,
    expected: &str,
) -> RunReport {
    let report = fetch(&connector(hosts), url, times, config);
    assert_eq!(code(&report), expected, "{url}: {:?}", report.outcome);
    let error = report.outcome.as_ref().expect_err("an error");
    assert!(error.position().is_some(), "{url}: {error}");
    report
}

#[test]
fn private_addresses_are_refused_in_every_notation_without_connecting() {
    let trip = Tripwire::start().expect("tripwire");
    let port = trip.addr.port();
    let literals = [
        "127.0.0.1",
        "127.1",
        "0x7f.1",
        "2130706433",
        "017700000001",
        "0177.0.0.01",
        "localhost",
    ];
    let mut hosts: Vec<String> = literals.iter().map(|h| format!("{h}:{port}")).collect();
    hosts.extend([
        "169.254.169.254".to_string(),
        "10.0.0.1".to_string(),
        "192.168.1.1".to_string(),
    ]);
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
    let config = RuntimeConfig::default();
    for url in &urls {
        let report = refused_with(&hosts, url, 1, &config, "EGRESS_DENIED");
        assert_eq!(report.trace.len(), 1, "{url}");
        assert_eq!(report.trace[0].status, None);
        assert!(report.trace[0].error.is_some());
        assert!(
            !report.trace[0].url.contains(TOKEN),
            "{}",
            report.trace[0].url
        );
        // Catching the refusal does not let the script carry on.
        let caught = fetch_as("fetch_caught", &connector(&hosts), url, 3, &config);
        assert_eq!(code(&caught), "EGRESS_DENIED", "{url}");
        assert_eq!(caught.trace.len(), 1, "{url}");
    }
    assert_eq!(trip.hits(), 0, "a refused request connected");
}

#[test]
fn undeclared_hosts_are_refused() {
    let hosts = ["api.test".to_string()];
    // Another scheme and a user name are a bad URL (RUNTIME), not a refusal.
    for (url, expected) in [
        ("https://evil.example/", "EGRESS_DENIED"),
        ("https://api.test.evil.example/", "EGRESS_DENIED"),
        ("https://api.test:8443/", "EGRESS_DENIED"),
        ("ftp://api.test/", "RUNTIME"),
        ("http://user@api.test/", "RUNTIME"),
    ] {
        refused_with(&hosts, url, 1, &RuntimeConfig::default(), expected);
    }
    let report = fetch(
        &connector(&hosts),
        "https://evil.example/",
        1,
        &RuntimeConfig::default(),
    );
    let error = report.outcome.expect_err("denied");
    assert!(error.to_string().contains("allowed_hosts"), "{error}");
    // The position is the `get` call's line in the connector.
    assert_eq!(error.position().map(|p| p.line), Some(15), "{error}");
}

#[test]
fn private_addresses_are_reachable_only_when_allowed() {
    let mock = Mock::start().expect("mock");
    mock.route("GET", "/x", Reply::Json(200, json!({ "ok": true })));
    let host = format!("127.0.0.1:{}", mock.addr.port());
    let hosts = [host.clone()];
    let url = format!("http://{host}/x");
    refused_with(&hosts, &url, 1, &RuntimeConfig::default(), "EGRESS_DENIED");
    assert!(mock.requests().is_empty());
    let config = RuntimeConfig {
        allow_private_networks: true,
        ..RuntimeConfig::default()
    };
    let report = fetch(&connector(&hosts), &url, 1, &config);
    assert_eq!(report.outcome.expect("reached"), json!({ "ok": true }));
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

fn api_mock() -> (Mock, Vec<String>, RuntimeConfig) {
    let mock = Mock::start().expect("mock");
    let hosts = vec!["api.test".to_string()];
    let config = config_for(&hosts, &mock);
    (mock, hosts, config)
}

#[test]
fn redirects_stay_on_the_same_host() {
    let (mock, hosts, config) = api_mock();
    let trip = Tripwire::start().expect("tripwire");
    mock.route("GET", "/same", Reply::Redirect(302, "/final".into()));
    mock.route("GET", "/final", Reply::Json(200, json!({ "done": true })));
    let report = fetch(&connector(&hosts), "/same", 1, &config);
    assert_eq!(report.outcome.expect("followed"), json!({ "done": true }));
    let statuses: Vec<Option<u16>> = report.trace.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(302), Some(200)]);
    assert_eq!(report.trace[1].url, "https://api.test/final");

    for target in [
        format!("http://127.0.0.1:{}/", trip.addr.port()),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "https://evil.example/".to_string(),
    ] {
        mock.route("GET", "/away", Reply::Redirect(302, target.clone()));
        let report = refused_with(&hosts, "/away", 1, &config, "EGRESS_DENIED");
        // The redirect that was answered, then the hop refused, as an entry of its own.
        assert_eq!(report.trace.len(), 2, "{target}");
        let refused = &report.trace[1];
        assert_eq!(refused.status, None, "{target}");
        assert!(
            refused.url.starts_with(target.trim_end_matches('/')),
            "{refused:?}"
        );
        assert!(
            refused
                .error
                .as_deref()
                .is_some_and(|e| e.contains("another host")),
            "{refused:?}"
        );
        let caught = fetch_as("fetch_caught", &connector(&hosts), "/away", 2, &config);
        assert_eq!(code(&caught), "EGRESS_DENIED", "{target}");
    }
    assert_eq!(trip.hits(), 0, "a redirect elsewhere connected");

    // Too many redirects is a NETWORK error, which a script may catch.
    mock.route("GET", "/loop", Reply::Redirect(307, "/loop".into()));
    let report = refused_with(&hosts, "/loop", 1, &config, "NETWORK");
    // Six requests sent, then the seventh hop, not followed, as its own entry.
    assert_eq!(report.trace.len(), 7);
    let last = &report.trace[6];
    assert_eq!(
        (last.status, last.url.as_str()),
        (None, "https://api.test/loop")
    );
    assert!(last.request_headers.is_empty(), "{last:?}");
    assert!(
        last.error
            .as_deref()
            .is_some_and(|e| e.contains("more than 5 redirects")),
        "{last:?}"
    );
    let caught = fetch_as("fetch_caught", &connector(&hosts), "/loop", 1, &config);
    assert_eq!(
        caught.outcome.expect("caught"),
        json!({ "caught": ["NETWORK"] })
    );
}

#[test]
fn oversized_responses_are_cut_at_the_cap() {
    let (mock, hosts, config) = api_mock();
    mock.route("GET", "/endless", Reply::Endless);
    mock.route("GET", "/gigabyte", Reply::Huge(1 << 30));
    mock.route("GET", "/chunked", Reply::Chunked(64));
    for path in ["/endless", "/gigabyte", "/chunked"] {
        let report = refused_with(&hosts, path, 1, &config, "RESPONSE_TOO_LARGE");
        assert_eq!(report.trace.len(), 1);
        let caught = fetch_as("fetch_caught", &connector(&hosts), path, 3, &config);
        assert_eq!(code(&caught), "RESPONSE_TOO_LARGE", "{path}");
        assert_eq!(caught.trace.len(), 1, "{path}: the script carried on");
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
    refused_with(&hosts, "/big", 1, &small, "RESPONSE_TOO_LARGE");
}

#[test]
fn requests_per_run_are_capped() {
    let (mock, hosts, config) = api_mock();
    mock.route("GET", "/ping", Reply::Json(200, json!({ "pong": true })));
    let report = fetch(&connector(&hosts), "/ping", 25, &config);
    assert_eq!(code(&report), "REQUEST_LIMIT");
    assert!(report.outcome.expect_err("limit").position().is_some());
    assert_eq!(mock.requests().len(), config.max_requests);
    mock.clear();
    let caught = fetch_as("fetch_caught", &connector(&hosts), "/ping", 25, &config);
    assert_eq!(code(&caught), "REQUEST_LIMIT");
    assert_eq!(mock.requests().len(), config.max_requests);
    let report = fetch(&connector(&hosts), "/ping", 20, &config);
    assert!(report.outcome.is_ok(), "{:?}", report.outcome);
}

#[test]
fn connection_failures_are_network_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let hosts = [format!("127.0.0.1:{port}")];
    let config = RuntimeConfig {
        allow_private_networks: true,
        ..RuntimeConfig::default()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let report = refused_with(&hosts, &url, 1, &config, "NETWORK");
    let _: serde_json::Value = serde_json::to_value(&report.trace).expect("trace serializes");
}

#[test]
fn a_slow_server_hits_the_request_timeout_then_the_deadline() {
    let (mock, hosts, config) = api_mock();
    mock.route("GET", "/slow", Reply::Stall(Duration::from_secs(3)));
    // The request timeout is a NETWORK error the script may catch and go on from.
    let short_request = RuntimeConfig {
        request_timeout: Duration::from_millis(200),
        ..config.clone()
    };
    let report = refused_with(&hosts, "/slow", 1, &short_request, "NETWORK");
    assert!(
        report
            .outcome
            .expect_err("timed out")
            .to_string()
            .contains("timed out"),
        "{:?}",
        report.trace
    );
    let caught = fetch_as(
        "fetch_caught",
        &connector(&hosts),
        "/slow",
        2,
        &short_request,
    );
    assert_eq!(
        caught.outcome.expect("caught"),
        json!({ "caught": ["NETWORK", "NETWORK"] })
    );
    // The run's deadline is not: TIMEOUT, caught or not.
    let short_run = RuntimeConfig {
        limits: sdk::Limits {
            deadline: Duration::from_millis(300),
            ..config.limits.clone()
        },
        ..config
    };
    refused_with(&hosts, "/slow", 1, &short_run, "TIMEOUT");
    let caught = fetch_as("fetch_caught", &connector(&hosts), "/slow", 2, &short_run);
    assert_eq!(code(&caught), "TIMEOUT");
    assert_eq!(caught.trace.len(), 1);
}

#[test]
fn http_errors_carry_their_status_and_hide_secrets() {
    let (mock, hosts, config) = api_mock();
    mock.route(
        "GET",
        "/fail",
        Reply::Json(500, json!({ "error": format!("bad key {TOKEN}") })),
    );
    let report = refused_with(&hosts, "/fail", 1, &config, "HTTP");
    let error = report.outcome.as_ref().expect_err("500");
    assert_eq!(error.status(), Some(500));
    let shown = format!("{error} {:?}", report.trace);
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("bad key [REDACTED]"), "{shown}");
}

/// HTTPS against a real host; needs network access, so it only runs when asked for
/// (`cargo test -p sdk --test run -- --ignored`).
#[test]
#[ignore = "needs network access"]
fn https_reaches_a_real_host() {
    let report = fetch(
        &connector(&["api.github.com".to_string()]),
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

/// The trace shows every header that went on the wire, the client's own included, exactly as
/// the server received them; a connector cannot set the headers that frame the request.
#[test]
fn the_trace_shows_every_header_sent() {
    let (mock, hosts, config) = api_mock();
    mock.route("POST", "/items", Reply::Json(201, json!({ "id": 7 })));
    let hosts: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    let source = format!(
        r#"export default {{
  title: "Headers",
  allowed_hosts: [{}],
  connection: {{ base_uri: "https://api.test" }},
  actions: {{
    create: {{
      title: "Create",
      execute: () => post("/items", {{ name: "bolt" }}, {{ "X-Request-Id": "r-1" }}),
    }},
    framed: {{
      title: "Framed",
      input_fields: [{{ name: "header" }}],
      execute(connection, input) {{
        try {{ post("/items", {{}}, {{ [input.header]: "1" }}); }} catch (e) {{ return e.message; }}
        return "sent";
      }},
    }},
  }},
}};"#,
        hosts.join(", ")
    );
    let report = run(
        &source,
        &json!({}),
        Invocation::Action {
            name: "create".into(),
            input: json!({}),
        },
        &config,
    );
    assert_eq!(report.outcome.expect("created"), json!({ "id": 7 }));
    let shown: Vec<(String, String)> = report.trace[0].request_headers.clone();
    let received = mock.requests();
    let received = &received.last().expect("received").headers;
    let lower = |headers: &[(String, String)]| -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
            .collect();
        headers.sort();
        headers
    };
    assert_eq!(lower(&shown), lower(received), "shown: {shown:?}");
    for (name, value) in [("host", "api.test"), ("content-length", "15")] {
        assert!(
            lower(&shown).contains(&(name.to_string(), value.to_string())),
            "{name} missing from {shown:?}"
        );
    }
    for header in ["Host", "content-length", "Transfer-Encoding", "Connection"] {
        let report = run(
            &source,
            &json!({}),
            Invocation::Action {
                name: "framed".into(),
                input: json!({ "header": header }),
            },
            &config,
        );
        let message = report.outcome.expect("caught");
        assert!(
            message
                .as_str()
                .is_some_and(|m| m.contains("is set by the HTTP client")),
            "{header}: {message}"
        );
        assert!(report.trace.is_empty(), "{header}: sent anyway");
    }
}

/// The refusal's reason, from the run's error.
fn refusal(hosts: &[String], url: &str) -> String {
    let report = refused_with(hosts, url, 1, &RuntimeConfig::default(), "EGRESS_DENIED");
    report.outcome.expect_err("refused").to_string()
}

#[test]
fn an_address_literal_is_refused_as_private_before_the_allowed_hosts_are_read() {
    let hosts = vec!["10.0.0.1".to_string(), "api.test".to_string()];
    let declared = refusal(&hosts, "http://10.0.0.1/");
    assert!(
        declared.contains("10.0.0.1 is a private (10.0.0.0/8) address"),
        "{declared}"
    );
    let undeclared = refusal(&hosts, "http://10.0.0.2/");
    assert!(
        undeclared.contains("10.0.0.2 is a private (10.0.0.0/8) address"),
        "{undeclared}"
    );
    let public = refusal(&hosts, "http://8.8.8.8/");
    assert!(
        public.contains("8.8.8.8 is not among the connector's allowed_hosts"),
        "{public}"
    );
}

#[test]
fn a_name_is_refused_when_it_resolves_to_a_private_address() {
    let trip = Tripwire::start().expect("tripwire");
    let host = format!("localhost:{}", trip.addr.port());
    let url = format!("http://{host}/");
    let reason = refusal(&[host], &url);
    assert!(reason.contains("localhost resolves to "), "{reason}");
    assert!(reason.contains("a loopback address"), "{reason}");
    assert_eq!(trip.hits(), 0, "a refused name connected");
}

#[test]
fn a_response_may_be_exactly_max_response_bytes_long() {
    let (mock, hosts, config) = api_mock();
    mock.route("GET", "/thousand", Reply::Huge(1000));
    mock.route("GET", "/one-chunk", Reply::Chunked(1));
    for (path, length) in [("/thousand", 1000), ("/one-chunk", 64 * 1024)] {
        let at_the_cap = RuntimeConfig {
            max_response_bytes: length,
            ..config.clone()
        };
        let report = fetch(&connector(&hosts), path, 1, &at_the_cap);
        let body = report.outcome.expect("at the cap");
        assert_eq!(body.as_str().map(str::len), Some(length), "{path}");
        let past_the_cap = RuntimeConfig {
            max_response_bytes: length - 1,
            ..config.clone()
        };
        refused_with(&hosts, path, 1, &past_the_cap, "RESPONSE_TOO_LARGE");
    }
}

#[test]
fn a_resolved_name_speaks_tls_exactly_when_its_url_says_https() {
    let mock = Mock::start().expect("mock");
    mock.route("GET", "/x", Reply::Json(200, json!({ "ok": true })));
    let host = format!("localhost:{}", mock.addr.port());
    let config = RuntimeConfig {
        allow_private_networks: true,
        ..RuntimeConfig::default()
    };
    let source = connector(std::slice::from_ref(&host));
    let plain = fetch(&source, &format!("http://{host}/x"), 1, &config);
    assert_eq!(plain.outcome.expect("plain HTTP"), json!({ "ok": true }));
    let tls = fetch(&source, &format!("https://{host}/x"), 1, &config);
    assert_eq!(code(&tls), "NETWORK", "{:?}", tls.trace);
}
