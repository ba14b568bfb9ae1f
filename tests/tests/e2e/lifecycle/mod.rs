//! The workspace lifecycle over HTTP: a listing is published, a workspace installs it as an
//! editable copy, edits, releases, is told of new versions, previews and applies updates (merging
//! or replacing its edits), rolls back, and uninstalls; every step is on the audit log. Also the
//! install rules (already installed, yanked, default version) and who may read a copy's source.
//!
//! The story's steps are in `story.rs`; each file here states the rules of one part of it, each
//! test arranging the story up to the step it is about. `audit.rs` tells the whole story once.
mod audit;
mod edit;
mod install;
mod notices;
mod source;
mod story;
mod uninstall;
mod updates;

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{CREATE_CONNECTOR, PUBLISH_VERSION, create_input, payload};

// ---- Documents and helpers shared with `concurrency` and `notifications`. ----

pub const CREATE_WORKSPACE: &str = r#"
mutation($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) {
    workspace { slug name environment role permissions }
    userErrors { field message code }
  }
}"#;

pub const SET_MEMBER: &str = r#"
mutation($input: SetWorkspaceMemberInput!) {
  setWorkspaceMember(input: $input) {
    member { user { handle } role }
    userErrors { field message code }
  }
}"#;

pub const INSTALL: &str = r#"
mutation($input: InstallConnectorInput!) {
  installConnector(input: $input) {
    workspaceConnector { id name latestNumber releasedNumber parentVersion { version } }
    changed
    userErrors { field message code line column }
  }
}"#;

/// What a copy looks like to a developer (who may read source).
const COPY: &str = r#"
fragment Copy on WorkspaceConnector {
  id name latestNumber releasedNumber
  parentVersion { version }
  latest { number sha256 origin source baseVersion { version } author { handle } }
  released { number sha256 origin }
}"#;

const INSTALL_COPY: &str = r#"
mutation($input: InstallConnectorInput!) {
  installConnector(input: $input) { workspaceConnector { ...Copy } changed userErrors { field message code line column } }
}"#;

const EDIT: &str = r#"
mutation($input: EditWorkspaceConnectorInput!) {
  editWorkspaceConnector(input: $input) { workspaceConnector { ...Copy } changed userErrors { field message code line column } }
}"#;

const RELEASE: &str = r#"
mutation($input: WorkspaceConnectorInput!) {
  releaseWorkspaceConnector(input: $input) { workspaceConnector { ...Copy } changed userErrors { field message code line column } }
}"#;

const UPDATE: &str = r#"
mutation($input: UpdateWorkspaceConnectorInput!) {
  updateWorkspaceConnector(input: $input) { workspaceConnector { ...Copy } changed userErrors { field message code line column } }
}"#;

const RESTORE: &str = r#"
mutation($input: RestoreWorkspaceConnectorVersionInput!) {
  restoreWorkspaceConnectorVersion(input: $input) { workspaceConnector { ...Copy } changed userErrors { field message code line column } }
}"#;

pub const UNINSTALL: &str = r#"
mutation($input: WorkspaceConnectorInput!) {
  uninstallWorkspaceConnector(input: $input) { uninstalledId userErrors { field message code } }
}"#;

const MARK_READ: &str = r#"
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { marked unreadCount }
}"#;

const WORKSPACE_COPY: &str = r#"
query($ws: String!, $id: ID!) {
  workspace(slug: $ws) {
    connector(id: $id) {
      ...Copy
      versions { number sha256 origin source }
      updateAvailable { version }
    }
  }
}"#;

const NOTIFICATIONS: &str = r#"
query($ws: String!, $unreadOnly: Boolean!) {
  workspace(slug: $ws) {
    unreadNotificationCount
    notifications(unreadOnly: $unreadOnly) {
      kind title message breakingMessage workspaceConnectorId version { version } readAt
    }
  }
}"#;

const PREVIEW: &str = r#"
query($ws: String!, $id: ID!) {
  workspace(slug: $ws) {
    connector(id: $id) {
      updateAvailable { version }
      updatePreview {
        fromNumber toVersion { version } hasLocalEdits sourceDiff linesAdded linesRemoved
        capabilityDiff {
          actionsAdded actionsRemoved actionsChanged { name } triggersAdded triggersRemoved
          hostsAdded hostsRemoved connectionFieldsAdded connectionFieldsRemoved breakingHints
        }
      }
    }
  }
}"#;

const LISTING_METRICS: &str = r#"
query($slug: String!) {
  connector(slug: $slug) {
    metrics { totalInstalls activeInstalls }
    versions { edges { node { version installs activeInstalls } } }
  }
}"#;

const AUDIT: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) {
    auditEvents(first: 100) { action objectType objectId outcome actor { handle } detail }
  }
}"#;

/// `createWorkspace` as the holder of `token`, who becomes its admin; fails on user errors.
pub async fn create_workspace(app: &TestApp, token: &str, slug: &str) -> anyhow::Result<Value> {
    let body = app
        .graphql(
            Some(token),
            CREATE_WORKSPACE,
            json!({ "input": { "slug": slug, "name": format!("Workspace {slug}"), "environment": "DEVELOPMENT" } }),
        )
        .await?;
    let p = payload(&body, "createWorkspace")?;
    anyhow::ensure!(p["userErrors"] == json!([]), "createWorkspace: {body}");
    Ok(p["workspace"].clone())
}

/// `setWorkspaceMember` as the holder of `token`; fails on errors of any kind.
pub async fn set_member(
    app: &TestApp,
    token: &str,
    workspace: &str,
    handle: &str,
    role: &str,
) -> anyhow::Result<()> {
    let body = app
        .graphql(
            Some(token),
            SET_MEMBER,
            json!({ "input": { "workspace": workspace, "handle": handle, "role": role } }),
        )
        .await?;
    let p = payload(&body, "setWorkspaceMember")?;
    anyhow::ensure!(
        p == &json!({ "member": { "user": { "handle": handle }, "role": role }, "userErrors": [] }),
        "setWorkspaceMember: {body}"
    );
    Ok(())
}

/// `createConnector` with `source` as version 1.0.0; fails on errors of any kind.
pub async fn create_listing(
    app: &TestApp,
    token: &str,
    slug: &str,
    name: &str,
    source: &str,
) -> anyhow::Result<()> {
    let body = app
        .graphql(
            Some(token),
            CREATE_CONNECTOR,
            json!({ "input": create_input(slug, name, "data", source) }),
        )
        .await?;
    let p = payload(&body, "createConnector")?;
    anyhow::ensure!(p["userErrors"] == json!([]), "createConnector: {body}");
    Ok(())
}

/// `publishVersion`; fails on errors of any kind; returns the version.
pub async fn publish(app: &TestApp, token: &str, input: Value) -> anyhow::Result<Value> {
    let body = app
        .graphql(Some(token), PUBLISH_VERSION, json!({ "input": input }))
        .await?;
    let p = payload(&body, "publishVersion")?;
    anyhow::ensure!(p["userErrors"] == json!([]), "publishVersion: {body}");
    Ok(p["version"].clone())
}

/// The payload of a lifecycle mutation whose copy is selected with the `Copy` fragment.
async fn copy_mutation(
    app: &TestApp,
    token: &str,
    document: &str,
    field: &str,
    input: Value,
) -> anyhow::Result<Value> {
    let body = app
        .graphql(
            Some(token),
            &format!("{document}{COPY}"),
            json!({ "input": input }),
        )
        .await?;
    Ok(payload(&body, field)?.clone())
}

/// The payload of a lifecycle mutation that must succeed and change something.
async fn changed(
    app: &TestApp,
    token: &str,
    document: &str,
    field: &str,
    input: Value,
) -> anyhow::Result<Value> {
    let p = copy_mutation(app, token, document, field, input).await?;
    anyhow::ensure!(
        p["userErrors"] == json!([]) && p["changed"] == true,
        "{field}: {p}"
    );
    Ok(p["workspaceConnector"].clone())
}

async fn copy_of(app: &TestApp, token: &str, ws: &str, id: &Value) -> anyhow::Result<Value> {
    let data = app
        .data(
            Some(token),
            &format!("{WORKSPACE_COPY}{COPY}"),
            json!({ "ws": ws, "id": id }),
        )
        .await?;
    Ok(data["workspace"]["connector"].clone())
}

/// The `+`/`-` lines of a unified diff, headers and hunk markers left out.
fn changed_lines(diff: &str) -> Vec<&str> {
    diff.lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++ ")
                && !l.starts_with("--- ")
        })
        .collect()
}

/// Every permission a developer holds, in the schema's order.
pub const DEVELOPER_PERMISSIONS: [&str; 12] = [
    "CONNECTOR_INSTALL",
    "CONNECTOR_VIEW_SOURCE",
    "CONNECTOR_EDIT",
    "CONNECTOR_RELEASE",
    "CONNECTOR_UNINSTALL",
    "CONNECTOR_TEST",
    "RECIPE_READ",
    "RECIPE_WRITE",
    "RECIPE_RUN",
    "CONNECTION_WRITE",
    "PACKAGE_EXPORT",
    "PACKAGE_IMPORT",
];

const ORIGINAL_DESCRIPTION: &str = "  description: \"Test connector\",";
const LOCAL_DESCRIPTION: &str = "  description: \"Tuned for the ops team\",";
const V2_DESCRIPTION: &str = "  description: \"Weather, second edition\",";
