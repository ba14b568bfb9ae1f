//! Sources that cannot even be evaluated: too large, not valid JavaScript, or failing at the top
//! level; each error with its exact line and column in the JavaScript text.

use sdk::{Limits, parse_with};

use crate::{at, refused};

#[test]
fn a_syntax_error_has_its_line_and_column() {
    let source = r#"export default {
  title: "Broken",
  actions: {
    a: { title: "A" execute: (c, i) => 1 },
  },
};"#;
    let error = refused(source);
    assert_eq!(error.code(), "SYNTAX", "{error}");
    assert_eq!(error.position(), at(4, 21), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("line 4, column 21: syntax error: "),
        "{error}"
    );
    let error =
        refused("export default {\n  title: \"Broken\",\n  test: (c) => get(\"/x\" ,, ),\n};");
    assert_eq!(error.code(), "SYNTAX", "{error}");
    assert_eq!(error.position(), at(3, 26), "{error}");
}

/// A variable a function uses is looked up when the function runs, so a misspelt one is no
/// error while parsing: it is a `ReferenceError` of the run, at its line and column
/// (`tests/run/abuse.rs`).
#[test]
fn an_undeclared_variable_in_a_function_parses() {
    let capabilities = sdk::parse(
        "export default {\n  title: \"T\",\n  test: (connection) => conection.token,\n};",
    )
    .expect("parses");
    assert_eq!(capabilities.title, "T");
}

#[test]
fn a_source_over_the_size_limit_is_not_parsed() {
    let source = format!(
        "export default {{ title: \"{}\" }};",
        "x".repeat(10 * 1024 * 1024)
    );
    let error = refused(&source);
    assert_eq!(error.code(), "SOURCE_TOO_LARGE", "{error}");
    assert_eq!(error.position(), None);

    let limits = Limits {
        max_source_bytes: 10,
        ..Limits::default()
    };
    let error =
        parse_with(r#"export default { title: "Eleven+" };"#, &limits).expect_err("too large");
    assert_eq!(error.code(), "SOURCE_TOO_LARGE");
}

#[test]
fn http_at_the_top_level_is_a_runtime_error() {
    let error = refused("const user = get(\"/user\");\nexport default { title: user };");
    assert_eq!(error.code(), "RUNTIME", "{error}");
    assert_eq!(error.position(), at(1, 13), "{error}");
    assert!(
        error.to_string().starts_with("line 1, column 13: ")
            && error
                .to_string()
                .ends_with("HTTP is not available while parsing"),
        "{error}"
    );
    for call in [
        "post(\"/x\", {})",
        "put(\"/x\", {}, {})",
        "patch(\"/x\", 1)",
        "del(\"/x\")",
        "globalThis[\"delete\"](\"/x\")",
    ] {
        let error = refused(&format!("{call};\nexport default {{ title: \"T\" }};"));
        assert_eq!(error.code(), "RUNTIME", "{call}: {error}");
        assert!(
            error
                .to_string()
                .contains("HTTP is not available while parsing"),
            "{call}: {error}"
        );
    }
}

#[test]
fn runtime_errors_point_inside_the_function_that_failed() {
    let error = refused(
        "function broken(x) {\n  return x.title;\n}\nexport default { title: broken(null) };",
    );
    assert_eq!(error.code(), "RUNTIME", "{error}");
    // At the value whose property could not be read.
    assert_eq!(error.position(), at(2, 10), "{error}");
    assert!(error.to_string().contains("TypeError"), "{error}");
}

#[test]
fn thrown_values_are_runtime_errors() {
    let error = refused("throw new Error(\"no connector today\");\nexport default {};");
    assert_eq!(error.code(), "RUNTIME");
    // A `new` is placed at its constructor's name.
    assert_eq!(
        error.to_string(),
        "line 1, column 11: Error: no connector today"
    );
    // A thrown string has no stack, so no position.
    let error = refused("throw \"no connector today\";\nexport default {};");
    assert_eq!(error.code(), "RUNTIME");
    assert_eq!(error.position(), None);
    assert_eq!(error.to_string(), "no connector today");
}
