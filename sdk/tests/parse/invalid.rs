//! Sources that run but do not define a valid connector: `INVALID_DEFINITION`, with a path and,
//! where the definition is written as literals, the line and column.

use crate::{at, refused};

/// Asserts that `source` is refused as an invalid definition at `path`, whose message says `what`.
fn invalid_at(source: &str, path: &str, what: &str) -> sdk::ParseError {
    let error = refused(source);
    assert_eq!(error.code(), "INVALID_DEFINITION", "{error}");
    assert_eq!(error.path().unwrap_or(""), path, "{error}");
    assert!(error.to_string().contains(what), "{error}");
    error
}

#[test]
fn missing_execute_points_at_the_action() {
    let source = r##"#{
  title: "Issues",
  actions: #{
    create_issue: #{
      title: "Create issue",
    },
  },
}"##;
    let error = invalid_at(source, "actions.create_issue", "missing `execute`");
    assert_eq!(error.position(), at(4, 5));
    assert_eq!(
        error.to_string(),
        "line 4, column 5: actions.create_issue: missing `execute`"
    );
}

#[test]
fn duplicate_field_names_point_at_the_second_name() {
    let source = r##"#{
  title: "Dupes",
  actions: #{
    a: #{
      title: "A",
      input_fields: [#{ name: "x" }, #{ name: "x" }],
      execute: |c, i| 1,
    },
  },
}"##;
    let error = invalid_at(
        source,
        "actions.a.input_fields[1].name",
        "duplicate field name `x`",
    );
    assert_eq!(error.position(), at(6, 41));
}

#[test]
fn unknown_top_level_keys_are_refused_at_the_key() {
    let error = invalid_at(
        r#"#{ title: "x", titel: "y" }"#,
        "titel",
        "unknown key `titel`",
    );
    assert_eq!(error.position(), at(1, 16));
}

#[test]
fn missing_title_points_at_the_definition() {
    let error = invalid_at("\n  #{ description: \"no title\" }", "", "missing `title`");
    assert_eq!(error.position(), at(2, 3));
    assert_eq!(error.path(), None);
}

#[test]
fn the_value_must_be_a_map() {
    let error = invalid_at("let x = 1;\n42", "", "must evaluate to a map");
    assert_eq!(error.position(), at(2, 1));
}

#[test]
fn definitions_built_through_let_bindings_are_still_located() {
    let source = "let action = #{\n  title: 42,\n  execute: |c, i| 1,\n};\n#{ title: \"T\", actions: #{ a: action } }";
    let error = invalid_at(
        source,
        "actions.a.title",
        "expected a string, found an integer",
    );
    assert_eq!(error.position(), at(2, 3));
}

#[test]
fn wrong_types_and_empty_values() {
    invalid_at(
        r#"#{ title: 42 }"#,
        "title",
        "expected a string, found an integer",
    );
    invalid_at(r#"#{ title: "  " }"#, "title", "must not be empty");
    invalid_at(
        r#"#{ title: "T", description: [] }"#,
        "description",
        "expected a string, found an array",
    );
    invalid_at(
        r#"#{ title: "T", actions: [] }"#,
        "actions",
        "expected a map",
    );
    invalid_at(
        r#"#{ title: "T", connection: #{ fields: #{} } }"#,
        "connection.fields",
        "expected an array",
    );
}

#[test]
fn operations_need_their_closures() {
    invalid_at(
        r#"#{ title: "T", actions: #{ a: #{ title: "A", execute: "nope" } } }"#,
        "actions.a.execute",
        "expected a closure, found a string",
    );
    invalid_at(
        r#"#{ title: "T", actions: #{ a: #{ execute: |c, i| 1 } } }"#,
        "actions.a",
        "missing `title`",
    );
    invalid_at(
        r#"#{ title: "T", triggers: #{ t: #{ title: "T" } } }"#,
        "triggers.t",
        "missing `poll`",
    );
    invalid_at(
        r#"#{ title: "T", triggers: #{ t: #{ title: "T", poll: |c, i, k| 1, dedup: 1 } } }"#,
        "triggers.t.dedup",
        "expected a closure",
    );
    invalid_at(
        r#"#{ title: "T", triggers: #{ t: #{ title: "T", poll: |c, i, k| 1, execute: |c, i| 1 } } }"#,
        "triggers.t.execute",
        "unknown key `execute`",
    );
    invalid_at(
        r#"#{ title: "T", actions: #{ a: #{ title: "A", execute: Fn("missing") } } }"#,
        "actions.a.execute",
        "`missing` is not a function defined in this connector",
    );
    invalid_at(
        r#"#{ title: "T", actions: #{ a: #{ title: "A", input_fields: "x", execute: |c, i| 1 } } }"#,
        "actions.a.input_fields",
        "expected an array of fields or a closure",
    );
    invalid_at(
        r#"#{ title: "T", test: "x" }"#,
        "test",
        "expected a closure",
    );
    invalid_at(
        r#"#{ title: "T", methods: #{ m: 1 } }"#,
        "methods.m",
        "expected a closure",
    );
    invalid_at(
        r#"#{ title: "T", pick_lists: #{ p: [] } }"#,
        "pick_lists.p",
        "expected a closure",
    );
    invalid_at(
        r#"#{ title: "T", object_definitions: #{ o: #{} } }"#,
        "object_definitions.o",
        "missing `fields`",
    );
}

#[test]
fn names_must_be_lowercase_identifiers() {
    invalid_at(
        r#"#{ title: "T", actions: #{ CreateIssue: #{ title: "A", execute: |c, i| 1 } } }"#,
        "actions.CreateIssue",
        "`CreateIssue` is not a valid name",
    );
    invalid_at(
        r#"#{ title: "T", connection: #{ fields: [#{ name: "api-key" }] } }"#,
        "connection.fields[0].name",
        "`api-key` is not a valid name",
    );
    invalid_at(
        r#"#{ title: "T", methods: #{ "2x": |x| x } }"#,
        "methods.2x",
        "is not a valid name",
    );
}

#[test]
fn fields_are_checked() {
    let action = |fields: &str| {
        format!(
            r#"#{{ title: "T", actions: #{{ a: #{{ title: "A", input_fields: [{fields}], execute: |c, i| 1 }} }} }}"#
        )
    };
    invalid_at(
        &action("#{ label: \"X\" }"),
        "actions.a.input_fields[0]",
        "missing `name`",
    );
    invalid_at(
        &action("#{ name: \"x\", type: \"text\" }"),
        "actions.a.input_fields[0].type",
        "`text` is not one of string, integer",
    );
    invalid_at(
        &action("#{ name: \"x\", optinal: true }"),
        "actions.a.input_fields[0].optinal",
        "unknown key `optinal`",
    );
    invalid_at(
        &action("#{ name: \"x\", optional: \"yes\" }"),
        "actions.a.input_fields[0].optional",
        "expected true or false",
    );
    invalid_at(
        &action("#{ name: \"x\", properties: [#{ name: \"y\" }] }"),
        "actions.a.input_fields[0].properties",
        "only fields of type object or array have properties",
    );
    invalid_at(
        &action(
            "#{ name: \"x\", type: \"object\", properties: [#{ name: \"y\" }, #{ name: \"y\" }] }",
        ),
        "actions.a.input_fields[0].properties[1].name",
        "duplicate field name `y`",
    );
    invalid_at(
        &action("#{ name: \"x\", pick_list: \"states\" }"),
        "actions.a.input_fields[0].pick_list",
        "there is no pick list named `states`",
    );
    invalid_at(
        &action("\"x\""),
        "actions.a.input_fields[0]",
        "expected a map",
    );
}

#[test]
fn authorization_needs_a_known_type() {
    invalid_at(
        r#"#{ title: "T", connection: #{ authorization: #{ token: |c| 1 } } }"#,
        "connection.authorization",
        "missing `type`",
    );
    invalid_at(
        r#"#{ title: "T", connection: #{ authorization: #{ type: "oauth3" } } }"#,
        "connection.authorization.type",
        "`oauth3` is not one of api_key, basic, bearer, custom",
    );
    invalid_at(
        r#"#{ title: "T", connection: #{ base_uri: 1 } }"#,
        "connection.base_uri",
        "expected a closure or a URL string, found an integer",
    );
}

#[test]
fn allowed_hosts_are_bare_lowercase_host_names() {
    let hosts = |hosts: &str| format!(r#"#{{ title: "T", allowed_hosts: [{hosts}] }}"#);
    invalid_at(
        &hosts(r#""https://api.github.com""#),
        "allowed_hosts[0]",
        "without a scheme or path",
    );
    invalid_at(
        &hosts(r#""api.github.com/v3""#),
        "allowed_hosts[0]",
        "without a scheme or path",
    );
    invalid_at(
        &hosts(r#""API.github.com""#),
        "allowed_hosts[0]",
        "lowercase",
    );
    invalid_at(
        &hosts(r#""a.com", "a.com""#),
        "allowed_hosts[1]",
        "listed twice",
    );
    invalid_at(&hosts(r#""*.com""#), "allowed_hosts[0]", "wildcard");
    invalid_at(&hosts(r#""a.com:http""#), "allowed_hosts[0]", "port");
    invalid_at(&hosts("1"), "allowed_hosts[0]", "expected a string");
}
