//! A NUL byte in free text (which PostgreSQL cannot store in text columns) is the caller's
//! problem or is stored as sent; never an internal error, never half a listing.

use serde_json::{Value, json};
use tests::{Backend, error_code};

use super::{arrange_base, only_user_error, state};
use crate::fixtures::{CREATE_CONNECTOR, connector_source, create_input, payload};

async fn nul_bytes(backend: Backend) -> anyhow::Result<()> {
    let base = arrange_base(backend).await?;
    let (app, ada, good) = (&base.app, &base.ada, &base.good);
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
        let before = state(app).await?;
        let slug = format!("nul-{i}");
        let mut input = create_input(&slug, "Fine", "utilities", good);
        input[key] = value.clone();
        let body = app
            .graphql(Some(ada), CREATE_CONNECTOR, json!({ "input": input }))
            .await?;
        if let Some(code) = error_code(&body) {
            // Reported at the end, so that every field is tried; half-writes fail at once.
            internal.push(format!("{what}: {code}"));
            assert_eq!(state(app).await?, before, "{what} left something behind");
            continue;
        }
        let p = payload(&body, "createConnector")?;
        if p["userErrors"] == json!([]) {
            // Stored: it reads back exactly as sent.
            let stored = app
                .data(
                    Some(ada),
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
            assert_eq!(state(app).await?, before, "{what} left something behind");
        }
    }
    assert!(
        internal.is_empty(),
        "GraphQL errors instead of userErrors: {internal:?}"
    );
    base.app.stop().await
}
tests::on_both_backends!(
    nul_bytes_in_text_never_cause_internal_errors,
    super::nul_bytes
);
