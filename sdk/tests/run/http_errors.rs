//! A failed request from JavaScript: the thrown `Error` carries `code`, `status`, `method`, `url`
//! and the parsed `body`, and `try`/`catch` handles it; uncaught, the run ends with the request's
//! code and status, at the helper call's line and column.

use serde_json::{Value, json};

use crate::support::config_for;
use sdk::{Invocation, Position, RunError, RunReport, RuntimeConfig, run};
use testkit::{Mock, Reply};

/// `uncaught`'s `get` is on line 18 of `JS`, `post_uncaught`'s `post` on 21, `rethrown`'s `get`
/// on 23 and its `throw` on 25, `literal`'s `get` on 28.
const JS: &str = r#"export default {
  title: "Errors",
  allowed_hosts: ["api.err.test", "EXTRA_HOST"],
  connection: { base_uri: "http://api.err.test" },
  actions: {
    caught: {
      title: "Caught",
      execute(connection, input) {
        try {
          get(input.url);
          return "no error";
        } catch (e) {
          return { is_error: e instanceof Error, code: e.code, status: e.status, method: e.method, url: e.url, body: e.body, message: e.message };
        }
      },
    },
    uncaught: { title: "Uncaught", execute: (connection, input) =>
      get(input.url) },
    post_uncaught: { title: "Uncaught POST", execute(connection, input) {
      const payload = { a: 1 };
      return post(input.url, payload); } },
    rethrown: { title: "Rethrown", execute(connection, input) {
      try { return get(input.url); } catch (e) {
        e.message = "wrapped: " + e.message;
        throw e;
      } } },
    literal: { title: "Literal URL", execute(connection, input) {
      return get("/missing"); } },
  },
};"#;

/// Runs `name` of `source` on `url`, with `127.0.0.1:port` allowed too.
fn act_on(port: u16, source: &str, name: &str, url: &str, config: &RuntimeConfig) -> RunReport {
    run(
        &source.replace("EXTRA_HOST", &format!("127.0.0.1:{port}")),
        &json!({}),
        Invocation::Action {
            name: name.into(),
            input: json!({ "url": url }),
        },
        config,
    )
}

fn act(source: &str, name: &str, url: &str, config: &RuntimeConfig) -> RunReport {
    act_on(1, source, name, url, config)
}

fn mock() -> (Mock, RuntimeConfig) {
    let mock = Mock::start().expect("mock");
    mock.route(
        "GET",
        "/missing",
        Reply::Json(404, json!({ "error": "no such thing", "id": 7 })),
    )
    .route("GET", "/broken", Reply::Json(503, Value::Null))
    .route(
        "POST",
        "/invalid",
        Reply::Json(422, json!({ "errors": ["a is wrong"] })),
    );
    let config = config_for(&["api.err.test".to_string()], &mock);
    (mock, config)
}

fn error_of(report: &RunReport) -> &RunError {
    report.outcome.as_ref().expect_err("an error")
}

#[test]
fn a_caught_http_error_carries_its_fields() {
    let (_mock, config) = mock();
    let mut got = act(JS, "caught", "/missing", &config)
        .outcome
        .expect("caught");
    let message = got
        .as_object_mut()
        .and_then(|o| o.remove("message"))
        .unwrap_or_default();
    // The message is the response body's text.
    assert_eq!(message, json!(r#"{"error":"no such thing","id":7}"#));
    assert_eq!(
        got,
        json!({
            "is_error": true, "code": "HTTP", "status": 404, "method": "GET",
            "url": "http://api.err.test/missing",
            "body": { "error": "no such thing", "id": 7 },
        })
    );
    // An empty 5xx body is `null`.
    let got = act(JS, "caught", "/broken", &config)
        .outcome
        .expect("caught");
    assert_eq!(
        (&got["code"], &got["status"]),
        (&json!("HTTP"), &json!(503))
    );
    assert_eq!(got["body"], Value::Null);
}

#[test]
fn a_caught_connection_failure_is_a_network_error_without_status() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let config = RuntimeConfig {
        allow_private_networks: true,
        ..RuntimeConfig::default()
    };
    let url = format!("http://127.0.0.1:{port}/x");
    let got = act_on(port, JS, "caught", &url, &config)
        .outcome
        .expect("caught");
    assert_eq!(got["code"], "NETWORK");
    assert_eq!(got["status"], Value::Null);
    assert_eq!(got["method"], "GET");
    assert_eq!(got["url"], json!(url));
    // Uncaught: NETWORK, at the `get`.
    let report = act_on(port, JS, "uncaught", &url, &config);
    let error = error_of(&report);
    assert_eq!((error.code(), error.status()), ("NETWORK", None), "{error}");
    assert_eq!(
        error.position(),
        Some(Position {
            line: 18,
            column: 11
        }),
        "{error}"
    );
}

#[test]
fn an_uncaught_http_error_is_a_run_error_with_its_status_and_position() {
    let (_mock, config) = mock();
    // QuickJS gives a call the position of the last token before it that carries one: the
    // last argument that is not a literal (`input` of `get(input.url)` at column 11, `payload`
    // of `post(input.url, payload)` at 30), else the callee's name (`get("/missing")`, 14).
    for (action, url, status, method, line, column) in [
        ("uncaught", "/missing", 404, "GET", 18, 11),
        ("uncaught", "/broken", 503, "GET", 18, 11),
        ("post_uncaught", "/invalid", 422, "POST", 21, 30),
        ("literal", "/missing", 404, "GET", 28, 14),
    ] {
        let report = act(JS, action, url, &config);
        let js = error_of(&report);
        assert_eq!((js.code(), js.status()), ("HTTP", Some(status)), "{js}");
        let RunError::Http {
            method: m, url: u, ..
        } = js
        else {
            panic!("{js:?}")
        };
        assert_eq!(
            (m.as_str(), u.as_str()),
            (method, format!("http://api.err.test{url}").as_str())
        );
        assert_eq!(js.position(), Some(Position { line, column }), "{js}");
    }
    // The 422's body is quoted in the error text.
    let js = act(JS, "post_uncaught", "/invalid", &config);
    assert!(
        error_of(&js).to_string().contains("a is wrong"),
        "{}",
        error_of(&js)
    );
}

/// A caught request error thrown again is still the request's error. Its position is where the
/// helper made the `Error` (line 23, the `get`), not the `throw` (line 25): a JavaScript `Error`
/// keeps the stack of its construction.
#[test]
fn a_rethrown_http_error_keeps_its_code_and_status() {
    let (_mock, config) = mock();
    let report = act(JS, "rethrown", "/missing", &config);
    let error = error_of(&report);
    assert_eq!(
        (error.code(), error.status()),
        ("HTTP", Some(404)),
        "{error}"
    );
    assert_eq!(error.position().map(|p| p.line), Some(23), "{error}");
    assert!(error.to_string().contains("wrapped: "), "{error}");
}
