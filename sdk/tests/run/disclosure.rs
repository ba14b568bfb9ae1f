//! What a run gives away: an API that echoes the credential back (in its body, a response header,
//! an error) must not get it into any part of the report — output, `console` lines, a thrown
//! error's text or the trace — in any spelling; and a trace too long is cut and says so.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::support::config_for;
use sdk::{Invocation, ReportLimits, RunReport, RuntimeConfig, run};
use testkit::{Mock, Reply};

const TOKEN: &str = "tok_SECRET_abc123";
/// Characters that every encoding spells differently.
const PASSWORD: &str = "pw S3CRET/+?&=\"é";
const USER: &str = "ada-lovelace";

/// A connector on `api.echo.test` with `authorization`, whose actions send the connection's
/// values to the echo API in the query and the body and hand back, log or throw what comes back.
fn connector(authorization: &str) -> String {
    format!(
        r#"export default {{
  title: "Echo",
  allowed_hosts: ["api.echo.test"],
  connection: {{
    fields: [
      {{ name: "token", control_type: "password", optional: true }},
      {{ name: "user", optional: true }},
      {{ name: "password", secret: true, optional: true }},
    ],
    authorization: {authorization},
    base_uri: "http://api.echo.test",
  }},
  test: (connection) => get("/echo", {{ token: connection.token, password: connection.password }}),
  actions: {{
    echo: {{
      title: "Echo",
      execute(connection, input) {{
        const answer = post("/echo?key=" + connection.token, {{ password: connection.password, token: connection.token }});
        console.log(answer);
        console.error(`the token is ${{connection.token ?? ""}}, the password ${{connection.password ?? ""}}, the user ${{connection.user ?? ""}}`);
        return answer;
      }},
    }},
    throw_echo: {{
      title: "Throw the echo",
      execute(connection, input) {{ throw get("/echo", {{ token: connection.token }}); }},
    }},
    throw_posted: {{
      title: "Throw an echo that holds the body sent",
      execute(connection, input) {{ throw post("/echo", {{ password: connection.password }}); }},
    }},
    throw_error: {{
      title: "Throw an Error that names the secrets",
      execute(connection, input) {{
        const echo = get("/echo", {{ token: connection.token }});
        throw new Error(`failed with ${{connection.token}} and ${{echo.headers.authorization}} (${{connection.password}})`);
      }},
    }},
    refused: {{
      title: "An HTTP error that quotes the request",
      execute: (connection, input) => get("/denied", {{ token: connection.token, password: connection.password }}),
    }},
    caught: {{
      title: "A caught HTTP error handed back",
      execute(connection, input) {{
        try {{ get("/denied", {{ token: connection.token }}); }}
        catch (e) {{ return {{ message: e.message, url: e.url, body: e.body }}; }}
      }},
    }},
  }},
  triggers: {{
    echoes: {{
      title: "Echoes",
      poll: (connection, input, cursor) => ({{ events: [get("/echo", {{ token: connection.token }})], cursor: connection.password }}),
    }},
  }},
}};"#
    )
}

fn echo_mock() -> (Mock, RuntimeConfig) {
    let mock = Mock::start().expect("mock");
    mock.route("GET", "/echo", Reply::Echo(200))
        .route("POST", "/echo", Reply::Echo(200))
        .route("GET", "/denied", Reply::Echo(401));
    let config = config_for(&["api.echo.test".to_string()], &mock);
    (mock, config)
}

/// Every spelling of a secret an API could send back: testkit's, and its base64.
fn spellings(secret: &str) -> Vec<String> {
    let mut all = testkit::spellings(secret);
    all.push(STANDARD.encode(secret));
    all
}

/// The serialized report and the error's message, with no secret in any spelling; returns the
/// text.
fn assert_nothing_leaks(label: &str, report: &RunReport, secrets: &[&str]) -> String {
    let mut shown = serde_json::to_string(report).expect("the report serializes");
    if let Err(error) = &report.outcome {
        shown.push_str(&error.to_string());
    }
    for secret in secrets {
        for spelling in spellings(secret) {
            assert!(
                !shown.contains(&spelling),
                "{label}: `{spelling}` (a spelling of {secret:?}) leaked in {shown}"
            );
        }
    }
    shown
}

fn action(name: &str) -> Invocation {
    Invocation::Action {
        name: name.into(),
        input: json!({}),
    }
}

#[test]
fn an_echoed_bearer_token_is_hidden_everywhere() {
    let (mock, config) = echo_mock();
    let source = connector(r#"{ type: "bearer", token: (connection) => connection.token }"#);
    let connection = json!({ "token": TOKEN, "password": PASSWORD });
    let secrets = [TOKEN, PASSWORD];

    let report = run(&source, &connection, action("echo"), &config);
    let output = report.outcome.clone().expect("echo runs");
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(output["method"], "POST");
    assert_eq!(output["headers"]["authorization"], "Bearer [REDACTED]");
    assert_eq!(output["target"], "/echo?key=[REDACTED]");
    assert_eq!(
        serde_json::from_str::<Value>(output["body"].as_str().unwrap_or_default())
            .expect("the echoed body is JSON"),
        json!({ "password": "[REDACTED]", "token": "[REDACTED]" })
    );
    // `console.log` of an object is its JSON text, redacted like the output: the password the
    // echoed body holds JSON-escaped is hidden, not just escaped a second time.
    let logged: Value = serde_json::from_str(&report.logs[0]).expect("a JSON log line");
    assert_eq!(logged, output);
    assert_eq!(
        report.logs[1],
        "the token is [REDACTED], the password [REDACTED], the user "
    );
    let shown = assert_nothing_leaks("echo", &report, &secrets);
    assert!(shown.contains("X-Echo-Authorization"), "{shown}");

    for (label, invocation) in [
        ("test", Invocation::TestConnection),
        ("throw", action("throw_echo")),
        ("throw an Error", action("throw_error")),
        ("throw the posted echo", action("throw_posted")),
        ("refused", action("refused")),
        ("caught", action("caught")),
        (
            "poll",
            Invocation::Trigger {
                name: "echoes".into(),
                input: json!({}),
                cursor: None,
            },
        ),
    ] {
        let report = run(&source, &connection, invocation, &config);
        assert!(!report.trace.is_empty(), "{label}: {report:?}");
        assert_nothing_leaks(label, &report, &secrets);
    }

    errors_and_the_cursor_are_redacted(&source, &connection, &config);
}

/// What an echoed bearer token becomes in errors and cursors: a thrown object or `Error`, an HTTP
/// error, what the script caught, and the poll's cursor are all redacted.
fn errors_and_the_cursor_are_redacted(source: &str, connection: &Value, config: &RuntimeConfig) {
    // A thrown plain object is a RUNTIME error quoting its JSON text.
    let thrown = run(source, connection, action("throw_echo"), config);
    let error = thrown.outcome.expect_err("thrown");
    assert_eq!(error.code(), "RUNTIME");
    assert!(error.to_string().contains("Bearer [REDACTED]"), "{error}");
    // The echo holds the body sent as JSON text, so the password in it is JSON-escaped; thrown,
    // the object becomes JSON text again. Its strings are redacted first: the password is
    // hidden once the message is decoded too (redacting only the text would miss the password
    // escaped twice).
    let thrown = run(source, connection, action("throw_posted"), config);
    let error = thrown.outcome.expect_err("thrown");
    assert_eq!(error.code(), "RUNTIME");
    let message: Value = serde_json::from_str(&error.to_string()).expect("the echo's JSON text");
    assert_eq!(message["body"], json!(r#"{"password":"[REDACTED]"}"#));
    // A thrown `Error` whose message the script built from the secrets.
    let thrown = run(source, connection, action("throw_error"), config);
    let error = thrown.outcome.expect_err("thrown");
    assert_eq!(error.code(), "RUNTIME");
    assert!(
        error
            .to_string()
            .contains("failed with [REDACTED] and Bearer [REDACTED] ([REDACTED])"),
        "{error}"
    );
    let refused = run(source, connection, action("refused"), config);
    let error = refused.outcome.expect_err("401");
    assert_eq!((error.code(), error.status()), ("HTTP", Some(401)));
    // What the script caught was redacted before it saw it.
    let caught = run(source, connection, action("caught"), config);
    let caught = caught.outcome.expect("caught");
    assert_eq!(
        caught["url"],
        "http://api.echo.test/denied?token=[REDACTED]"
    );
    assert_eq!(
        caught["body"]["headers"]["authorization"],
        "Bearer [REDACTED]"
    );
    // The poll's cursor is the password: hidden in `next_cursor` too.
    let poll = run(
        source,
        connection,
        Invocation::Trigger {
            name: "echoes".into(),
            input: json!({}),
            cursor: None,
        },
        config,
    );
    assert_eq!(poll.outcome.expect("polls")["next_cursor"], "[REDACTED]");
}

#[test]
fn echoed_basic_credentials_are_hidden_in_every_encoding() {
    let (mock, config) = echo_mock();
    let source = connector(
        r#"{ type: "basic", username: (connection) => connection.user, password: (connection) => connection.password }"#,
    );
    let connection = json!({ "user": USER, "password": PASSWORD, "token": TOKEN });
    let basic = STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let report = run(&source, &connection, action("echo"), &config);
    assert!(report.outcome.is_ok(), "{:?}", report.outcome);
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_nothing_leaks("basic", &report, &[TOKEN, PASSWORD, USER, &basic]);
}

#[test]
fn custom_authorization_headers_are_hidden() {
    let (_mock, config) = echo_mock();
    let source = connector(
        r#"{ type: "custom", headers: (connection) => ({ "X-Client": `Key ${connection.user}`, "X-Api-Version": "2024-01-01" }) }"#,
    );
    let connection = json!({ "user": "key-7f3a9c", "token": TOKEN });
    let report = run(&source, &connection, action("echo"), &config);
    let output = report.outcome.clone().expect("runs");
    assert_eq!(output["headers"]["x-client"], "[REDACTED]");
    assert_eq!(output["headers"]["x-api-version"], "2024-01-01");
    assert_nothing_leaks("custom", &report, &["key-7f3a9c", TOKEN]);
}

#[test]
fn api_key_values_are_hidden() {
    let (mock, config) = echo_mock();
    let source = connector(
        r#"{ type: "api_key", header: "X-Api-Key", value: (connection) => connection.user }"#,
    );
    // `user` is no secret field: the authorization makes it one.
    let connection = json!({ "user": "ak-9d8e7f6a", "token": TOKEN });
    let report = run(&source, &connection, action("echo"), &config);
    let output = report.outcome.clone().expect("runs");
    assert_eq!(mock.requests()[0].header("x-api-key"), Some("ak-9d8e7f6a"));
    assert_eq!(output["headers"]["x-api-key"], "[REDACTED]");
    assert_nothing_leaks("api_key", &report, &["ak-9d8e7f6a", TOKEN]);
}

#[test]
fn short_secrets_are_hidden_only_as_whole_tokens() {
    let (_mock, config) = echo_mock();
    let source = connector(r#"{ type: "bearer", token: (connection) => connection.token }"#);
    let connection = json!({ "token": "ab1", "user": "slab1" });
    let report = run(&source, &connection, action("echo"), &config);
    let output = report.outcome.clone().expect("runs");
    assert_eq!(output["target"], "/echo?key=[REDACTED]");
    assert_eq!(output["headers"]["authorization"], "Bearer [REDACTED]");
    assert_eq!(
        report.logs[1],
        "the token is [REDACTED], the password , the user slab1"
    );
}

#[test]
fn fields_named_secret_by_the_caller_are_hidden() {
    let (_mock, config) = echo_mock();
    let source = connector(r#"{ type: "bearer", token: (connection) => connection.token }"#);
    let connection = json!({ "user": "stored-SECRET-99", "token": TOKEN });
    let plain = run(&source, &connection, action("echo"), &config);
    assert!(
        plain.logs[1].ends_with("the user stored-SECRET-99"),
        "{:?}",
        plain.logs
    );
    let report = sdk::run_with_secrets(
        &source,
        &connection,
        &["user".to_string()],
        action("echo"),
        &config,
    );
    assert!(report.outcome.is_ok(), "{:?}", report.outcome);
    assert!(
        report.logs[1].ends_with("the user [REDACTED]"),
        "{:?}",
        report.logs
    );
    assert_nothing_leaks("also secret", &report, &["stored-SECRET-99", TOKEN]);
}

#[test]
fn the_trace_is_cut_and_says_so() {
    let (_mock, config) = echo_mock();
    let config = RuntimeConfig {
        report: ReportLimits {
            max_trace_text_bytes: 64,
            max_trace_header_bytes: 64,
            ..ReportLimits::default()
        },
        ..config
    };
    let source = connector(r#"{ type: "bearer", token: (connection) => connection.token }"#);
    let report = run(&source, &json!({ "token": TOKEN }), action("echo"), &config);
    let entry = &report.trace[0];
    let body = entry.response_body.as_deref().unwrap_or_default();
    assert!(body.contains("… [truncated "), "{body}");
    assert!(body.len() < 64 + 48, "{body}");
    let last = entry.response_headers.last().cloned().unwrap_or_default();
    assert_eq!(last.0, "[truncated]", "{:?}", entry.response_headers);
    assert!(
        report.truncation.trace_texts_cut >= 2,
        "{:?}",
        report.truncation
    );
    assert!(report.truncation.any());
    assert_nothing_leaks("cut", &report, &[TOKEN]);
}
