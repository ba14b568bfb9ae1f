//! The sandbox under abuse: every misbehaving script ends with a typed error within the limits.

use std::time::Duration;

use serde_json::{Value, json};

use sdk::{Invocation, Limits, ReportLimits, RunReport, RuntimeConfig, run};

/// A connector whose `act` action runs `body` (with `connection` and `input` in scope), after
/// the `prelude` of function definitions.
fn connector(prelude: &str, body: &str) -> String {
    format!(
        r#"{prelude}
#{{
  title: "Abuse",
  connection: #{{ fields: [#{{ name: "token", control_type: "password" }}] }},
  actions: #{{
    act: #{{
      title: "Go",
      input_fields: [#{{ name: "n", type: "integer", optional: true }}, #{{ name: "tags", type: "array", optional: true, properties: [#{{ name: "name" }}] }}],
      execute: |connection, input| {{
        {body}
      }},
    }},
  }},
  triggers: #{{
    ticks: #{{
      title: "Ticks",
      poll: |connection, input, cursor| #{{ events: [#{{ id: 1 }}, #{{ id: 2 }}, #{{ id: 1 }}, #{{ id: 3 }}, #{{ id: 2 }}], next_cursor: (cursor ?? 0) + 1 }},
      dedup: |event| event.id,
    }},
  }},
  methods: #{{ double: |x| x * 2, add: |a, b| a + b }},
  pick_lists: #{{ colours: |connection| [["Red", "red"], ["Blue", "blue"]] }},
}}"#
    )
}

fn go(source: &str, input: Value, config: &RuntimeConfig) -> RunReport {
    run(
        source,
        &json!({ "token": "tok-SECRET-42" }),
        Invocation::Action {
            name: "act".into(),
            input,
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
fn an_endless_loop_is_stopped() {
    let report = go(
        &connector("", "loop { }"),
        json!({}),
        &RuntimeConfig::default(),
    );
    assert!(
        matches!(code(&report), "TIMEOUT" | "LIMIT_EXCEEDED"),
        "{:?}",
        report.outcome
    );

    // With no operation limit, the deadline stops it.
    let config = RuntimeConfig {
        limits: Limits {
            max_operations: 0,
            deadline: Duration::from_millis(300),
            ..RuntimeConfig::default().limits
        },
        ..RuntimeConfig::default()
    };
    let report = go(
        &connector("", "let i = 0; loop { i += 1; }"),
        json!({}),
        &config,
    );
    assert_eq!(code(&report), "TIMEOUT");
}

#[test]
fn unbounded_recursion_is_stopped() {
    let report = go(
        &connector("fn down(n) { down(n + 1) }", "down(0)"),
        json!({}),
        &RuntimeConfig::default(),
    );
    assert_eq!(code(&report), "LIMIT_EXCEEDED");
}

#[test]
fn unbounded_data_is_stopped() {
    for body in [
        r#"let s = "x"; loop { s += s; }"#,
        "let a = [1]; loop { a += a; }",
        "let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; }",
    ] {
        let report = go(&connector("", body), json!({}), &RuntimeConfig::default());
        // Rhai re-measures a growing map on every write, so a big one may hit the deadline first.
        assert!(
            matches!(code(&report), "LIMIT_EXCEEDED" | "TIMEOUT"),
            "{body}"
        );
    }
}

#[test]
fn eval_import_and_files_are_unavailable() {
    for body in [r#"eval("1 + 1")"#, r#"import "fs" as fs; 1"#] {
        let report = go(&connector("", body), json!({}), &RuntimeConfig::default());
        assert_eq!(code(&report), "INVALID_SOURCE", "{body}");
    }
    for body in [
        r#"open_file("/etc/passwd")"#,
        r#"read_file("/etc/passwd")"#,
        "timestamp()",
    ] {
        let report = go(&connector("", body), json!({}), &RuntimeConfig::default());
        assert_eq!(code(&report), "RUNTIME", "{body}");
    }
}

#[test]
fn script_errors_say_where() {
    let source = connector("", "let x = 1;\n        throw `bad ${x}`;");
    let report = go(&source, json!({}), &RuntimeConfig::default());
    let error = report.outcome.expect_err("thrown");
    assert_eq!(error.code(), "RUNTIME");
    assert!(error.to_string().contains("bad 1"), "{error}");
    assert_eq!(error.position().map(|p| p.line), Some(11), "{error}");
}

#[test]
fn operations_and_input_are_checked_first() {
    let source = connector("", "input");
    let config = RuntimeConfig::default();
    let connection = json!({});
    let unknown = [
        (
            Invocation::Action {
                name: "nope".into(),
                input: json!({}),
            },
            "UNKNOWN_ACTION",
        ),
        (
            Invocation::Trigger {
                name: "nope".into(),
                input: json!({}),
                cursor: None,
            },
            "UNKNOWN_TRIGGER",
        ),
        (
            Invocation::PickList {
                name: "nope".into(),
            },
            "UNKNOWN_PICK_LIST",
        ),
    ];
    for (invocation, expected) in unknown {
        assert_eq!(
            code(&run(&source, &connection, invocation, &config)),
            expected
        );
    }
    for input in [
        json!({ "n": "three" }),
        json!({ "n": 1.5 }),
        json!({ "tags": [{ "name": 1 }] }),
        json!({ "tags": [{}] }),
        json!([1]),
    ] {
        let report = go(&source, input.clone(), &config);
        assert_eq!(code(&report), "INVALID_INPUT", "{input}");
    }
    let report = go(
        &source,
        json!({ "n": 3, "tags": [{ "name": "a" }], "extra": true }),
        &config,
    );
    assert_eq!(report.outcome.expect("valid")["n"], json!(3));
    assert_eq!(
        code(&go("#{ title: ", json!({}), &config)),
        "INVALID_SOURCE"
    );
}

#[test]
fn logs_are_kept_and_redacted() {
    let report = go(
        &connector(
            "",
            r#"print("hello"); log(#{ a: 1 }); debug("d"); log(`token=${connection.token}`); 1"#,
        ),
        json!({}),
        &RuntimeConfig::default(),
    );
    assert_eq!(report.outcome.expect("ran"), json!(1));
    assert_eq!(report.logs[0], "hello");
    assert!(report.logs[1].contains("\"a\": 1"), "{:?}", report.logs);
    assert_eq!(report.logs[3], "token=[REDACTED]");
}

#[test]
fn methods_pick_lists_and_dedup() {
    let config = RuntimeConfig::default();
    let report = go(
        &connector(
            "",
            r#"call_method("double", 21) + call_method("add", 1, 2)"#,
        ),
        json!({}),
        &config,
    );
    assert_eq!(report.outcome.expect("called"), json!(45));
    let report = go(
        &connector("", r#"call_method("missing")"#),
        json!({}),
        &config,
    );
    assert_eq!(code(&report), "RUNTIME");

    let source = connector("", "1");
    let report = run(
        &source,
        &json!({}),
        Invocation::PickList {
            name: "colours".into(),
        },
        &config,
    );
    assert_eq!(
        report.outcome.expect("pick list"),
        json!([["Red", "red"], ["Blue", "blue"]])
    );
    let report = run(
        &source,
        &json!({}),
        Invocation::Trigger {
            name: "ticks".into(),
            input: json!({}),
            cursor: Some(json!(4)),
        },
        &config,
    );
    assert_eq!(
        report.outcome.expect("poll"),
        json!({ "events": [{ "id": 1 }, { "id": 2 }, { "id": 3 }], "next_cursor": 5 })
    );
}

#[test]
fn http_is_unavailable_while_preparing_the_connection() {
    let source = r#"#{
      title: "T",
      allowed_hosts: ["api.example.com"],
      connection: #{ base_uri: |connection| get("https://api.example.com/base") },
      test: |connection| 1,
    }"#;
    let report = run(
        source,
        &json!({}),
        Invocation::TestConnection,
        &RuntimeConfig::default(),
    );
    assert_eq!(code(&report), "RUNTIME");
    assert!(report.trace.is_empty());
}

#[test]
fn a_huge_thrown_string_is_cut() {
    let limits = ReportLimits::default();
    let report = go(
        &connector(
            "",
            r#"let s = "x"; while s.len() < 1048576 { s += s; } throw s;"#,
        ),
        json!({}),
        &RuntimeConfig::default(),
    );
    let error = report.outcome.as_ref().expect_err("thrown");
    assert_eq!(error.code(), "RUNTIME");
    let message = error.to_string();
    assert!(
        message.len() < limits.max_error_bytes + 200,
        "{} bytes",
        message.len()
    );
    assert!(
        message.ends_with(" bytes]"),
        "{}",
        &message[message.len() - 40..]
    );
    assert!(
        message.contains("… [truncated 10"),
        "{}",
        &message[message.len() - 40..]
    );
    assert!(report.truncation.error_cut);
    let shown = serde_json::to_string(&report).expect("serializes");
    assert!(shown.len() < 16 * 1024, "{} bytes", shown.len());
}

#[test]
fn a_flood_of_logs_is_cut() {
    let limits = ReportLimits::default();
    let report = go(
        &connector(
            "",
            r#"let line = "y"; while line.len() < 8192 { line += line; } for i in 0..1000 { log(line); } 1"#,
        ),
        json!({}),
        &RuntimeConfig::default(),
    );
    assert_eq!(report.outcome, Ok(json!(1)));
    assert_eq!(report.logs.len(), limits.max_log_lines);
    assert!(
        report
            .logs
            .iter()
            .all(|line| line.len() < limits.max_log_line_bytes + 48
                && line.ends_with("… [truncated 6144 bytes]"))
    );
    assert_eq!(
        report.truncation.log_lines_dropped,
        1000 - limits.max_log_lines
    );
    assert_eq!(report.truncation.log_lines_cut, limits.max_log_lines);
    let shown = serde_json::to_string(&report).expect("serializes");
    assert!(
        shown.len() < limits.max_log_lines * (limits.max_log_line_bytes + 64),
        "{} bytes",
        shown.len()
    );
}

#[test]
fn a_huge_output_is_cut() {
    let limits = ReportLimits::default();
    let report = go(
        &connector(
            "",
            r#"let s = "z"; while s.len() < 65536 { s += s; } let out = []; for i in 0..16 { out.push(s); } out"#,
        ),
        json!({}),
        &RuntimeConfig::default(),
    );
    let output = report.outcome.as_ref().expect("ran");
    let text = output
        .as_str()
        .expect("a cut output is the start of its text");
    assert!(text.starts_with("[\"zzz"), "{}", &text[..20]);
    assert!(text.len() < limits.max_output_bytes + 48);
    assert_eq!(report.truncation.output_bytes, Some(16 * 65538 + 15 + 2));
}
