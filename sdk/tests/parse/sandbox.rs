//! The sandbox while parsing: forbidden features are unavailable and every limit ends the
//! evaluation of the top level in time, with a typed error.

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
    let error = refused("export default { title: eval(\"'x'\") };");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
    // QuickJS places a call one column before its callee's name.
    assert_eq!(error.position(), at(1, 24), "{error}");
    assert_eq!(
        error.to_string(),
        "line 1, column 24: `eval` is not available to connectors"
    );
}

#[test]
fn eval_is_unavailable_by_any_other_name() {
    for (expression, feature) in [
        ("globalThis[\"ev\" + \"al\"](\"1\")", "eval"),
        ("(0, eval)(\"1\")", "eval"),
        ("Function(\"return 'x'\")()", "Function"),
        ("new Function(\"return 'x'\")()", "Function"),
        ("(() => {}).constructor(\"return 1\")()", "Function"),
        ("(async () => {}).constructor(\"return 1\")", "Function"),
        ("(function* () {}).constructor(\"yield 1\")", "Function"),
    ] {
        let error = refused(&format!("export default {{ title: {expression} }};"));
        assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{expression}: {error}");
        assert!(
            error
                .to_string()
                .ends_with(&format!("`{feature}` is not available to connectors")),
            "{expression}: {error}"
        );
    }
}

#[test]
fn modules_are_unavailable() {
    let error = refused("import fs from \"fs\";\nexport default { title: \"T\" };");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
    assert!(error.to_string().contains("`import`"), "{error}");
    // `import()` of anything fails too: there is no module loader.
    let error = refused("const fs = await import(\"fs\");\nexport default { title: \"T\" };");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
}

/// There is no file system, process or operating system to reach: the names are not defined.
/// (JavaScript's `Date` is there: a clock is no way out of the sandbox.)
#[test]
fn there_is_no_file_system_or_process() {
    for (expression, name) in [
        ("read_file(\"/etc/passwd\")", "read_file"),
        ("require(\"fs\")", "require"),
        ("std.loadFile(\"/etc/passwd\")", "std"),
        ("os.readdir(\"/\")", "os"),
        ("process.env.HOME", "process"),
    ] {
        let error = refused(&format!("export default {{ title: {expression} }};"));
        assert_eq!(error.code(), "RUNTIME", "{expression}: {error}");
        assert!(
            error
                .to_string()
                .contains(&format!("ReferenceError: {name} is not defined")),
            "{error}"
        );
    }
}

/// QuickJS places an interrupted function at its start: a timeout at the top level is at line 1,
/// column 1, the module's start, not the loop's line.
#[test]
fn an_endless_loop_hits_the_deadline() {
    let limits = Limits {
        deadline: Duration::from_millis(300),
        ..Limits::default()
    };
    let error = parse_with(
        "let i = 0;\nwhile (true) { i += 1; }\nexport default {};",
        &limits,
    )
    .expect_err("never ends");
    assert_eq!(error.code(), "TIMEOUT", "{error}");
    assert_eq!(error.position(), at(1, 1), "{error}");
    let error = parse_with(
        "for (;;) { try { while (true) {} } catch (e) {} }\nexport default {};",
        &limits,
    )
    .expect_err("never ends");
    assert_eq!(error.code(), "TIMEOUT", "{error}");
}

#[test]
fn endless_recursion_exceeds_the_stack() {
    let error = refused_in_time("function f() { return f(); }\nf();\nexport default {};");
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    // The innermost call, one column before its callee's name.
    assert_eq!(error.position(), at(1, 22), "{error}");
    assert!(
        error.to_string().contains("function calls nest too deep"),
        "{error}"
    );
}

#[test]
fn a_growing_string_exceeds_the_memory() {
    let error = refused_in_time("let s = \"x\";\nwhile (true) s += s;\nexport default {};");
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
}

#[test]
fn growing_arrays_and_objects_exceed_the_memory() {
    for source in [
        "const a = [];\nwhile (true) a.push([1, 2, 3]);\nexport default {};",
        "const m = {};\nfor (let i = 0; ; i++) m[`k${i}`] = { i };\nexport default {};",
        "const m = new Map();\nfor (let i = 0; ; i++) m.set(i, [i]);\nexport default {};",
    ] {
        let error = refused_in_time(source);
        assert_eq!(error.code(), "LIMIT_EXCEEDED", "{source}: {error}");
    }
}

/// Far past any real nesting, the compiler must not overflow its stack: it stops with a limit.
#[test]
fn deeply_nested_expressions_are_refused_when_compiling() {
    let source = format!("export default {{ title: {} }};", "(".repeat(200_000));
    let error = refused(&source);
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    let source = format!(
        "export default {{ title: {}1{} }};",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(refused(&source).code(), "LIMIT_EXCEEDED");
}

/// A definition nested deeper than any real one, or cyclic, is refused rather than copied
/// without end.
#[test]
fn deep_and_cyclic_definitions_are_a_limit() {
    let error = refused(
        "const d = { title: \"T\", object_definitions: {} };\nd.object_definitions.loop = { fields: d };\nexport default d;",
    );
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    assert!(error.to_string().contains("is it cyclic?"), "{error}");
    let error = refused(
        "let deep = [];\nfor (let i = 0; i < 9000; i++) deep = [deep];\nexport default { title: \"T\", methods: deep };",
    );
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
}

#[test]
fn deeply_nested_values_do_not_overflow_the_stack() {
    // Printing, comparing and dropping values nested this deep recurses once per level inside
    // the engine; the stack cap makes that a typed error, never a crash.
    let source = r#"
        let deep = [];
        for (let depth = 0; depth < 100000; depth++) deep = [deep];
        const copy = deep;
        export default { title: deep === copy ? "equal" : "different", description: JSON.stringify(deep).slice(0, 3) };
    "#;
    let error = refused_in_time(source);
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    let source = r#"
        let deep = [];
        for (let depth = 0; depth < 1000; depth++) deep = [deep];
        const copy = deep;
        export default { title: deep === copy ? "equal" : "different", description: JSON.stringify(deep).slice(0, 3) };
    "#;
    let capabilities = parse_with(source, &Limits::default()).expect("valid");
    assert_eq!(capabilities.title, "equal");
    assert_eq!(capabilities.description, "[[[");
}

/// `{ title, methods }`, `methods` being what `expression` makes: the copy of the definition
/// either stops at a limit or reaches the validator, which refuses `methods` for not being an
/// object of functions.
fn with_methods(expression: &str) -> sdk::ParseError {
    refused(&format!(
        "const methods = {expression};\nexport default {{ title: \"T\", methods }};"
    ))
}

#[test]
fn a_definition_may_nest_64_levels_deep_and_no_deeper() {
    // The definition is level 0 and `methods` level 1: arrays nested `n` deep inside it reach
    // level 1 + n.
    let nested = |n: usize| {
        format!("(() => {{ let d = []; for (let i = 0; i < {n}; i++) d = [d]; return d; }})()")
    };
    assert_eq!(with_methods(&nested(63)).code(), "INVALID_DEFINITION");
    assert_eq!(with_methods(&nested(64)).code(), "LIMIT_EXCEEDED");
}

#[test]
fn a_definition_may_hold_100_000_values_and_no_more() {
    // The definition, its title and the `methods` array are three of them.
    let numbers = |n: usize| format!("Array.from({{ length: {n} }}, () => 0)");
    assert_eq!(with_methods(&numbers(99_997)).code(), "INVALID_DEFINITION");
    let error = with_methods(&numbers(99_998));
    assert_eq!(error.code(), "LIMIT_EXCEEDED", "{error}");
    assert!(
        error.to_string().contains("more than 100000 values"),
        "{error}"
    );
}
