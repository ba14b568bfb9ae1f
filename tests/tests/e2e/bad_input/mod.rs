//! Refusals: invalid connector source, conflicts, unknown listings, missing or insufficient
//! credentials, malformed fields and pagination arguments. Every refused write leaves nothing
//! behind, checked over GraphQL and in the raw tables.
mod arguments;
mod nul_bytes;
mod sources;
mod writes;

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{
    CREATE_CONNECTOR, connector_source, create_input, payload, raw_listing_and_version_rows,
};

const STATE: &str = r#"{
  connectors(includeDeprecated: true) { totalCount }
  connector(slug: "base") { name summary keywords latestVersion { version } versions { totalCount } }
}"#;

/// What a failed write must not change: the catalog and the base listing as GraphQL shows them,
/// and the raw row counts of `connectors` and `connector_versions`.
type State = (Value, (u64, u64));

async fn state(app: &TestApp) -> anyhow::Result<State> {
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

/// A server where `ada` owns the listing `base` (version 1.0.0 of `good`).
struct Base {
    app: TestApp,
    /// `ada`'s token.
    ada: String,
    /// A valid source, the one `base` 1.0.0 was published with.
    good: String,
}

/// Start a server and arrange [`Base`]: `ada` creates `base` with no user errors.
async fn arrange_base(backend: tests::Backend) -> anyhow::Result<Base> {
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
    Ok(Base { app, ada, good })
}
