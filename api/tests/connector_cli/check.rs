//! `connector check`: every example checks, and a broken file is refused with its place.

use serde_json::json;
use testkit::TempDir;
use testkit::examples::{example_slugs, newest_version};

use crate::{failure_of, json_of};

/// Every example connector's newest version, as a path relative to the repository.
fn newest_examples() -> anyhow::Result<Vec<(String, String)>> {
    example_slugs()?
        .into_iter()
        .map(|slug| {
            let newest = newest_version(&slug)?;
            let path = format!("examples/connectors/{slug}/versions/{newest}.js");
            Ok((slug, path))
        })
        .collect()
}

#[test]
fn check_accepts_every_example_and_prints_its_capabilities() -> anyhow::Result<()> {
    let examples = newest_examples()?;
    assert_eq!(examples.len(), 9, "{examples:?}");
    for (slug, path) in &examples {
        let (caps, _) = json_of(&["connector", "check", path])?;
        assert!(
            caps["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{slug}: {caps}"
        );
        assert!(
            caps["actions"].as_array().is_some_and(|a| !a.is_empty()),
            "{slug}: {caps}"
        );
        assert!(
            caps["allowed_hosts"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{slug}: {caps}"
        );
    }
    // The guide's connector too, with exactly its operations.
    let (caps, _) = json_of(&["connector", "check", "examples/guide/todo.js"])?;
    let names = |key: &str| -> Vec<String> {
        caps[key]
            .as_array()
            .map(|ops| {
                ops.iter()
                    .filter_map(|op| op["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        names("actions"),
        [
            "complete_todo",
            "create_todo",
            "delete_todo",
            "get_todo",
            "todos_tagged"
        ]
    );
    assert_eq!(names("triggers"), ["new_todo"]);
    assert_eq!(caps["allowed_hosts"], json!(["api.todo.example"]));
    assert_eq!(caps["connection"]["authorization"], "api_key");
    Ok(())
}

#[test]
fn check_refuses_a_broken_file_with_its_code_and_place() -> anyhow::Result<()> {
    let dir = TempDir::new("patchbay_connector_cli_broken")?;
    // (file, source, code, what the message says, where: `Some("line N")` when it has a place).
    let cases = [
        // A syntax error: the call in `execute` is never closed.
        (
            "syntax.js",
            "export default {\n  title: \"Broken\",\n  actions: {\n    ping: {\n      title: \"Ping\",\n      execute: (connection, input) => get(\"/ping\"\n    },\n  },\n};\n",
            "SYNTAX",
            "syntax error",
            Some("line 7"),
        ),
        // Valid JavaScript, but an action without `execute`: the path, at the action's key.
        (
            "definition.js",
            "export default {\n  title: \"Broken\",\n  actions: {\n    ping: { title: \"Ping\" },\n  },\n};\n",
            "INVALID_DEFINITION",
            "actions.ping: missing `execute`",
            Some("line 4"),
        ),
        // A misspelt name in the top level, which parsing runs.
        (
            "typo.js",
            "const fields = [{ name: \"id\" }];\nexport default {\n  title: \"Typo\",\n  actions: {\n    ping: { title: \"Ping\", input_fields: feilds, execute: (connection, input) => get(\"/ping\") },\n  },\n};\n",
            "RUNTIME",
            "ReferenceError: feilds is not defined",
            Some("line 5"),
        ),
        // Connectors load no modules.
        (
            "import.js",
            "import helpers from \"./helpers.js\";\nexport default { title: \"Imports\" };\n",
            "FORBIDDEN_FEATURE",
            "`import` is not available to connectors",
            None,
        ),
    ];
    for (name, source, code, says, place) in cases {
        let path = dir.path.join(name);
        std::fs::write(&path, source)?;
        let path = path.to_string_lossy().into_owned();
        let stderr = failure_of(&["connector", "check", &path])?;
        assert!(stderr.starts_with(&format!("error: {path}: ")), "{stderr}");
        assert!(stderr.contains(&format!("({code})")), "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        if let Some(line) = place {
            assert!(
                stderr.contains(&format!("{line}, column ")),
                "{name}: {stderr}"
            );
        }
    }
    let stderr = failure_of(&["connector", "check", "no/such/connector.js"])?;
    assert!(stderr.contains("reading no/such/connector.js"), "{stderr}");
    Ok(())
}
