//! The sandbox: forbidden features are unavailable and every limit ends the evaluation in time.

use std::time::Duration;

use sdk::{Limits, parse_with};

use crate::{at, refused};

/// Refused under the default limits but with time to spare, so that a slow machine reaches the
/// limit under test before the deadline.
fn refused_in_time(source: &str) -> sdk::ParseError {
    let limits = Limits {
        deadline: Duration::from_secs(60),
        ..Limits::default()
    };
    parse_with(source, &limits).expect_err("refused")
}

#[test]
fn eval_is_unavailable() {
    let error = refused("#{ title: eval(\"\\\"x\\\"\") }");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
    assert_eq!(error.position(), at(1, 11));
    assert_eq!(
        error.to_string(),
        "line 1, column 11: `eval` is not available to connectors"
    );
}

#[test]
fn eval_is_unavailable_through_a_function_pointer() {
    let error = refused("let f = Fn(\"ev\" + \"al\");\n#{ title: f.call(\"1\") }");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
}

#[test]
fn modules_are_unavailable() {
    let error = refused("import \"fs\" as fs;\n#{ title: \"T\" }");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
    assert_eq!(error.position(), at(1, 1));
    let error = refused("export const x = 1;\n#{ title: \"T\" }");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
}

#[test]
fn there_is_no_file_system_or_clock() {
    for call in [
        "read_file(\"/etc/passwd\")",
        "open_file(\"/etc/passwd\")",
        "timestamp()",
    ] {
        let error = refused(&format!("#{{ title: {call} }}"));
        assert_eq!(error.code(), "RUNTIME", "{call}: {error}");
        assert!(error.to_string().contains("Function not found"), "{error}");
    }
}

#[test]
fn an_infinite_loop_runs_out_of_operations() {
    let error = refused_in_time("loop {}");
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    assert!(error.position().is_some());
}

#[test]
fn an_infinite_loop_without_an_operation_limit_hits_the_deadline() {
    let limits = Limits {
        max_operations: 0,
        deadline: Duration::from_millis(200),
        ..Limits::default()
    };
    let error = parse_with("let i = 0;\nloop { i += 1 }", &limits).expect_err("never ends");
    assert_eq!(error.code(), "TIMEOUT", "{error}");
    assert_eq!(error.position().map(|p| p.line), Some(2));
}

#[test]
fn endless_recursion_exceeds_the_call_depth() {
    let error = refused_in_time("fn f() { f() }\nf()");
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    assert_eq!(error.position(), at(2, 1));
    assert!(
        error
            .to_string()
            .contains("function calls nest more than 64 deep"),
        "{error}"
    );
}

#[test]
fn a_growing_string_exceeds_the_string_size() {
    let error = refused_in_time("let s = \"x\"; loop { s += s }");
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    assert!(
        error.to_string().contains("strings exceed the limit"),
        "{error}"
    );
}

#[test]
fn growing_arrays_and_maps_exceed_their_sizes() {
    let error = refused_in_time("let a = []; loop { a.push(1) }");
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    let error = refused_in_time("let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1 }");
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
}

#[test]
fn deeply_nested_expressions_are_refused_when_compiling() {
    let source = format!("#{{ title: {}1{} }}", "[".repeat(100), "]".repeat(100));
    let error = refused(&source);
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    assert!(
        error
            .to_string()
            .contains("expressions nest more than 64 deep"),
        "{error}"
    );
    // Far past the depth limit, the parser still must not overflow its stack.
    let source = "(".repeat(200_000);
    assert_eq!(refused(&source).code(), "LIMIT_EXCEEDED");
}

#[test]
fn deeply_nested_values_do_not_overflow_the_stack() {
    // Comparing, printing and dropping values nested this deep recurses once per level inside
    // the engine; the sandbox thread's stack must hold it.
    let limits = Limits {
        max_operations: 0,
        deadline: Duration::from_secs(60),
        ..Limits::default()
    };
    let source = r#"
        let deep = [];
        let depth = 0;
        while depth < 9000 { deep = [take(deep)]; depth += 1; }
        let copy = deep;
        #{ title: if deep == copy { "equal" } else { "different" }, description: `${deep}`.sub_string(0, 3) }
    "#;
    let capabilities = parse_with(source, &limits).expect("valid");
    assert_eq!(capabilities.title, "equal");
    assert_eq!(capabilities.description, "[[[");
}
