//! Invalid connector sources are refused on `input.source` with where and why, by
//! `createConnector` and `publishVersion` alike; nothing is written.

use serde_json::json;
use tests::{Backend, error_code};

use super::{Base, State, arrange_base, only_user_error, state};
use crate::fixtures::{
    CREATE_CONNECTOR, PUBLISH_VERSION, create_input, payload, raw_listing_and_version_rows,
};

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

/// An invalid source: what it is, the source, its SDK code, where (line and column), and words
/// the message must hold. A definition missing a key is placed at the object that lacks it;
/// QuickJS places a call one column before its callee's name.
struct SourceCase {
    what: &'static str,
    source: String,
    code: &'static str,
    line: Option<i64>,
    column: Option<i64>,
    words: &'static str,
}

fn source_cases() -> Vec<SourceCase> {
    let case = |what, source: &str, code, line, column, words| SourceCase {
        what,
        source: source.to_owned(),
        code,
        line,
        column,
        words,
    };
    let huge = format!(
        "export default {{ title: \"{}\" }};",
        "x".repeat(10 * 1024 * 1024)
    );
    vec![
        case(
            "syntax error",
            SYNTAX_ERROR,
            "SYNTAX",
            Some(4),
            Some(21),
            "syntax error",
        ),
        case(
            "missing title",
            "\n  export default { description: \"no title\" };",
            "INVALID_DEFINITION",
            Some(2),
            Some(18),
            "missing `title`",
        ),
        case(
            "action without execute",
            MISSING_EXECUTE,
            "INVALID_DEFINITION",
            Some(4),
            Some(5),
            "actions.create_issue: missing `execute`",
        ),
        case(
            "10 MB string literal",
            &huge,
            "SOURCE_TOO_LARGE",
            None,
            None,
            "more than the limit",
        ),
        case(
            "eval",
            "export default { title: eval(\"1\") };",
            "FORBIDDEN_FEATURE",
            Some(1),
            Some(24),
            "`eval` is not available to connectors",
        ),
    ]
}

/// Send `source` as a new listing `fresh` (`createConnector`) or as `base` 1.1.0
/// (`publishVersion`); the whole response.
async fn send_source(
    base: &Base,
    mutation: &str,
    source: &str,
) -> anyhow::Result<serde_json::Value> {
    let Base { app, ada, .. } = base;
    if mutation == "createConnector" {
        let input = create_input("fresh", "Fresh", "utilities", source);
        app.graphql(Some(ada), CREATE_CONNECTOR, json!({ "input": input }))
            .await
    } else {
        let input = json!({ "slug": "base", "version": "1.1.0", "source": source });
        app.graphql(Some(ada), PUBLISH_VERSION, json!({ "input": input }))
            .await
    }
}

/// One invalid source through one mutation: refused on `input.source`, placed, coded and worded
/// as the case says, without echoing the source, and with nothing written.
async fn assert_refused(
    base: &Base,
    initial: &State,
    case: &SourceCase,
    mutation: &str,
) -> anyhow::Result<()> {
    let SourceCase {
        what,
        source,
        code,
        line,
        column,
        words,
    } = case;
    let body = send_source(base, mutation, source).await?;
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
        &state(&base.app).await?,
        initial,
        "{what} ({mutation}) left something behind"
    );
    Ok(())
}

async fn invalid_sources(backend: Backend) -> anyhow::Result<()> {
    let base = arrange_base(backend).await?;
    let initial = state(&base.app).await?;
    assert_eq!(initial.1, (1, 1));
    for case in &source_cases() {
        for mutation in ["createConnector", "publishVersion"] {
            assert_refused(&base, &initial, case, mutation).await?;
        }
    }
    base.app.stop().await
}
tests::on_both_backends!(
    invalid_sources_are_refused_on_input_source_with_where_and_why,
    super::invalid_sources
);

/// An endless top-level loop is stopped by the deadline, at a place inside the loop (its first 15
/// columns); nothing is written.
async fn endless_loop(backend: Backend) -> anyhow::Result<()> {
    let base = arrange_base(backend).await?;
    let initial = state(&base.app).await?;
    let looping = "while (true) {}\nexport default { title: \"Loop\" };";
    let body = send_source(&base, "createConnector", looping).await?;
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
    assert_eq!(
        state(&base.app).await?,
        initial,
        "loop left something behind"
    );
    base.app.stop().await
}
tests::on_both_backends!(
    an_endless_loop_is_stopped_by_the_deadline_inside_the_loop,
    super::endless_loop
);

/// After its source was refused, the new listing does not exist, and a valid write of it goes
/// through: the database is still fine.
async fn slug_stays_free(backend: Backend) -> anyhow::Result<()> {
    let base = arrange_base(backend).await?;
    let initial = state(&base.app).await?;
    let cases = source_cases();
    let syntax_error = cases
        .iter()
        .find(|c| c.what == "syntax error")
        .ok_or_else(|| anyhow::anyhow!("no syntax error case"))?;
    assert_refused(&base, &initial, syntax_error, "createConnector").await?;
    let Base { app, good, .. } = &base;
    let missing = app
        .graphql(None, r#"{ connector(slug: "fresh") { slug } }"#, json!({}))
        .await?;
    assert_eq!(error_code(&missing), Some("NOT_FOUND"), "{missing}");
    let body = send_source(&base, "createConnector", good).await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(raw_listing_and_version_rows(app.conn()?).await?, (2, 2));
    base.app.stop().await
}
tests::on_both_backends!(
    a_refused_listing_leaves_its_slug_free_for_a_valid_one,
    super::slug_stays_free
);
