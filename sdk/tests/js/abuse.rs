//! The QuickJS sandbox under abuse: each script ends with a typed error within 5 s.
//!
//! QuickJS's interrupt handler is only consulted between bytecodes and function calls, so a
//! single built-in that runs long without calling back — `new Array(1e9).join()`, a huge BigInt
//! power turned into a string — is bounded here only by the memory cap (it fails when it cannot
//! allocate); the worker process's kill at the deadline is what bounds its time.

use std::time::{Duration, Instant};

use serde_json::json;

use sdk::{Invocation, RuntimeConfig, run};

fn connector(body: &str) -> String {
    format!(
        r#"export default {{
  title: "Abuse",
  actions: {{
    act: {{
      title: "Go",
      execute(connection, input) {{
        {body}
      }},
    }},
  }},
}};"#
    )
}

/// The error code a run of `body` ends with, checked to come within 5 s under a 2 s deadline.
fn code_of(body: &str) -> &'static str {
    let config = RuntimeConfig {
        limits: sdk::Limits {
            deadline: Duration::from_secs(2),
            ..RuntimeConfig::default().limits
        },
        ..RuntimeConfig::default()
    };
    let started = Instant::now();
    let report = run(
        &connector(body),
        &json!({}),
        Invocation::Action {
            name: "act".into(),
            input: json!({}),
        },
        &config,
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{body}: took {took:?}");
    match report.outcome {
        Ok(value) => panic!("{body}: expected an error, got {value}"),
        Err(error) => error.code(),
    }
}

#[test]
fn an_endless_loop_times_out() {
    assert_eq!(code_of("while (true) {}"), "TIMEOUT");
    assert_eq!(
        code_of("for (;;) { try { while (true) {} } catch (e) {} }"),
        "TIMEOUT"
    );
}

#[test]
fn unbounded_growth_hits_the_memory_cap() {
    for body in [
        r#"let s = "x"; while (true) s += s;"#,
        "const a = []; while (true) a.push(a.length, [1, 2, 3]);",
        "const o = {}; for (let i = 0; ; i++) o['k' + i] = { i };",
    ] {
        assert_eq!(code_of(body), "LIMIT_EXCEEDED", "{body}");
    }
}

#[test]
fn deep_recursion_hits_the_stack_cap() {
    assert_eq!(
        code_of("const down = (n) => down(n + 1) + 1; return down(0);"),
        "LIMIT_EXCEEDED"
    );
}

/// `new Array(1e9).join()` and `(3n ** 600000n).toString()` allocate little and never consult
/// the interrupt handler: in-process they ran 77 s (debug build) past a 2 s deadline, so only the
/// worker process's kill bounds them. What is true here, at a size that finishes: the deadline
/// is noticed as soon as the built-in returns, and the run ends as TIMEOUT.
#[test]
fn builtins_that_do_not_check_the_interrupt_end_when_they_return() {
    let config = RuntimeConfig {
        limits: sdk::Limits {
            deadline: Duration::from_millis(20),
            ..RuntimeConfig::default().limits
        },
        ..RuntimeConfig::default()
    };
    let report = run(
        &connector("new Array(2e6).join(); new Array(2e6).join(); while (true) {}"),
        &json!({}),
        Invocation::Action {
            name: "act".into(),
            input: json!({}),
        },
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
}

#[test]
fn caught_eval_stays_inert() {
    let report = run(
        &connector(
            r#"try { return eval("1 + 1"); } catch (e) { return `${e.name}: ${e.message}`; }"#,
        ),
        &json!({}),
        Invocation::Action {
            name: "act".into(),
            input: json!({}),
        },
        &RuntimeConfig::default(),
    );
    assert_eq!(
        report.outcome.expect("caught"),
        json!("ForbiddenFeature: `eval` is not available to connectors")
    );
}

#[test]
fn the_environment_and_foreign_globals_are_absent() {
    let report = run(
        &connector(
            "return [typeof process, typeof std, typeof os, typeof require, typeof setTimeout, \
             typeof fetch, typeof globalThis.Deno, typeof globalThis.Bun, globalThis.secret];",
        ),
        &json!({}),
        Invocation::Action {
            name: "act".into(),
            input: json!({}),
        },
        &RuntimeConfig::default(),
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
