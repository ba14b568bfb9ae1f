//! The one rule for reading connector source (`service::authz::source`), as both places that
//! show source apply it: a community version's `source(workspace:)` and a workspace copy's.
//! Each test states one rule.

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{CREATE_CONNECTOR, PUBLISH_VERSION, connector_source, create_input, payload};
use crate::lifecycle::{CREATE_WORKSPACE, INSTALL, SET_MEMBER};

const VERSION_SOURCE: &str = r#"
query($ws: String) { connector(slug: "vault") { version(version: "1.0.0") { source(workspace: $ws) } } }"#;

const AUDIT: &str = r#"
query { workspace(slug: "ops") { auditEvents(first: 50) { action objectType outcome detail } } }"#;

const PREVIEW: &str = r#"
query { workspace(slug: "ops") { connectors { updateAvailable { version } updatePreview { sourceDiff linesAdded toVersion { version } } } } }"#;

/// A closed-source listing `vault` (1.0.0 and 1.1.0) by `author`, installed at 1.0.0 into `ops`
/// by its developer `dev`; `admin` runs the workspace. Returns (author, admin, dev) tokens.
async fn closed_listing_installed(app: &TestApp) -> anyhow::Result<(String, String, String)> {
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let dev = app.user_with_token("dev").await?;
    let source = connector_source("Vault", &[("read_secret", "Read secret")]);
    let mut input = create_input("vault", "Vault", "security", &source);
    input["sourceHidden"] = json!(true);
    let body = app
        .graphql(Some(&author), CREATE_CONNECTOR, json!({ "input": input }))
        .await?;
    assert_eq!(payload(&body, "createConnector")?["userErrors"], json!([]));
    let newer = connector_source("Vault", &[("read_secret", "Read a secret")]);
    let body = app
        .graphql(
            Some(&author),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "vault", "version": "1.1.0", "source": newer } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "publishVersion")?["userErrors"],
        json!([]),
        "{body}"
    );
    let body = app
        .graphql(
            Some(&admin),
            CREATE_WORKSPACE,
            json!({ "input": { "slug": "ops", "name": "Ops", "environment": "DEVELOPMENT" } }),
        )
        .await?;
    assert_eq!(payload(&body, "createWorkspace")?["userErrors"], json!([]));
    let member = json!({ "input": { "workspace": "ops", "handle": "dev", "role": "developer" } });
    let body = app.graphql(Some(&admin), SET_MEMBER, member).await?;
    assert_eq!(
        payload(&body, "setWorkspaceMember")?["userErrors"],
        json!([])
    );
    let install =
        json!({ "input": { "workspace": "ops", "connector": "vault", "version": "1.0.0" } });
    let body = app.graphql(Some(&dev), INSTALL, install).await?;
    assert_eq!(
        payload(&body, "installConnector")?["userErrors"],
        json!([]),
        "{body}"
    );
    Ok((author, admin, dev))
}

fn closed_source_refusals(audit: &Value) -> Vec<&Value> {
    audit["workspace"]["auditEvents"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter(|e| {
                    e["action"] == "connector.view_source"
                        && e["outcome"] == "denied"
                        && e["detail"]
                            .as_str()
                            .is_some_and(|d| d.contains("closed source"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Refusing a closed-source catalog version to a reader who names their workspace is on that
/// workspace's audit log, as refusing the copy's source is.
async fn catalog_refusal_is_audited(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, admin, dev) = closed_listing_installed(&app).await?;
    let body = app
        .graphql(Some(&dev), VERSION_SOURCE, json!({ "ws": "ops" }))
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let audit = app.data(Some(&admin), AUDIT, json!({})).await?;
    let refusals = closed_source_refusals(&audit);
    assert_eq!(refusals.len(), 1, "{audit}");
    assert_eq!(refusals[0]["objectType"], "connector_version", "{audit}");
    app.stop().await
}
tests::on_both_backends!(
    a_closed_catalog_version_refused_is_audited,
    super::catalog_refusal_is_audited
);

/// A preview only shows or hides its diff: for a reader the rule refuses it is null, and
/// nothing is written to the audit log by asking.
async fn preview_writes_nothing(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, admin, dev) = closed_listing_installed(&app).await?;
    let before = app.data(Some(&admin), AUDIT, json!({})).await?;
    let seen = app.data(Some(&dev), PREVIEW, json!({})).await?;
    let copy = &seen["workspace"]["connectors"][0];
    assert_eq!(copy["updateAvailable"]["version"], "1.1.0", "{seen}");
    assert_eq!(
        copy["updatePreview"]["toVersion"]["version"], "1.1.0",
        "{seen}"
    );
    assert_eq!(copy["updatePreview"]["sourceDiff"], Value::Null, "{seen}");
    assert_eq!(copy["updatePreview"]["linesAdded"], 1, "{seen}");
    let after = app.data(Some(&admin), AUDIT, json!({})).await?;
    assert_eq!(before, after, "asking for a preview wrote to the audit log");
    app.stop().await
}
tests::on_both_backends!(
    an_update_preview_hides_a_closed_diff_and_writes_nothing,
    super::preview_writes_nothing
);

/// The listing's owner reads a closed version's source without naming any workspace; anyone
/// else needs a workspace where they hold the permission.
async fn owners_need_no_workspace(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (author, _, dev) = closed_listing_installed(&app).await?;
    let owned = app.data(Some(&author), VERSION_SOURCE, json!({})).await?;
    assert!(
        owned["connector"]["version"]["source"]
            .as_str()
            .is_some_and(|s| s.contains("Read secret")),
        "{owned}"
    );
    let body = app.graphql(Some(&dev), VERSION_SOURCE, json!({})).await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    app.stop().await
}
tests::on_both_backends!(
    an_owner_reads_source_without_a_workspace,
    super::owners_need_no_workspace
);
