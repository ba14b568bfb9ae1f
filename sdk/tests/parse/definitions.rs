//! What a valid JavaScript connector's `export default` declares.

use sdk::{Capabilities, ConnectionSpec, Field, Operation, parse};

use crate::field;

#[test]
fn minimal_connector_needs_only_a_title() {
    let capabilities = parse(r#"export default { title: "Echo" };"#).expect("valid");
    assert_eq!(
        capabilities,
        Capabilities {
            title: "Echo".into(),
            ..Capabilities::default()
        }
    );
    // Declaring nothing is the empty declaration: no fields, no authorization, no base URI.
    assert_eq!(
        capabilities.connection,
        ConnectionSpec {
            fields: Vec::new(),
            authorization: None,
            base_uri: false,
        }
    );
}

#[test]
fn full_connector_declares_everything() {
    let capabilities =
        parse(include_str!("../fixtures/github_issues.js")).expect("valid connector");
    let number = Field {
        field_type: "integer".into(),
        ..field("number")
    };
    assert_eq!(
        capabilities,
        Capabilities {
            title: "GitHub Issues".into(),
            description: "Create and track issues in GitHub repositories.".into(),
            connection: ConnectionSpec {
                fields: vec![Field {
                    label: "Personal access token".into(),
                    control_type: Some("password".into()),
                    hint: Some("Needs the repo scope".into()),
                    secret: true,
                    ..field("token")
                }],
                authorization: Some("bearer".into()),
                base_uri: true,
            },
            actions: vec![Operation {
                name: "create_issue".into(),
                title: "Create issue".into(),
                description: Some("Opens a new issue.".into()),
                input_fields: vec![
                    Field {
                        label: "Repository".into(),
                        hint: Some("owner/name".into()),
                        ..field("repo")
                    },
                    field("title"),
                    Field {
                        optional: true,
                        ..field("body")
                    },
                ],
                output_fields: vec![number.clone(), field("html_url")],
            }],
            triggers: vec![Operation {
                name: "new_issue".into(),
                title: "New issue".into(),
                description: None,
                input_fields: vec![field("repo")],
                output_fields: vec![number],
            }],
            allowed_hosts: vec!["api.github.com".into()],
            methods: vec!["format_issue".into()],
            pick_lists: vec!["states".into()],
            object_definitions: Vec::new(),
        }
    );
}

#[test]
fn capabilities_serialize_with_type_as_the_field_kind() {
    let capabilities =
        parse(include_str!("../fixtures/github_issues.js")).expect("valid connector");
    let json = serde_json::to_value(&capabilities).expect("serializable");
    assert_eq!(json["actions"][0]["output_fields"][0]["type"], "integer");
    let back: Capabilities = serde_json::from_value(json).expect("deserializable");
    assert_eq!(back, capabilities);
}

#[test]
fn operations_are_sorted_by_name() {
    let capabilities = parse(
        r#"export default {
            title: "Sorted",
            actions: {
                zeta: { title: "Z", execute: (c, i) => 1 },
                alpha: { title: "A", execute: (c, i) => 1 },
            },
        };"#,
    )
    .expect("valid");
    let names: Vec<_> = capabilities
        .actions
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);
}

#[test]
fn fields_nest_and_may_name_pick_lists() {
    let capabilities = parse(
        r#"export default {
            title: "Nested",
            pick_lists: { states: (connection) => [["Open", "open"]] },
            actions: {
                update: {
                    title: "Update",
                    input_fields: [
                        { name: "state", control_type: "select", pick_list: "states" },
                        { name: "owner", type: "object", properties: [
                            { name: "login" },
                            { name: "key", secret: true },
                        ] },
                    ],
                    execute: (connection, input) => input,
                },
            },
        };"#,
    )
    .expect("valid");
    let inputs = &capabilities.actions[0].input_fields;
    assert_eq!(inputs[0].pick_list.as_deref(), Some("states"));
    assert_eq!(
        inputs[1].properties,
        vec![
            field("login"),
            Field {
                secret: true,
                ..field("key")
            }
        ]
    );
}

#[test]
fn fields_computed_by_functions_are_recorded_as_none() {
    let capabilities = parse(
        r#"export default {
            title: "Dynamic",
            actions: {
                query: {
                    title: "Query",
                    input_fields: (connection) => [{ name: "q" }],
                    output_fields: (connection, input) => [],
                    execute: (connection, input) => input,
                },
            },
            object_definitions: {
                record: { fields: (connection) => [] },
                contact: { fields: [{ name: "email" }] },
            },
        };"#,
    )
    .expect("valid");
    assert!(capabilities.actions[0].input_fields.is_empty());
    assert!(capabilities.actions[0].output_fields.is_empty());
    assert_eq!(capabilities.object_definitions, ["contact", "record"]);
}

/// Every way JavaScript writes a function counts as one: declarations, methods, arrows, async
/// functions and bound functions (a partial application), and the definition may
/// be built from bindings and spread objects.
#[test]
fn declared_bound_and_shorthand_functions_and_bindings_are_accepted() {
    let capabilities = parse(
        r#"
        function create(connection, input) { return input; }
        function tag(prefix, event) { return `${prefix}${event.id}`; }
        const shared_fields = [{ name: "id", type: "integer" }];
        const prefix = "evt-";
        const common = { description: "Shared." };
        export default {
            title: "Functions",
            actions: {
                create: { title: "Create", ...common, output_fields: shared_fields, execute: create },
                later: { title: "Later", async execute(connection, input) { return input; } },
            },
            triggers: {
                event: {
                    title: "Event",
                    output_fields: shared_fields,
                    poll(connection, input, cursor) { return { events: [], cursor }; },
                    dedup: tag.bind(null, prefix),
                },
            },
            methods: { label: (event) => `${prefix}${event.id}` },
        };"#,
    )
    .expect("valid");
    assert_eq!(
        capabilities.actions[0].output_fields[0].field_type,
        "integer"
    );
    assert_eq!(
        capabilities.actions[0].description.as_deref(),
        Some("Shared.")
    );
    assert_eq!(capabilities.actions[1].name, "later");
    assert_eq!(capabilities.triggers[0].output_fields.len(), 1);
    assert_eq!(capabilities.methods, ["label"]);
}

#[test]
fn undefined_and_null_count_as_absent_for_optional_keys() {
    let capabilities =
        parse(r#"export default { title: "Units", description: undefined, test: null };"#)
            .expect("valid");
    assert_eq!(capabilities.description, "");
}

#[test]
fn connection_base_uri_may_be_a_string_and_hosts_may_use_wildcards_and_ports() {
    let capabilities = parse(
        r#"export default {
            title: "Hosts",
            allowed_hosts: ["*.example.com", "localhost:8080"],
            connection: {
                fields: [{ name: "api_key", label: "API key", secret: true }],
                authorization: { type: "api_key", header: "X-Api-Key", value: (connection) => connection.api_key },
                base_uri: "https://api.example.com",
            },
        };"#,
    )
    .expect("valid");
    assert_eq!(
        capabilities.allowed_hosts,
        ["*.example.com", "localhost:8080"]
    );
    assert_eq!(
        capabilities.connection.authorization.as_deref(),
        Some("api_key")
    );
    assert!(capabilities.connection.base_uri);
    assert!(capabilities.connection.fields[0].secret);
}

#[test]
fn helpers_are_available_to_the_top_level() {
    let capabilities = parse(
        r#"export default {
            title: JSON.stringify(JSON.parse(`{"a":[1,"b"]}`)) + JSON.stringify(JSON.parse("[2.5,null]")),
            description: encodeURIComponent("a b") + " " + base64_decode(base64_encode("hi")),
        };"#,
    )
    .expect("valid");
    assert_eq!(capabilities.title, r#"{"a":[1,"b"]}[2.5,null]"#);
    assert_eq!(capabilities.description, "a%20b hi");
}

#[test]
fn the_readme_example_parses() {
    let readme = include_str!("../../README.md");
    let example = ["```js\n", "```javascript\n"]
        .iter()
        .find_map(|fence| readme.split(fence).nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a JavaScript example");
    let capabilities = parse(example).expect("the README example is valid");
    assert!(!capabilities.actions.is_empty(), "{capabilities:?}");
}
