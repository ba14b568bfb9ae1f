//! Sources that cannot even be evaluated: too large, not Rhai, or failing at the top level.

use sdk::{Limits, parse_with};

use crate::{at, refused};

#[test]
fn a_syntax_error_has_its_line_and_column() {
    let source = r##"#{
  title: "Broken",
  actions: #{
    a: #{ title: "A" execute: |c, i| 1 },
  },
}"##;
    let error = refused(source);
    assert_eq!(error.code(), "SYNTAX", "{error}");
    assert_eq!(error.position(), at(4, 22));
    assert!(
        error
            .to_string()
            .starts_with("line 4, column 22: syntax error: "),
        "{error}"
    );
}

#[test]
fn duplicate_map_keys_are_a_syntax_error() {
    let error = refused(r#"#{ title: "A", title: "B" }"#);
    assert_eq!(error.code(), "SYNTAX", "{error}");
    assert_eq!(error.position(), at(1, 16));
}

#[test]
fn an_undeclared_variable_in_a_closure_is_a_syntax_error() {
    let error = refused("#{\n  title: \"T\",\n  test: |connection| conection.token,\n}");
    assert_eq!(error.code(), "SYNTAX", "{error}");
    assert_eq!(error.position(), at(3, 22));
}

#[test]
fn a_source_over_the_size_limit_is_not_parsed() {
    let source = format!("#{{ title: \"{}\" }}", "x".repeat(10 * 1024 * 1024));
    let error = refused(&source);
    assert_eq!(error.code(), "SOURCE_TOO_LARGE", "{error}");
    assert_eq!(error.position(), None);

    let limits = Limits {
        max_source_bytes: 10,
        ..Limits::default()
    };
    let error = parse_with(r#"#{ title: "Eleven+" }"#, &limits).expect_err("too large");
    assert_eq!(error.code(), "SOURCE_TOO_LARGE");
}

#[test]
fn http_at_the_top_level_is_a_runtime_error() {
    let error = refused("let user = get(\"/user\");\n#{ title: user }");
    assert_eq!(error.code(), "RUNTIME", "{error}");
    assert_eq!(error.position(), at(1, 12));
    assert_eq!(
        error.to_string(),
        "line 1, column 12: HTTP is not available while parsing"
    );
    for call in [
        "post(\"/x\", #{})",
        "put(\"/x\", #{}, #{})",
        "patch(\"/x\", 1)",
        "delete(\"/x\")",
    ] {
        assert_eq!(refused(call).code(), "RUNTIME", "{call}");
    }
}

#[test]
fn runtime_errors_point_inside_the_function_that_failed() {
    let error = refused("fn half(x) {\n  x / 0\n}\n#{ title: half(1) }");
    assert_eq!(error.code(), "RUNTIME", "{error}");
    assert_eq!(error.position(), at(2, 5));
    assert!(error.to_string().contains("Division by zero"), "{error}");
}

#[test]
fn thrown_values_are_runtime_errors() {
    let error = refused("throw \"no connector today\"");
    assert_eq!(error.code(), "RUNTIME");
    assert_eq!(error.to_string(), "line 1, column 1: no connector today");
}
