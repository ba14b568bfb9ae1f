//! Sources that run but do not define a valid connector: `INVALID_DEFINITION`, with the path of
//! the bad part of the definition.

use crate::{at, refused};

/// Asserts that `source` is refused as an invalid definition at `path`, whose message says `what`.
fn invalid_at(source: &str, path: &str, what: &str) -> sdk::ParseError {
    let error = refused(source);
    assert_eq!(error.code(), "INVALID_DEFINITION", "{error}");
    assert_eq!(error.path().unwrap_or(""), path, "{error}");
    assert!(error.to_string().contains(what), "{error}");
    error
}

/// `export default` of one definition written on one line.
fn definition(body: &str) -> String {
    format!("export default {{ {body} }};")
}

#[test]
fn missing_execute_names_the_action() {
    let source = r#"export default {
  title: "Issues",
  actions: {
    create_issue: {
      title: "Create issue",
    },
  },
};"#;
    let error = invalid_at(source, "actions.create_issue", "missing `execute`");
    // Where the action is written: the key of the object that lacks `execute`.
    assert_eq!(error.position(), at(4, 5), "{error}");
    assert!(
        error
            .to_string()
            .ends_with("actions.create_issue: missing `execute`"),
        "{error}"
    );
}

#[test]
fn duplicate_field_names_point_at_the_second_name() {
    let source = r#"export default {
  title: "Dupes",
  actions: {
    a: {
      title: "A",
      input_fields: [{ name: "x" }, { name: "x" }],
      execute: (c, i) => 1,
    },
  },
};"#;
    let error = invalid_at(
        source,
        "actions.a.input_fields[1].name",
        "duplicate field name `x`",
    );
    assert_eq!(error.position(), at(6, 39), "{error}");
    assert!(
        error.to_string().starts_with("line 6, column 39"),
        "{error}"
    );
}

#[test]
fn a_definition_assembled_from_bindings_is_located_where_the_bad_part_is_written() {
    let source = r#"const fields = [
  { name: "id", type: "integer" },
  { name: "when", type: "timestamp" },
];
const actions = { get: { title: "Get", input_fields: fields, execute: () => 1 } };
export default { title: "Bound", actions };
"#;
    let error = invalid_at(source, "actions.get.input_fields[1].type", "timestamp");
    assert_eq!(error.position(), at(3, 19), "{error}");
}

#[test]
fn unknown_top_level_keys_are_refused_at_the_key() {
    invalid_at(
        &definition(r#"title: "x", titel: "y""#),
        "titel",
        "unknown key `titel`",
    );
    invalid_at(
        &definition(r#"title: "T", colour: "red""#),
        "colour",
        "unknown key `colour`",
    );
}

#[test]
fn missing_title_names_the_definition() {
    let error = invalid_at(
        "\n  export default { description: \"no title\" };",
        "",
        "missing `title`",
    );
    assert_eq!(error.path(), None);
}

/// `export default` must be an object: not a number, an array or a function.
#[test]
fn the_default_export_must_be_an_object() {
    for value in ["42", "[{ title: \"T\" }]", "() => 1", "\"T\"", "null"] {
        invalid_at(
            &format!("const x = 1;\nexport default {value};"),
            "",
            "must be an object of its definition",
        );
    }
}

#[test]
fn definitions_built_through_bindings_are_still_checked() {
    let source = "const action = {\n  title: 42,\n  execute: (c, i) => 1,\n};\nexport default { title: \"T\", actions: { a: action } };";
    invalid_at(
        source,
        "actions.a.title",
        "expected a string, found an integer",
    );
}

#[test]
fn wrong_types_and_empty_values() {
    for (body, path, what) in [
        ("title: 42", "title", "expected a string, found an integer"),
        ("title: 4.5", "title", "expected a string, found a number"),
        ("title: true", "title", "expected a string, found a boolean"),
        (r#"title: "  ""#, "title", "must not be empty"),
        (
            r#"title: "T", description: []"#,
            "description",
            "expected a string, found an array",
        ),
        (
            r#"title: "T", actions: []"#,
            "actions",
            "expected an object",
        ),
        (
            r#"title: "T", connection: { fields: {} }"#,
            "connection.fields",
            "expected an array",
        ),
    ] {
        invalid_at(&definition(body), path, what);
    }
}

#[test]
fn operations_need_their_functions() {
    for (body, path, what) in [
        (
            r#"title: "T", actions: { a: { title: "A", execute: "nope" } }"#,
            "actions.a.execute",
            "expected a function, found a string",
        ),
        (
            r#"title: "T", actions: { create_issue: { title: "C", execute: 1 } }"#,
            "actions.create_issue.execute",
            "expected a function, found an integer",
        ),
        (
            r#"title: "T", actions: { a: { execute: (c, i) => 1 } }"#,
            "actions.a",
            "missing `title`",
        ),
        (
            r#"title: "T", triggers: { t: { title: "T" } }"#,
            "triggers.t",
            "missing `poll`",
        ),
        (
            r#"title: "T", triggers: { t: { title: "T", poll: (c, i, k) => 1, dedup: 1 } }"#,
            "triggers.t.dedup",
            "expected a function",
        ),
        (
            r#"title: "T", triggers: { t: { title: "T", poll: (c, i, k) => 1, execute: (c, i) => 1 } }"#,
            "triggers.t.execute",
            "unknown key `execute`",
        ),
        (
            r#"title: "T", actions: { a: { title: "A", input_fields: "x", execute: (c, i) => 1 } }"#,
            "actions.a.input_fields",
            "expected an array of fields or a function",
        ),
        (r#"title: "T", test: "x""#, "test", "expected a function"),
        (
            r#"title: "T", methods: { m: 1 }"#,
            "methods.m",
            "expected a function",
        ),
        (
            r#"title: "T", pick_lists: { p: [] }"#,
            "pick_lists.p",
            "expected a function",
        ),
        (
            r#"title: "T", object_definitions: { o: {} }"#,
            "object_definitions.o",
            "missing `fields`",
        ),
    ] {
        invalid_at(&definition(body), path, what);
    }
}

/// A function the definition names must exist: JavaScript looks the name up when the top level
/// runs, so a missing one is a `ReferenceError` where it is named.
#[test]
fn a_function_named_but_not_defined_is_a_runtime_error_where_it_is_named() {
    let error = refused(
        "export default {\n  title: \"T\",\n  actions: { a: { title: \"A\", execute: missing } },\n};",
    );
    assert_eq!(error.code(), "RUNTIME", "{error}");
    assert_eq!(error.position(), at(3, 40), "{error}");
    assert!(
        error
            .to_string()
            .contains("ReferenceError: missing is not defined"),
        "{error}"
    );
}

#[test]
fn names_must_be_lowercase_identifiers() {
    for (body, path, what) in [
        (
            r#"title: "T", actions: { CreateIssue: { title: "A", execute: (c, i) => 1 } }"#,
            "actions.CreateIssue",
            "`CreateIssue` is not a valid name",
        ),
        (
            r#"title: "T", connection: { fields: [{ name: "api-key" }] }"#,
            "connection.fields[0].name",
            "`api-key` is not a valid name",
        ),
        (
            r#"title: "T", methods: { "2x": (x) => x }"#,
            "methods.2x",
            "is not a valid name",
        ),
    ] {
        invalid_at(&definition(body), path, what);
    }
}

#[test]
fn fields_are_checked() {
    let action = |fields: &str| {
        definition(&format!(
            r#"title: "T", actions: {{ a: {{ title: "A", input_fields: [{fields}], execute: (c, i) => 1 }} }}"#
        ))
    };
    for (fields, path, what) in [
        (
            r#"{ label: "X" }"#,
            "actions.a.input_fields[0]",
            "missing `name`",
        ),
        (
            r#"{ name: "x", type: "text" }"#,
            "actions.a.input_fields[0].type",
            "`text` is not one of string, integer",
        ),
        (
            r#"{ name: "x", optinal: true }"#,
            "actions.a.input_fields[0].optinal",
            "unknown key `optinal`",
        ),
        (
            r#"{ name: "x", optional: "yes" }"#,
            "actions.a.input_fields[0].optional",
            "expected true or false",
        ),
        (
            r#"{ name: "x", properties: [{ name: "y" }] }"#,
            "actions.a.input_fields[0].properties",
            "only fields of type object or array have properties",
        ),
        (
            r#"{ name: "x", type: "object", properties: [{ name: "y" }, { name: "y" }] }"#,
            "actions.a.input_fields[0].properties[1].name",
            "duplicate field name `y`",
        ),
        (
            r#"{ name: "x", pick_list: "states" }"#,
            "actions.a.input_fields[0].pick_list",
            "there is no pick list named `states`",
        ),
        (r#""x""#, "actions.a.input_fields[0]", "expected an object"),
    ] {
        invalid_at(&action(fields), path, what);
    }
}

#[test]
fn authorization_needs_a_known_type() {
    for (body, path, what) in [
        (
            r#"title: "T", connection: { authorization: { token: (c) => 1 } }"#,
            "connection.authorization",
            "missing `type`",
        ),
        (
            r#"title: "T", connection: { authorization: { type: "oauth3" } }"#,
            "connection.authorization.type",
            "`oauth3` is not one of api_key, basic, bearer, custom",
        ),
        (
            r#"title: "T", connection: { base_uri: 1 }"#,
            "connection.base_uri",
            "expected a function or a URL string, found an integer",
        ),
    ] {
        invalid_at(&definition(body), path, what);
    }
}

#[test]
fn allowed_hosts_are_bare_lowercase_host_names() {
    let hosts = |hosts: &str| definition(&format!(r#"title: "T", allowed_hosts: [{hosts}]"#));
    for (list, path, what) in [
        (
            r#""https://api.github.com""#,
            "allowed_hosts[0]",
            "without a scheme or path",
        ),
        (
            r#""api.github.com/v3""#,
            "allowed_hosts[0]",
            "without a scheme or path",
        ),
        (r#""API.github.com""#, "allowed_hosts[0]", "lowercase"),
        (r#""a.com", "a.com""#, "allowed_hosts[1]", "listed twice"),
        (r#""*.com""#, "allowed_hosts[0]", "wildcard"),
        (r#""a.com:http""#, "allowed_hosts[0]", "port"),
        ("1", "allowed_hosts[0]", "expected a string"),
    ] {
        invalid_at(&hosts(list), path, what);
    }
}

/// One input field whose `properties` nest `levels` deep.
fn nested_fields(levels: usize) -> String {
    let mut field = r#"{ name: "f" }"#.to_string();
    for _ in 0..levels {
        field = format!(r#"{{ name: "f", type: "object", properties: [{field}] }}"#);
    }
    definition(&format!(
        r#"title: "T", actions: {{ a: {{ title: "A", execute: () => 1, input_fields: [{field}] }} }}"#
    ))
}

#[test]
fn fields_may_nest_16_levels_deep_and_no_deeper() {
    let capabilities = sdk::parse(&nested_fields(16)).expect("16 levels");
    let mut field = &capabilities.actions[0].input_fields[0];
    for _ in 0..16 {
        field = &field.properties[0];
    }
    assert!(field.properties.is_empty());
    let path = format!(
        "actions.a.input_fields[0]{}.properties",
        ".properties[0]".repeat(16)
    );
    invalid_at(
        &nested_fields(17),
        &path,
        "fields nest more than 16 levels deep",
    );
}
