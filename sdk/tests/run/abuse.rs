//! The sandbox under abuse: every misbehaving script ends with a typed error within 5 s, and
//! what a run writes or returns is cut to the report's limits.
//!
//! QuickJS's interrupt handler is only consulted between bytecodes and function calls, so a
//! single built-in that runs long without calling back — `new Array(1e9).join()`, a huge BigInt
//! power turned into a string — is bounded here only by the memory cap (it fails when it cannot
//! allocate); the worker process's kill at the deadline is what bounds its time.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use sdk::{Invocation, Position, ReportLimits, RunReport, RuntimeConfig, run};

/// A connector whose `act` action runs `body` (with `connection` and `input` in scope), after
/// the `prelude` of declarations. `body` starts on line 13 when `prelude` is one line.
fn connector(prelude: &str, body: &str) -> String {
    format!(
        r#"{prelude}
export default {{
  title: "Abuse",
  connection: {{ fields: [{{ name: "token", control_type: "password" }}] }},
  actions: {{
    act: {{
      title: "Go",
      input_fields: [
        {{ name: "n", type: "integer", optional: true }},
        {{ name: "tags", type: "array", optional: true, properties: [{{ name: "name" }}] }},
      ],
      execute(connection, input) {{
        {body}
      }},
    }},
  }},
  triggers: {{
    ticks: {{
      title: "Ticks",
      poll: (connection, input, cursor) => ({{
        events: [{{ id: 1 }}, {{ id: 2 }}, {{ id: 1 }}, {{ id: 3 }}, {{ id: 2 }}],
        cursor: (cursor ?? 0) + 1,
      }}),
      dedup: (event) => event.id,
    }},
  }},
  methods,
  pick_lists: {{ colours: (connection) => [["Red", "red"], ["Blue", "blue"]] }},
}};"#
    )
}

/// The methods every `connector` declares; a `prelude` may use them.
const METHODS: &str = "const methods = { double: (x) => x * 2, add: (a, b) => a + b };";

fn source(body: &str) -> String {
    connector(METHODS, body)
}

/// A 2 s deadline, so that every limit is checked to come within 5 s.
fn config() -> RuntimeConfig {
    RuntimeConfig {
        limits: sdk::Limits {
            deadline: Duration::from_secs(2),
            ..RuntimeConfig::default().limits
        },
        ..RuntimeConfig::default()
    }
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

/// The report of running `body`, checked to end within 5 s.
fn report_of(body: &str) -> RunReport {
    let started = Instant::now();
    let report = go(&source(body), json!({}), &config());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{body}: took {took:?}");
    report
}

fn code(report: &RunReport) -> &'static str {
    match &report.outcome {
        Ok(value) => panic!("expected an error, got {value}"),
        Err(error) => error.code(),
    }
}

/// The error code a run of `body` ends with.
fn code_of(body: &str) -> &'static str {
    code(&report_of(body))
}

#[test]
fn an_endless_loop_times_out() {
    assert_eq!(code_of("while (true) {}"), "TIMEOUT");
    assert_eq!(
        code_of("for (;;) { try { while (true) {} } catch (e) {} }"),
        "TIMEOUT"
    );
    // QuickJS places an interrupted function at its start: the timeout names the function that
    // was running (`execute`, line 12, column 7), not the loop's line.
    let report = report_of("let i = 0;\n        while (true) { i += 1; }");
    let error = report.outcome.expect_err("stopped");
    assert_eq!(error.code(), "TIMEOUT");
    assert_eq!(
        error.position(),
        Some(Position {
            line: 12,
            column: 7
        }),
        "{error}"
    );
}

/// Growth reaches the memory cap in about 1.5 s of a debug build on an idle machine: the
/// deadline leaves time to spare, so that a loaded machine reaches the cap under test first.
#[test]
fn unbounded_growth_hits_the_memory_cap() {
    let config = RuntimeConfig {
        limits: sdk::Limits {
            deadline: Duration::from_secs(30),
            ..RuntimeConfig::default().limits
        },
        ..RuntimeConfig::default()
    };
    for body in [
        r#"let s = "x"; while (true) s += s;"#,
        "let a = [1]; while (true) a = a.concat(a);",
        "const a = []; while (true) a.push(a.length, [1, 2, 3]);",
        "const o = {}; for (let i = 0; ; i++) o['k' + i] = { i };",
    ] {
        let report = go(&source(body), json!({}), &config);
        assert_eq!(code(&report), "LIMIT_EXCEEDED", "{body}");
    }
}

#[test]
fn deep_recursion_hits_the_stack_cap() {
    assert_eq!(
        code_of("const down = (n) => down(n + 1) + 1; return down(0);"),
        "LIMIT_EXCEEDED"
    );
    let report = go(
        &connector(
            &format!("{METHODS} function down(n) {{ return down(n + 1); }}"),
            "return down(0);",
        ),
        json!({}),
        &config(),
    );
    assert_eq!(code(&report), "LIMIT_EXCEEDED");
}

/// `new Array(1e9).join()` and `(3n ** 600000n).toString()` allocate little and never consult
/// the interrupt handler: in-process they ran 77 s (debug build) past a 2 s deadline, so only the
/// worker process's kill bounds them. What is true here, at a size that finishes: the deadline
/// is noticed as soon as the built-in returns, and the run ends as TIMEOUT.
#[test]
fn builtins_that_do_not_check_the_interrupt_end_when_they_return() {
    let config = RuntimeConfig {
        limits: sdk::Limits {
            deadline: Duration::from_millis(300),
            ..RuntimeConfig::default().limits
        },
        ..RuntimeConfig::default()
    };
    let report = go(
        &source("new Array(2e6).join(); new Array(2e6).join(); while (true) {}"),
        json!({}),
        &config,
    );
    assert_eq!(report.outcome.expect_err("stopped").code(), "TIMEOUT");
}

#[test]
fn eval_function_import_and_require_are_refused() {
    for body in [
        r#"return eval("1 + 1");"#,
        r#"return new Function("return 1")();"#,
        r#"return (() => {}).constructor("return 1")();"#,
        r#"return (async () => {}).constructor("return 1")();"#,
        r#"return (function* () {}).constructor("yield 1")().next();"#,
        r#"return require("fs");"#,
    ] {
        assert_eq!(code_of(body), "RUNTIME", "{body}");
    }
    // import() of anything rejects: there is no module loader.
    assert_eq!(code_of(r#"return import("fs");"#), "RUNTIME");
    // A static import is refused before anything runs: the source does not parse.
    let report = go(
        &connector("import fs from \"fs\";", "return 1;"),
        json!({}),
        &config(),
    );
    assert_eq!(code(&report), "INVALID_SOURCE");
}

#[test]
fn there_are_no_files_to_open() {
    for (body, name) in [
        (r#"return open_file("/etc/passwd");"#, "open_file"),
        (r#"return read_file("/etc/passwd");"#, "read_file"),
        (r#"return std.loadFile("/etc/passwd");"#, "std"),
    ] {
        let report = report_of(body);
        let error = report.outcome.expect_err("no such function");
        assert_eq!(error.code(), "RUNTIME", "{body}");
        assert!(
            error
                .to_string()
                .contains(&format!("ReferenceError: {name} is not defined")),
            "{error}"
        );
    }
}

#[test]
fn caught_eval_stays_inert() {
    let report = report_of(
        r#"try { return eval("1 + 1"); } catch (e) { return `${e.name}: ${e.message}`; }"#,
    );
    assert_eq!(
        report.outcome.expect("caught"),
        json!("ForbiddenFeature: `eval` is not available to connectors")
    );
}

#[test]
fn the_environment_and_foreign_globals_are_absent() {
    let report = report_of(
        "return [typeof process, typeof std, typeof os, typeof require, typeof setTimeout, \
         typeof fetch, typeof globalThis.Deno, typeof globalThis.Bun, globalThis.secret];",
    );
    assert_eq!(
        report.outcome.expect("runs"),
        json!([
            "undefined",
            "undefined",
            "undefined",
            "undefined",
            "undefined",
            "undefined",
            "undefined",
            "undefined",
            null
        ])
    );
    assert_eq!(code_of("return process.env.HOME;"), "RUNTIME");
}

#[test]
fn the_sdk_globals_cannot_be_replaced() {
    assert_eq!(
        code_of("globalThis.get = () => 1; return get('/x');"),
        "RUNTIME"
    );
}

#[test]
fn script_errors_say_where() {
    let report = report_of("const x = 1;\n        throw new Error(`bad ${x}`);");
    let error = report.outcome.expect_err("thrown");
    assert_eq!(error.code(), "RUNTIME");
    assert!(error.to_string().contains("Error: bad 1"), "{error}");
    // QuickJS places a call at its last argument that is not a literal: `x` in the template.
    assert_eq!(
        error.position(),
        Some(Position {
            line: 14,
            column: 32
        }),
        "{error}"
    );
}

/// A misspelt variable is no error until the function runs: then it is a `ReferenceError` at
/// the name's line and column.
#[test]
fn an_undeclared_variable_is_a_runtime_error_where_it_is_used() {
    let report = report_of("const token = connection.token;\n        return tokn.length;");
    let error = report.outcome.expect_err("undeclared");
    assert_eq!(error.code(), "RUNTIME");
    assert!(
        error
            .to_string()
            .contains("ReferenceError: tokn is not defined"),
        "{error}"
    );
    assert_eq!(
        error.position(),
        Some(Position {
            line: 14,
            column: 16
        }),
        "{error}"
    );
}

#[test]
fn operations_and_input_are_checked_first() {
    let source = source("return input;");
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
        let report = run(&source, &connection, invocation, &config);
        assert_eq!(code(&report), expected);
        assert!(report.logs.is_empty() && report.trace.is_empty());
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
    let report = go("export default { title: ", json!({}), &config);
    assert_eq!(code(&report), "INVALID_SOURCE");
    let error = report.outcome.expect_err("a syntax error");
    assert_eq!(error.position().map(|p| p.line), Some(1), "{error}");
}

#[test]
fn logs_are_kept_and_redacted() {
    let report = report_of(
        r#"print("hello"); console.log({ a: 1 }); console.debug("d", 2, [3]); console.error(`token=${connection.token}`); return 1;"#,
    );
    assert_eq!(report.outcome.expect("ran"), json!(1));
    assert_eq!(
        report.logs,
        ["hello", r#"{"a":1}"#, "d 2 [3]", "token=[REDACTED]"]
    );
}

/// A connector's methods are plain functions its other functions call, through a binding both
/// can see.
#[test]
fn methods_pick_lists_and_dedup() {
    let report = report_of("return methods.double(21) + methods.add(1, 2);");
    assert_eq!(report.outcome.expect("called"), json!(45));
    assert_eq!(code_of("return methods.missing();"), "RUNTIME");

    let source = source("return 1;");
    let config = RuntimeConfig::default();
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
    let source = r#"export default {
      title: "T",
      allowed_hosts: ["api.example.com"],
      connection: { base_uri: (connection) => get("https://api.example.com/base") },
      test: (connection) => 1,
    };"#;
    let report = run(
        source,
        &json!({}),
        Invocation::TestConnection,
        &RuntimeConfig::default(),
    );
    assert_eq!(code(&report), "RUNTIME", "{:?}", report.outcome);
    assert!(report.trace.is_empty(), "{:?}", report.trace);
}

#[test]
fn a_huge_thrown_string_is_cut() {
    let limits = ReportLimits::default();
    let report = report_of(r#"let s = "x"; while (s.length < 1048576) s += s; throw s;"#);
    let error = report.outcome.as_ref().expect_err("thrown");
    assert_eq!(error.code(), "RUNTIME");
    let message = error.to_string();
    assert!(
        message.len() < limits.max_error_bytes + 200,
        "{} bytes",
        message.len()
    );
    let tail = &message[message.len() - 40..];
    assert!(message.ends_with(" bytes]"), "{tail}");
    assert!(message.contains("… [truncated 10"), "{tail}");
    assert!(report.truncation.error_cut);
    let shown = serde_json::to_string(&report).expect("serializes");
    assert!(shown.len() < 16 * 1024, "{} bytes", shown.len());
}

#[test]
fn a_flood_of_logs_is_cut() {
    let limits = ReportLimits::default();
    let report = report_of(
        r#"let line = "y"; while (line.length < 8192) line += line; for (let i = 0; i < 1000; i++) console.log(line); return 1;"#,
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
    let report = report_of(
        r#"const s = "z".repeat(65536); const out = []; for (let i = 0; i < 16; i++) out.push(s); return out;"#,
    );
    let output = report.outcome.as_ref().expect("ran");
    let text = output
        .as_str()
        .expect("a cut output is the start of its text");
    assert!(text.starts_with("[\"zzz"), "{}", &text[..20]);
    assert!(text.len() < limits.max_output_bytes + 48);
    assert_eq!(report.truncation.output_bytes, Some(16 * 65538 + 15 + 2));
}

/// Catastrophic backtracking: QuickJS's regular expression engine consults the interrupt
/// handler while it backtracks, so the deadline stops it like any loop.
#[test]
fn catastrophic_regex_backtracking_times_out() {
    assert_eq!(
        code_of(r#"return /^(a+)+$/.test("a".repeat(40) + "b");"#),
        "TIMEOUT"
    );
    assert_eq!(
        code_of(r#"return "x".repeat(30000).replace(/(x+x+)+y/, "");"#),
        "TIMEOUT"
    );
}
