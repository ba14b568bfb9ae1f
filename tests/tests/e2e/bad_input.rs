//! Refusals: invalid connector source, conflicts, unknown listings, missing or insufficient
//! credentials, malformed fields and pagination arguments. Every refused write leaves nothing
//! behind, checked over GraphQL and in the raw tables.

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{
    ADD_OWNER, CREATE_CONNECTOR, PUBLISH_VERSION, REMOVE_OWNER, UPDATE_CONNECTOR, YANK_VERSION,
    connector_source, create_input, payload, raw_listing_and_version_rows,
};

const STATE: &str = r#"{
  connectors(includeDeprecated: true) { totalCount }
  connector(slug: "base") { name summary keywords latestVersion { version } versions { totalCount } }
}"#;

/// What a failed write must not change: the catalog and the base listing as GraphQL shows them,
/// and the raw row counts of `connectors` and `connector_versions`.
async fn state(app: &TestApp) -> anyhow::Result<(Value, (u64, u64))> {
    let data = app.data(None, STATE, json!({})).await?;
    let raw = raw_listing_and_version_rows(app.conn()?).await?;
    Ok((data, raw))
}

/// The single user error of a mutation payload; the payload's other fields must be null.
fn only_user_error(body: &Value, field: &str) -> anyhow::Result<Value> {
    let p = payload(body, field)?;
    let errors = p["userErrors"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no userErrors: {body}"))?;
    anyhow::ensure!(errors.len() == 1, "expected one user error: {body}");
    for (key, value) in p.as_object().into_iter().flatten() {
        if key != "userErrors" {
            anyhow::ensure!(value.is_null(), "{key} is set despite the error: {body}");
        }
    }
    Ok(errors[0].clone())
}

const SYNTAX_ERROR: &str = r##"export default {
  title: "Broken",
  actions: {
    a: { title: "A" execute: (c, i) => 1 },
  },
};"##;

const MISSING_EXECUTE: &str = r##"export default {
  title: "Issues",
  actions: {
    create_issue: {
      title: "Create issue",
    },
  },
};"##;

/// An invalid source: (what, source, SDK code, line, column, words in the message). A definition
/// missing a key is placed at the object that lacks it; QuickJS places a call one column before its
/// callee's name.
type SourceCase = (
    &'static str,
    String,
    &'static str,
    Option<i64>,
    Option<i64>,
    &'static str,
);

/// Invalid sources are refused on `input.source` with where and why; nothing is written.
async fn invalid_sources(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;
    let good = connector_source("Base", &[("ping", "Ping")]);
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("base", "Base", "utilities", &good) }),
        )
        .await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );
    let initial = state(&app).await?;
    assert_eq!(initial.1, (1, 1));

    let huge = format!(
        "export default {{ title: \"{}\" }};",
        "x".repeat(10 * 1024 * 1024)
    );
    let cases: Vec<SourceCase> = vec![
        (
            "syntax error",
            SYNTAX_ERROR.to_owned(),
            "SYNTAX",
            Some(4),
            Some(21),
            "syntax error",
        ),
        (
            "missing title",
            "\n  export default { description: \"no title\" };".to_owned(),
            "INVALID_DEFINITION",
            Some(2),
            Some(18),
            "missing `title`",
        ),
        (
            "action without execute",
            MISSING_EXECUTE.to_owned(),
            "INVALID_DEFINITION",
            Some(4),
            Some(5),
            "actions.create_issue: missing `execute`",
        ),
        (
            "10 MB string literal",
            huge,
            "SOURCE_TOO_LARGE",
            None,
            None,
            "more than the limit",
        ),
        (
            "eval",
            "export default { title: eval(\"1\") };".to_owned(),
            "FORBIDDEN_FEATURE",
            Some(1),
            Some(24),
            "`eval` is not available to connectors",
        ),
    ];
    for (what, source, code, line, column, words) in &cases {
        for mutation in ["createConnector", "publishVersion"] {
            let body = if mutation == "createConnector" {
                let input = create_input("fresh", "Fresh", "utilities", source);
                app.graphql(Some(&ada), CREATE_CONNECTOR, json!({ "input": input }))
                    .await?
            } else {
                let input = json!({ "slug": "base", "version": "1.1.0", "source": source });
                app.graphql(Some(&ada), PUBLISH_VERSION, json!({ "input": input }))
                    .await?
            };
            let error = only_user_error(&body, mutation)?;
            let shown = error.to_string().chars().take(300).collect::<String>();
            assert_eq!(
                error["code"], "BAD_USER_INPUT",
                "{what} ({mutation}): {shown}"
            );
            assert_eq!(
                error["field"],
                json!(["input", "source"]),
                "{what} ({mutation})"
            );
            assert_eq!(error["line"].as_i64(), *line, "{what} ({mutation}): line");
            assert_eq!(
                error["column"].as_i64(),
                *column,
                "{what} ({mutation}): column"
            );
            let message = error["message"].as_str().unwrap_or_default();
            assert!(
                message.starts_with(&format!("invalid connector source ({code})")),
                "{what} ({mutation}): {shown}"
            );
            assert!(message.contains(words), "{what} ({mutation}): {shown}");
            assert!(
                message.len() < 2_000,
                "{what}: the message echoes the source"
            );
            assert_eq!(
                state(&app).await?,
                initial,
                "{what} ({mutation}) left something behind"
            );
        }
    }

    // An endless top-level loop is stopped by the deadline, at a place inside the loop (its first
    // 15 columns).
    let looping = "while (true) {}\nexport default { title: \"Loop\" };";
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("fresh", "Fresh", "utilities", looping) }),
        )
        .await?;
    let error = only_user_error(&body, "createConnector")?;
    assert_eq!(error["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["field"], json!(["input", "source"]));
    assert_eq!(error["line"], 1, "{body}");
    assert!(
        error["column"]
            .as_i64()
            .is_some_and(|c| (1..=15).contains(&c)),
        "{body}"
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("invalid connector source (TIMEOUT)"),
        "{body}"
    );
    assert_eq!(state(&app).await?, initial, "loop left something behind");

    let missing = app
        .graphql(None, r#"{ connector(slug: "fresh") { slug } }"#, json!({}))
        .await?;
    assert_eq!(error_code(&missing), Some("NOT_FOUND"), "{missing}");

    // The database is still fine for a valid write.
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("fresh", "Fresh", "utilities", &good) }),
        )
        .await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(raw_listing_and_version_rows(app.conn()?).await?, (2, 2));
    app.stop().await
}
tests::on_both_backends!(
    invalid_sources_are_refused_and_nothing_is_written,
    super::invalid_sources
);

/// Conflicts, version order, unknown listings, credentials and malformed fields.
async fn refused_writes(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;
    let bob = app.user_with_token("bob").await?;
    let good = connector_source("Base", &[("ping", "Ping")]);
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("base", "Base", "utilities", &good) }),
        )
        .await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );
    let initial = state(&app).await?;

    // Taken slug.
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("base", "Another", "utilities", &good) }),
        )
        .await?;
    let error = only_user_error(&body, "createConnector")?;
    assert_eq!(error["code"], "CONFLICT", "{body}");
    assert_eq!(error["field"], json!(["input", "slug"]));
    assert_eq!(
        state(&app).await?,
        initial,
        "duplicate slug left something behind"
    );

    // Version order: not above the latest, or already published.
    for (version, code) in [
        ("0.9.0", "BAD_USER_INPUT"),
        ("1.0.0-rc.1", "BAD_USER_INPUT"),
        ("1.0.0", "CONFLICT"),
        (" 1.0.0 ", "CONFLICT"),
    ] {
        let body = app
            .graphql(
                Some(&ada),
                PUBLISH_VERSION,
                json!({ "input": { "slug": "base", "version": version, "source": good } }),
            )
            .await?;
        let error = only_user_error(&body, "publishVersion")?;
        assert_eq!(error["code"], code, "{version}: {body}");
        assert_eq!(error["field"], json!(["input", "version"]), "{version}");
        assert_eq!(
            state(&app).await?,
            initial,
            "{version} left something behind"
        );
    }
    // A higher version that is not published yet, after a lower one was refused.
    let body = app
        .graphql(
            Some(&ada),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "base", "version": "1.0.1", "source": good, "breaking": "  " } }),
        )
        .await?;
    let error = only_user_error(&body, "publishVersion")?;
    assert_eq!(error["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["field"], json!(["input", "breaking"]));
    assert_eq!(state(&app).await?, initial);

    // Unknown listing.
    let body = app
        .graphql(
            Some(&ada),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "nope", "version": "1.0.0", "source": good } }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    assert_eq!(body["data"], Value::Null);
    let body = app
        .graphql(None, r#"{ connector(slug: "nope") { slug } }"#, json!({}))
        .await?;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let body = app
        .graphql(
            Some(&ada),
            YANK_VERSION,
            json!({ "input": { "slug": "base", "version": "9.9.9" } }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    assert_eq!(state(&app).await?, initial);

    // No token, and not an owner.
    let writes: [(&str, Value); 6] = [
        (
            CREATE_CONNECTOR,
            json!(create_input("anon", "Anon", "utilities", &good)),
        ),
        (
            PUBLISH_VERSION,
            json!({ "slug": "base", "version": "1.1.0", "source": good }),
        ),
        (YANK_VERSION, json!({ "slug": "base", "version": "1.0.0" })),
        (
            UPDATE_CONNECTOR,
            json!({ "slug": "base", "name": "Taken over" }),
        ),
        (ADD_OWNER, json!({ "slug": "base", "handle": "bob" })),
        (REMOVE_OWNER, json!({ "slug": "base", "handle": "ada" })),
    ];
    for (i, (document, input)) in writes.iter().enumerate() {
        let body = app
            .graphql(None, document, json!({ "input": input }))
            .await?;
        assert_eq!(
            error_code(&body),
            Some("UNAUTHENTICATED"),
            "write {i}: {body}"
        );
        assert_eq!(body["data"], Value::Null, "write {i}");
        assert_eq!(
            state(&app).await?,
            initial,
            "anonymous write {i} left something behind"
        );
        if i == 0 {
            continue; // anyone signed in may create a listing
        }
        let body = app
            .graphql(Some(&bob), document, json!({ "input": input }))
            .await?;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "write {i}: {body}");
        assert_eq!(body["data"], Value::Null, "write {i}");
        assert_eq!(
            state(&app).await?,
            initial,
            "bob's write {i} left something behind"
        );
    }
    let owners = app
        .data(
            None,
            r#"{ connector(slug: "base") { owners { handle } } }"#,
            json!({}),
        )
        .await?;
    assert_eq!(owners["connector"]["owners"], json!([{ "handle": "ada" }]));

    // Malformed fields, each reported on its own path.
    let mut too_many_keywords = create_input("fine-slug", "Fine", "utilities", &good);
    too_many_keywords["keywords"] = json!((0..13).map(|i| format!("k{i}")).collect::<Vec<_>>());
    let field_cases: Vec<(&str, Value, &str)> = vec![
        (
            "slug with spaces",
            create_input("Bad Slug", "Fine", "utilities", &good),
            "slug",
        ),
        (
            "slug with a leading hyphen",
            create_input("-bad", "Fine", "utilities", &good),
            "slug",
        ),
        (
            "one-letter slug",
            create_input("a", "Fine", "utilities", &good),
            "slug",
        ),
        (
            "double hyphen",
            create_input("a--b", "Fine", "utilities", &good),
            "slug",
        ),
        (
            "empty name",
            create_input("fine-slug", "   ", "utilities", &good),
            "name",
        ),
        (
            "bad category",
            create_input("fine-slug", "Fine", "Not A Slug", &good),
            "category",
        ),
        ("13 keywords", too_many_keywords, "keywords"),
    ];
    let mut field_cases = field_cases;
    for version in ["1.0", "v1.0.0", "1.0.0+build.5", "", "latest"] {
        let mut input = create_input("fine-slug", "Fine", "utilities", &good);
        input["version"] = json!(version);
        field_cases.push(("bad semver", input, "version"));
    }
    let mut long_summary = create_input("fine-slug", "Fine", "utilities", &good);
    long_summary["summary"] = json!("s".repeat(161));
    field_cases.push(("161-character summary", long_summary, "summary"));
    for (what, input, field) in field_cases {
        let body = app
            .graphql(Some(&ada), CREATE_CONNECTOR, json!({ "input": input }))
            .await?;
        let error = only_user_error(&body, "createConnector")?;
        assert_eq!(error["code"], "BAD_USER_INPUT", "{what}: {body}");
        assert_eq!(error["field"], json!(["input", field]), "{what}: {body}");
        assert_eq!(state(&app).await?, initial, "{what} left something behind");
    }
    for version in ["1.1", "one", "1.1.0+meta"] {
        let body = app
            .graphql(
                Some(&ada),
                PUBLISH_VERSION,
                json!({ "input": { "slug": "base", "version": version, "source": good } }),
            )
            .await?;
        let error = only_user_error(&body, "publishVersion")?;
        assert_eq!(error["code"], "BAD_USER_INPUT", "{version}: {body}");
        assert_eq!(error["field"], json!(["input", "version"]));
        assert_eq!(
            state(&app).await?,
            initial,
            "{version} left something behind"
        );
    }
    let body = app
        .graphql(
            Some(&ada),
            UPDATE_CONNECTOR,
            json!({ "input": { "slug": "base", "name": "", "summary": "New" } }),
        )
        .await?;
    let error = only_user_error(&body, "updateConnector")?;
    assert_eq!(error["field"], json!(["input", "name"]), "{body}");
    assert_eq!(
        state(&app).await?,
        initial,
        "a refused edit changed the listing"
    );

    // And a valid write still goes through.
    let body = app
        .graphql(
            Some(&ada),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "base", "version": "1.1.0", "source": good } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "publishVersion")?["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(raw_listing_and_version_rows(app.conn()?).await?, (1, 2));
    app.stop().await
}
tests::on_both_backends!(refused_writes_leave_nothing_behind, super::refused_writes);

/// Page sizes, cursors and windows outside their ranges are the caller's mistake.
async fn bad_arguments(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;
    let good = connector_source("Base", &[("ping", "Ping")]);
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("base", "Base", "utilities", &good) }),
        )
        .await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );

    let catalog = "query($first: Int, $after: String) { connectors(first: $first, after: $after) { totalCount } }";
    let versions = "query($first: Int, $after: String) { connector(slug: \"base\") { versions(first: $first, after: $after) { totalCount } } }";
    for document in [catalog, versions] {
        for vars in [
            json!({ "first": -1 }),
            json!({ "first": 1000 }),
            json!({ "first": 101 }),
            json!({ "after": "not a cursor" }),
            json!({ "after": "b2Zmc2V0Oi0x" }),    // "offset:-1"
            json!({ "after": "Q29ubmVjdG9yOjE" }), // a node id, not a cursor
            json!({ "after": "" }),
        ] {
            let body = app.graphql(None, document, vars.clone()).await?;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{vars}: {body}");
        }
        // The edges of the range are fine.
        for vars in [json!({ "first": 0 }), json!({ "first": 100 })] {
            let body = app.graphql(None, document, vars.clone()).await?;
            assert!(body.get("errors").is_none(), "{vars}: {body}");
        }
    }
    let daily = "query($days: Int!) { connector(slug: \"base\") { metrics { dailyInstalls(days: $days) { installs } } } }";
    for days in [0, -5, 366] {
        let body = app.graphql(None, daily, json!({ "days": days })).await?;
        assert_eq!(
            error_code(&body),
            Some("BAD_USER_INPUT"),
            "days {days}: {body}"
        );
    }
    for days in [1, 365] {
        let data = app.data(None, daily, json!({ "days": days })).await?;
        assert_eq!(
            data["connector"]["metrics"]["dailyInstalls"]
                .as_array()
                .map(Vec::len),
            Some(days as usize)
        );
    }
    let long = "q".repeat(501);
    let body = app
        .graphql(
            None,
            "query($q: String) { connectors(query: $q) { totalCount } }",
            json!({ "q": long }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    app.stop().await
}
tests::on_both_backends!(out_of_range_arguments_are_bad_input, super::bad_arguments);

/// A NUL byte in free text (which PostgreSQL cannot store in text columns) is the caller's
/// problem or is stored as sent; never an internal error, never half a listing.
async fn nul_bytes(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;
    let good = connector_source("Base", &[("ping", "Ping")]);
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("base", "Base", "utilities", &good) }),
        )
        .await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );

    let nul_source = connector_source("Nul\u{0}Title", &[("ping", "Ping")]);
    let cases: [(&str, &str, Value); 5] = [
        ("name", "name", json!("Bad\u{0}Name")),
        ("summary", "summary", json!("Sum\u{0}mary")),
        ("description", "description", json!("Desc\u{0}ription")),
        ("keywords", "keywords", json!(["key\u{0}word"])),
        ("source", "source", json!(nul_source)),
    ];
    let mut internal = Vec::new();
    for (i, (what, key, value)) in cases.into_iter().enumerate() {
        let before = state(&app).await?;
        let slug = format!("nul-{i}");
        let mut input = create_input(&slug, "Fine", "utilities", &good);
        input[key] = value.clone();
        let body = app
            .graphql(Some(&ada), CREATE_CONNECTOR, json!({ "input": input }))
            .await?;
        if let Some(code) = error_code(&body) {
            // Reported at the end, so that every field is tried; half-writes fail at once.
            internal.push(format!("{what}: {code}"));
            assert_eq!(state(&app).await?, before, "{what} left something behind");
            continue;
        }
        let p = payload(&body, "createConnector")?;
        if p["userErrors"] == json!([]) {
            // Stored: it reads back exactly as sent.
            let stored = app
                .data(
                    Some(&ada),
                    "query($s: String!) { connector(slug: $s) { name summary description keywords latestVersion { source } } }",
                    json!({ "s": slug }),
                )
                .await?;
            let field = if key == "source" {
                &stored["connector"]["latestVersion"]["source"]
            } else {
                &stored["connector"][key]
            };
            assert_eq!(field, &value, "{what}");
        } else {
            let error = only_user_error(&body, "createConnector")?;
            assert_eq!(error["code"], "BAD_USER_INPUT", "{what}: {body}");
            assert_eq!(error["field"], json!(["input", key]), "{what}: {body}");
            assert_eq!(state(&app).await?, before, "{what} left something behind");
        }
    }
    assert!(
        internal.is_empty(),
        "GraphQL errors instead of userErrors: {internal:?}"
    );
    app.stop().await
}
tests::on_both_backends!(
    nul_bytes_in_text_never_cause_internal_errors,
    super::nul_bytes
);
