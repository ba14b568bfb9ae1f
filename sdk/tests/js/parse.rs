//! Parsing JavaScript connectors: positions, forbidden features and invalid definitions.

use std::time::{Duration, Instant};

use sdk::{Limits, ParseError, Position, parse, parse_with};

fn refused(source: &str) -> ParseError {
    let started = Instant::now();
    let error = parse(source).expect_err("refused");
    assert!(started.elapsed() < Duration::from_secs(5));
    error
}

fn at(line: usize, column: usize) -> Option<Position> {
    Some(Position { line, column })
}

#[test]
fn a_syntax_error_has_its_exact_line_and_column() {
    let error =
        refused("export default {\n  title: \"Broken\",\n  test: (c) => get(\"/x\" ,, ),\n};");
    assert_eq!(error.code(), "SYNTAX", "{error}");
    assert_eq!(error.position(), at(3, 26), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("line 3, column 26: syntax error: "),
        "{error}"
    );
}

#[test]
fn a_runtime_error_at_the_top_level_points_inside_the_function() {
    let error = refused(
        "function broken(x) {\n  return x.title;\n}\nexport default { title: broken(null) };",
    );
    assert_eq!(error.code(), "RUNTIME", "{error}");
    assert_eq!(error.position().map(|p| p.line), Some(2), "{error}");
    assert!(error.to_string().contains("TypeError"), "{error}");
}

#[test]
fn eval_and_static_imports_are_forbidden_features() {
    let error = refused("export default { title: eval(\"'x'\") };");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
    // QuickJS places a call one column before its callee's name.
    assert_eq!(error.position(), at(1, 24), "{error}");
    let error = refused("import fs from \"fs\";\nexport default { title: \"T\" };");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
    let error = refused("export default { title: Function(\"return 'x'\")() };");
    assert_eq!(error.code(), "FORBIDDEN_FEATURE", "{error}");
}

#[test]
fn http_at_the_top_level_is_a_runtime_error() {
    let error = refused("const user = get(\"/user\");\nexport default { title: user };");
    assert_eq!(error.code(), "RUNTIME", "{error}");
    assert_eq!(error.position(), at(1, 13), "{error}");
    assert!(
        error
            .to_string()
            .contains("HTTP is not available while parsing"),
        "{error}"
    );
}

#[test]
fn an_endless_top_level_times_out() {
    let limits = Limits {
        deadline: Duration::from_millis(300),
        ..Limits::default()
    };
    let error = parse_with("while (true) {}\nexport default {};", &limits).expect_err("refused");
    assert_eq!(error.code(), "TIMEOUT", "{error}");
}

#[test]
fn the_shared_validator_names_the_path() {
    let error = refused(
        "export default { title: \"T\", actions: { create_issue: { title: \"C\", execute: 1 } } };",
    );
    assert_eq!(error.code(), "INVALID_DEFINITION", "{error}");
    assert_eq!(error.path(), Some("actions.create_issue.execute"));
    assert!(
        error
            .to_string()
            .contains("expected a closure, found an integer"),
        "{error}"
    );
    let error = refused("export default { title: \"T\", colour: \"red\" };");
    assert_eq!(error.path(), Some("colour"), "{error}");
    let error = refused("export default () => 1;");
    assert_eq!(error.code(), "INVALID_DEFINITION", "{error}");
}

#[test]
fn a_cyclic_definition_is_a_limit() {
    let error = refused(
        "const d = { title: \"T\", object_definitions: {} };\nd.object_definitions.loop = { fields: d };\nexport default d;",
    );
    assert!(
        matches!(error.code(), "LIMIT_EXCEEDED" | "INVALID_DEFINITION"),
        "{error}"
    );
}

#[test]
fn rhai_sources_still_go_to_rhai() {
    assert!(!sdk::is_javascript("#{ title: \"T\" }"));
    let capabilities = parse("#{ title: \"T\" }").expect("Rhai parses");
    assert_eq!(capabilities.title, "T");
}
