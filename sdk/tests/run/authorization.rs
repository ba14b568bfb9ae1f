//! Every authorization type of a JavaScript connector, applied to every request of an action
//! (each HTTP helper) and of the connection test, as the mock received them; and hidden in the
//! trace.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::support::config_for;
use sdk::{Invocation, REDACTED, RunReport, run};
use testkit::{Mock, Recorded, Reply};

/// A connector on `api.auth.test` with `authorization`, whose `test` makes two requests and whose
/// `all_verbs` action calls every HTTP helper once.
fn connector(authorization: &str) -> String {
    format!(
        r#"export default {{
  title: "Auth",
  allowed_hosts: ["api.auth.test"],
  connection: {{
    fields: [
      {{ name: "key", control_type: "password", optional: true }},
      {{ name: "user", optional: true }},
      {{ name: "password", control_type: "password", optional: true }},
    ],
    authorization: {authorization},
    base_uri: "http://api.auth.test",
  }},
  test: (connection) => {{ get("/me"); return get("/me", {{ again: true }}); }},
  actions: {{
    all_verbs: {{
      title: "Every helper",
      execute(connection, input) {{
        return [
          get("/r", {{ n: 1 }}).method,
          post("/r", {{ n: 2 }}).method,
          put("/r", {{ n: 3 }}).method,
          patch("/r", {{ n: 4 }}).method,
          del("/r").method,
          // The script's own header of the same name loses to the authorization's.
          get("/r", {{}}, {{ Authorization: "mine", "X-Api-Key": "mine" }}).method,
        ];
      }},
    }},
    key_in_query: {{
      title: "The key as a query parameter",
      execute: (connection, input) => get("/r", {{ api_key: connection.key }}).query,
    }},
  }},
}};"#
    )
}

const KEY: &str = "key-SECRET-1234";
const USER: &str = "grace";
const PASSWORD: &str = "pw-SECRET-5678";

fn mock() -> (Mock, sdk::RuntimeConfig) {
    let mock = Mock::start().expect("mock");
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        mock.route(method, "/r", Reply::Echo(200));
    }
    mock.route("GET", "/me", Reply::Echo(200));
    let config = config_for(&["api.auth.test".to_string()], &mock);
    (mock, config)
}

fn connection() -> Value {
    json!({ "key": KEY, "user": USER, "password": PASSWORD })
}

/// Runs the connection test and `all_verbs`, and returns what the mock received from each.
fn requests_of(source: &str) -> (Vec<Recorded>, Vec<RunReport>) {
    let (mock, config) = mock();
    let test = run(source, &connection(), Invocation::TestConnection, &config);
    assert!(test.outcome.is_ok(), "test: {:?}", test.outcome);
    let action = run(
        source,
        &connection(),
        Invocation::Action {
            name: "all_verbs".into(),
            input: json!({}),
        },
        &config,
    );
    assert_eq!(
        action.outcome.clone().expect("all_verbs runs"),
        json!(["GET", "POST", "PUT", "PATCH", "DELETE", "GET"])
    );
    let received = mock.requests();
    assert_eq!(received.len(), 2 + 6, "{received:?}");
    (received, vec![test, action])
}

/// Every request carried exactly `expected` for `name`, and every trace shows it hidden.
fn assert_everywhere(source: &str, name: &str, expected: &str) {
    let (received, reports) = requests_of(source);
    for request in &received {
        let values: Vec<&str> = request
            .headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect();
        assert_eq!(values, [expected], "{} {}", request.method, request.target);
    }
    let lengths: Vec<usize> = reports.iter().map(|r| r.trace.len()).collect();
    assert_eq!(lengths, [2, 6]);
    for report in &reports {
        for entry in &report.trace {
            let shown: Vec<&str> = entry
                .request_headers
                .iter()
                .filter(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
                .collect();
            assert_eq!(shown, [REDACTED], "{} {}", entry.method, entry.url);
        }
        let text = serde_json::to_string(report).expect("serializes");
        assert!(!text.contains(expected), "{text}");
    }
}

#[test]
fn api_key_in_a_named_header() {
    let source = connector(
        r#"{ type: "api_key", header: "X-Api-Key", value: (connection) => connection.key }"#,
    );
    assert_everywhere(&source, "X-Api-Key", KEY);
}

#[test]
fn api_key_header_name_from_the_connection_and_the_default_header() {
    // `header` may be a function of the connection too.
    let source = connector(
        r#"{ type: "api_key", header: (connection) => "X-Key-For-" + connection.user, value: (connection) => "Key " + connection.key }"#,
    );
    assert_everywhere(&source, "X-Key-For-grace", &format!("Key {KEY}"));
    // Without `header`, the value goes in `Authorization`.
    let source = connector(r#"{ type: "api_key", value: (connection) => connection.key }"#);
    assert_everywhere(&source, "Authorization", KEY);
}

/// `api_key` has a header form only; a key in the query is the connector's own
/// parameter, which a secret field's value makes hidden in the trace.
#[test]
fn api_key_as_a_query_parameter() {
    let (mock, config) = mock();
    let source = connector("undefined");
    let report = run(
        &source,
        &connection(),
        Invocation::Action {
            name: "key_in_query".into(),
            input: json!({}),
        },
        &config,
    );
    // The API got the key; what the script saw echoed back is already redacted.
    assert_eq!(mock.requests()[0].query(), format!("api_key={KEY}"));
    assert_eq!(
        report.outcome.clone().expect("runs"),
        json!(format!("api_key={REDACTED}"))
    );
    assert_eq!(
        report.trace[0].url,
        format!("http://api.auth.test/r?api_key={REDACTED}")
    );
    assert!(mock.requests()[0].header("authorization").is_none());
}

#[test]
fn basic() {
    let source = connector(
        r#"{ type: "basic", username: (connection) => connection.user, password: (connection) => connection.password }"#,
    );
    let encoded = STANDARD.encode(format!("{USER}:{PASSWORD}"));
    assert_everywhere(&source, "Authorization", &format!("Basic {encoded}"));
}

#[test]
fn bearer() {
    let source = connector(r#"{ type: "bearer", token: (connection) => connection.key }"#);
    assert_everywhere(&source, "Authorization", &format!("Bearer {KEY}"));
    // A constant in place of the function.
    let source = connector(r#"{ type: "bearer", token: "constant-SECRET-token" }"#);
    assert_everywhere(&source, "Authorization", "Bearer constant-SECRET-token");
}

#[test]
fn custom_headers() {
    let source = connector(
        r#"{ type: "custom", headers: (connection) => ({ "X-Client-Key": connection.key, "X-Tenant": "t-1", "X-Skipped": null }) }"#,
    );
    assert_everywhere(&source, "X-Client-Key", KEY);
    let (received, reports) = requests_of(&source);
    for request in &received {
        // A constant header goes out and is shown as it is; `null` leaves a header out.
        assert_eq!(request.header("x-tenant"), Some("t-1"));
        assert!(request.header("x-skipped").is_none());
    }
    let entry = &reports[1].trace[0];
    assert!(
        entry
            .request_headers
            .contains(&("X-Tenant".to_string(), "t-1".to_string())),
        "{:?}",
        entry.request_headers
    );
}

#[test]
fn custom_headers_that_are_not_an_object_are_a_runtime_error() {
    let (mock, config) = mock();
    let source = connector(r#"{ type: "custom", headers: (connection) => ["X-Key", "v"] }"#);
    let report = run(&source, &connection(), Invocation::TestConnection, &config);
    let error = report.outcome.expect_err("an array of headers");
    assert_eq!(error.code(), "RUNTIME");
    assert!(
        error.to_string().contains("authorization.headers"),
        "{error}"
    );
    assert!(mock.requests().is_empty());
}
