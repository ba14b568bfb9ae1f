//! The workspace lifecycle over HTTP: a listing is published, a workspace installs it as an
//! editable copy, edits, releases, is told of new versions, previews and applies updates (merging
//! or replacing its edits), rolls back, and uninstalls; every step is on the audit log. Also the
//! install rules (already installed, yanked, default version) and who may read a copy's source.

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{
    CREATE_CONNECTOR, PUBLISH_VERSION, YANK_VERSION, connector_source, create_input, payload,
    sha256_hex,
};

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

/// The whole story, step by step, with the audit log checked at the end.
async fn whole_story(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let dev = app.user_with_token("dev").await?;
    let analyst = app.user_with_token("analyst").await?;

    // The author publishes 1.0.0.
    let source_100 = connector_source("Weather", &[("forecast", "Forecast")]);
    create_listing(&app, &author, "weather", "Weather", &source_100).await?;

    // An admin creates a workspace and adds a developer and an analyst.
    let ws = create_workspace(&app, &admin, "ops").await?;
    let all_permissions: Vec<&str> = vec![
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
        "WORKSPACE_MANAGE_MEMBERS",
        "WORKSPACE_MANAGE_ROLES",
        "AUDIT_READ",
    ];
    assert_eq!(
        ws,
        json!({ "slug": "ops", "name": "Workspace ops", "environment": "DEVELOPMENT",
                "role": "admin", "permissions": all_permissions })
    );
    set_member(&app, &admin, "ops", "dev", "developer").await?;
    set_member(&app, &admin, "ops", "analyst", "analyst").await?;

    // The developer sees the workspace among theirs, with their role and permissions.
    let mine = app
        .data(
            Some(&dev),
            "{ myWorkspaces { role permissions workspace { slug environment role } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        mine["myWorkspaces"],
        json!([{ "role": "developer", "permissions": DEVELOPER_PERMISSIONS,
                 "workspace": { "slug": "ops", "environment": "DEVELOPMENT", "role": "developer" } }])
    );

    // An analyst may not install: FORBIDDEN, and nothing is created.
    let denied = app
        .graphql(
            Some(&analyst),
            INSTALL,
            json!({ "input": { "workspace": "ops", "connector": "weather" } }),
        )
        .await?;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"), "{denied}");
    assert_eq!(denied["data"], Value::Null, "{denied}");

    // Install: version 1 is the 1.0.0 source, nothing released yet.
    let copy = changed(
        &app,
        &dev,
        INSTALL_COPY,
        "installConnector",
        json!({ "workspace": "ops", "connector": "weather" }),
    )
    .await?;
    let id = copy["id"].clone();
    let sha_100 = sha256_hex(&source_100);
    assert_eq!(
        copy,
        json!({
            "id": id, "name": "Weather", "latestNumber": 1, "releasedNumber": null,
            "parentVersion": { "version": "1.0.0" },
            "latest": { "number": 1, "sha256": sha_100, "origin": "INSTALLED", "source": source_100,
                        "baseVersion": { "version": "1.0.0" }, "author": { "handle": "dev" } },
            "released": null,
        })
    );

    // Edit: version 2, released still unset.
    let source_edited = source_100.replace(ORIGINAL_DESCRIPTION, LOCAL_DESCRIPTION);
    assert_ne!(source_edited, source_100);
    let copy = changed(
        &app,
        &dev,
        EDIT,
        "editWorkspaceConnector",
        json!({ "workspaceConnectorId": id, "source": source_edited }),
    )
    .await?;
    let sha_edited = sha256_hex(&source_edited);
    assert_eq!(copy["latestNumber"], 2);
    assert_eq!(copy["releasedNumber"], Value::Null);
    assert_eq!(copy["parentVersion"], json!({ "version": "1.0.0" }));
    assert_eq!(
        copy["latest"],
        json!({ "number": 2, "sha256": sha_edited, "origin": "EDITED", "source": source_edited,
                "baseVersion": { "version": "1.0.0" }, "author": { "handle": "dev" } })
    );
    assert_eq!(copy["released"], Value::Null);

    // Saving the same source again changes nothing; invalid source is refused with its line.
    let same = copy_mutation(
        &app,
        &dev,
        EDIT,
        "editWorkspaceConnector",
        json!({ "workspaceConnectorId": id, "source": source_edited }),
    )
    .await?;
    assert_eq!(same["changed"], false, "{same}");
    assert_eq!(same["userErrors"], json!([]));
    assert_eq!(same["workspaceConnector"]["latestNumber"], 2);
    let broken = copy_mutation(
        &app,
        &dev,
        EDIT,
        "editWorkspaceConnector",
        json!({ "workspaceConnectorId": id, "source": source_edited.replace("title: \"Forecast\",", "title: ,") }),
    )
    .await?;
    assert_eq!(broken["workspaceConnector"], Value::Null, "{broken}");
    assert_eq!(broken["changed"], false, "{broken}");
    assert_eq!(broken["userErrors"][0]["field"], json!(["input", "source"]));
    assert_eq!(broken["userErrors"][0]["code"], "BAD_USER_INPUT");
    assert_eq!(broken["userErrors"][0]["line"], 13, "{broken}");
    assert_eq!(copy_of(&app, &dev, "ops", &id).await?["latestNumber"], 2);

    // To someone outside the workspace the copy does not exist, exactly like a missing one.
    let outsider = app.user_with_token("outsider").await?;
    let missing = api::graphql::ids::encode(api::graphql::ids::Kind::WorkspaceConnector, 1_000_000);
    let mut answers = Vec::new();
    for (token, target) in [(&outsider, id.clone()), (&dev, json!(missing.as_str()))] {
        let body = app
            .graphql(
                Some(token),
                &format!("{RELEASE}{COPY}"),
                json!({ "input": { "workspaceConnectorId": target } }),
            )
            .await?;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);

    // Release: released = 2. Releasing again changes nothing.
    let copy = changed(
        &app,
        &dev,
        RELEASE,
        "releaseWorkspaceConnector",
        json!({ "workspaceConnectorId": id }),
    )
    .await?;
    assert_eq!(copy["releasedNumber"], 2);
    assert_eq!(
        copy["released"],
        json!({ "number": 2, "sha256": sha_edited, "origin": "EDITED" })
    );
    let again = copy_mutation(
        &app,
        &dev,
        RELEASE,
        "releaseWorkspaceConnector",
        json!({ "workspaceConnectorId": id }),
    )
    .await?;
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(again["userErrors"], json!([]));
    assert_eq!(again["workspaceConnector"]["latestNumber"], 2);
    assert_eq!(again["workspaceConnector"]["releasedNumber"], 2);

    // No notice yet, and nothing to update to.
    let notes = app
        .data(
            Some(&dev),
            NOTIFICATIONS,
            json!({ "ws": "ops", "unreadOnly": false }),
        )
        .await?;
    assert_eq!(
        notes["workspace"],
        json!({ "unreadNotificationCount": 0, "notifications": [] })
    );

    // The author publishes 1.1.0, which adds an action below the line the workspace edited.
    let source_110 = connector_source("Weather", &[("forecast", "Forecast"), ("alerts", "Alerts")]);
    let notes_110 = "- New action **Alerts**";
    publish(
        &app,
        &author,
        json!({ "slug": "weather", "version": "1.1.0", "source": source_110, "releaseNotes": notes_110 }),
    )
    .await?;
    let notes = app
        .data(
            Some(&dev),
            NOTIFICATIONS,
            json!({ "ws": "ops", "unreadOnly": true }),
        )
        .await?;
    assert_eq!(
        notes["workspace"],
        json!({
            "unreadNotificationCount": 1,
            "notifications": [{
                "kind": "connector_update_available", "title": "Weather 1.1.0 is available",
                "message": notes_110, "breakingMessage": null, "workspaceConnectorId": id,
                "version": { "version": "1.1.0" }, "readAt": null,
            }],
        })
    );

    // The preview: source diff from version 2 to 1.1.0, capability diff, local edits.
    let preview = app
        .data(Some(&dev), PREVIEW, json!({ "ws": "ops", "id": id }))
        .await?;
    let connector = &preview["workspace"]["connector"];
    assert_eq!(connector["updateAvailable"], json!({ "version": "1.1.0" }));
    let p = &connector["updatePreview"];
    assert_eq!(p["fromNumber"], 2);
    assert_eq!(p["toVersion"], json!({ "version": "1.1.0" }));
    assert_eq!(p["hasLocalEdits"], true);
    let diff = p["sourceDiff"].as_str().unwrap_or_default();
    assert_eq!(
        diff.lines().take(2).collect::<Vec<_>>(),
        vec!["--- workspace v2", "+++ community 1.1.0"],
        "{diff}"
    );
    let added_action = [
        "+    alerts: {",
        "+      title: \"Alerts\",",
        "+      input_fields: [ { name: \"id\" } ],",
        "+      output_fields: [ { name: \"ok\", type: \"boolean\" } ],",
        "+      execute: (connection, input) => get(`/items/${input.id}`),",
        "+    },",
    ];
    let mut expected_lines = vec![
        format!("-{LOCAL_DESCRIPTION}"),
        format!("+{ORIGINAL_DESCRIPTION}"),
    ];
    expected_lines.extend(added_action.iter().map(|l| (*l).to_owned()));
    assert_eq!(changed_lines(diff), expected_lines, "{diff}");
    assert_eq!(p["linesAdded"], 7);
    assert_eq!(p["linesRemoved"], 1);
    assert_eq!(
        p["capabilityDiff"],
        json!({
            "actionsAdded": ["alerts"], "actionsRemoved": [], "actionsChanged": [],
            "triggersAdded": [], "triggersRemoved": [], "hostsAdded": [], "hostsRemoved": [],
            "connectionFieldsAdded": [], "connectionFieldsRemoved": [], "breakingHints": [],
        })
    );

    // An analyst sees what the update changes, but not the source.
    let seen = app
        .data(Some(&analyst), PREVIEW, json!({ "ws": "ops", "id": id }))
        .await?;
    let q = &seen["workspace"]["connector"]["updatePreview"];
    assert_eq!(q["sourceDiff"], Value::Null);
    assert_eq!(q["linesAdded"], 7);
    assert_eq!(q["capabilityDiff"], p["capabilityDiff"]);
    let body = app
        .graphql(
            Some(&analyst),
            &format!("{WORKSPACE_COPY}{COPY}"),
            json!({ "ws": "ops", "id": id }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

    // Updating a copy with local edits needs a strategy.
    let refused = copy_mutation(
        &app,
        &dev,
        UPDATE,
        "updateWorkspaceConnector",
        json!({ "workspaceConnectorId": id }),
    )
    .await?;
    assert_eq!(
        refused,
        json!({
            "workspaceConnector": null, "changed": false,
            "userErrors": [{
                "field": ["input", "strategy"],
                "message": "the latest version has local edits: choose REPLACE (keep them only in history) or MERGE",
                "code": "BAD_USER_INPUT", "line": null, "column": null,
            }],
        })
    );

    // MERGE: the local edit and the author's new action do not overlap: version 3 holds both,
    // the parent moves to 1.1.0, released stays at 2.
    let copy = changed(
        &app,
        &dev,
        UPDATE,
        "updateWorkspaceConnector",
        json!({ "workspaceConnectorId": id, "strategy": "MERGE" }),
    )
    .await?;
    let source_merged = source_110.replace(ORIGINAL_DESCRIPTION, LOCAL_DESCRIPTION);
    assert_ne!(source_merged, source_110);
    let sha_merged = sha256_hex(&source_merged);
    assert_eq!(copy["latestNumber"], 3);
    assert_eq!(copy["releasedNumber"], 2);
    assert_eq!(copy["parentVersion"], json!({ "version": "1.1.0" }));
    assert_eq!(
        copy["latest"],
        json!({ "number": 3, "sha256": sha_merged, "origin": "UPDATED", "source": source_merged,
                "baseVersion": { "version": "1.1.0" }, "author": { "handle": "dev" } })
    );
    assert_eq!(
        copy["released"],
        json!({ "number": 2, "sha256": sha_edited, "origin": "EDITED" })
    );
    let now = copy_of(&app, &dev, "ops", &id).await?;
    assert_eq!(now["updateAvailable"], Value::Null);

    // Release 3.
    let copy = changed(
        &app,
        &dev,
        RELEASE,
        "releaseWorkspaceConnector",
        json!({ "workspaceConnectorId": id }),
    )
    .await?;
    assert_eq!(copy["releasedNumber"], 3);
    assert_eq!(copy["released"]["sha256"], sha_merged.as_str());

    // The author publishes 2.0.0, which changes the very line the workspace edited, as a
    // breaking version.
    let source_200 = source_110.replace(ORIGINAL_DESCRIPTION, V2_DESCRIPTION);
    assert_ne!(source_200, source_110);
    let breaking = "The forecast action now needs a city";
    publish(
        &app,
        &author,
        json!({ "slug": "weather", "version": "2.0.0", "source": source_200,
                "releaseNotes": "Second edition", "breaking": breaking }),
    )
    .await?;
    let notes = app
        .data(
            Some(&dev),
            NOTIFICATIONS,
            json!({ "ws": "ops", "unreadOnly": false }),
        )
        .await?;
    assert_eq!(notes["workspace"]["unreadNotificationCount"], 2);
    assert_eq!(
        notes["workspace"]["notifications"],
        json!([
            { "kind": "connector_update_available", "title": "Weather 2.0.0 is available",
              "message": "Second edition", "breakingMessage": breaking, "workspaceConnectorId": id,
              "version": { "version": "2.0.0" }, "readAt": null },
            { "kind": "connector_update_available", "title": "Weather 1.1.0 is available",
              "message": notes_110, "breakingMessage": null, "workspaceConnectorId": id,
              "version": { "version": "1.1.0" }, "readAt": null },
        ])
    );

    // MERGE now conflicts on line 3, and nothing is written.
    let before = copy_of(&app, &dev, "ops", &id).await?;
    let conflict = copy_mutation(
        &app,
        &dev,
        UPDATE,
        "updateWorkspaceConnector",
        json!({ "workspaceConnectorId": id, "strategy": "MERGE" }),
    )
    .await?;
    assert_eq!(
        conflict,
        json!({
            "workspaceConnector": null, "changed": false,
            "userErrors": [{
                "field": ["input", "strategy"],
                "message": "merge conflict at line 3 of the local version: local and incoming both changed it",
                "code": "CONFLICT", "line": 3, "column": null,
            }],
        })
    );
    let after = copy_of(&app, &dev, "ops", &id).await?;
    assert_eq!(after, before);
    assert_eq!(after["latestNumber"], 3);
    assert_eq!(after["versions"].as_array().map(Vec::len), Some(3));
    assert_eq!(after["parentVersion"], json!({ "version": "1.1.0" }));

    // REPLACE: version 4 is exactly 2.0.0; released stays at 3.
    let copy = changed(
        &app,
        &dev,
        UPDATE,
        "updateWorkspaceConnector",
        json!({ "workspaceConnectorId": id, "strategy": "REPLACE" }),
    )
    .await?;
    let sha_200 = sha256_hex(&source_200);
    assert_eq!(copy["latestNumber"], 4);
    assert_eq!(copy["releasedNumber"], 3);
    assert_eq!(copy["parentVersion"], json!({ "version": "2.0.0" }));
    assert_eq!(
        copy["latest"],
        json!({ "number": 4, "sha256": sha_200, "origin": "UPDATED", "source": source_200,
                "baseVersion": { "version": "2.0.0" }, "author": { "handle": "dev" } })
    );

    // Restore 2: version 5 is a copy of version 2; release it to roll back.
    let copy = changed(
        &app,
        &dev,
        RESTORE,
        "restoreWorkspaceConnectorVersion",
        json!({ "workspaceConnectorId": id, "number": 2 }),
    )
    .await?;
    assert_eq!(copy["latestNumber"], 5);
    assert_eq!(copy["releasedNumber"], 3);
    assert_eq!(copy["latest"]["number"], 5);
    assert_eq!(copy["latest"]["origin"], "RESTORED");
    assert_eq!(copy["latest"]["source"], source_edited.as_str());
    assert_eq!(copy["latest"]["sha256"], sha_edited.as_str());
    let copy = changed(
        &app,
        &dev,
        RELEASE,
        "releaseWorkspaceConnector",
        json!({ "workspaceConnectorId": id }),
    )
    .await?;
    assert_eq!(copy["releasedNumber"], 5);
    assert_eq!(
        copy["released"],
        json!({ "number": 5, "sha256": sha_edited, "origin": "RESTORED" })
    );
    let history = copy_of(&app, &dev, "ops", &id).await?;
    assert_eq!(
        history["versions"],
        json!([
            { "number": 5, "sha256": sha_edited, "origin": "RESTORED", "source": source_edited },
            { "number": 4, "sha256": sha_200, "origin": "UPDATED", "source": source_200 },
            { "number": 3, "sha256": sha_merged, "origin": "UPDATED", "source": source_merged },
            { "number": 2, "sha256": sha_edited, "origin": "EDITED", "source": source_edited },
            { "number": 1, "sha256": sha_100, "origin": "INSTALLED", "source": source_100 },
        ])
    );

    // Mark the notices read.
    let marked = app
        .data(
            Some(&dev),
            MARK_READ,
            json!({ "input": { "workspace": "ops" } }),
        )
        .await?;
    assert_eq!(
        marked["markNotificationsRead"],
        json!({ "marked": 2, "unreadCount": 0 })
    );
    let notes = app
        .data(
            Some(&dev),
            NOTIFICATIONS,
            json!({ "ws": "ops", "unreadOnly": true }),
        )
        .await?;
    assert_eq!(
        notes["workspace"],
        json!({ "unreadNotificationCount": 0, "notifications": [] })
    );

    // Before uninstalling: one active install, on 2.0.0.
    let metrics = app
        .data(None, LISTING_METRICS, json!({ "slug": "weather" }))
        .await?;
    assert_eq!(
        metrics["connector"],
        json!({
            "metrics": { "totalInstalls": 1, "activeInstalls": 1 },
            "versions": { "edges": [
                { "node": { "version": "2.0.0", "installs": 0, "activeInstalls": 1 } },
                { "node": { "version": "1.1.0", "installs": 0, "activeInstalls": 0 } },
                { "node": { "version": "1.0.0", "installs": 1, "activeInstalls": 0 } },
            ] },
        })
    );

    // Uninstall: gone; no active install left, the install stays counted.
    let body = app
        .graphql(
            Some(&dev),
            UNINSTALL,
            json!({ "input": { "workspaceConnectorId": id } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "uninstallWorkspaceConnector")?,
        &json!({ "uninstalledId": id, "userErrors": [] })
    );
    let gone = app
        .data(
            Some(&dev),
            "query($id: ID!) { workspace(slug: \"ops\") { connectors { id } connector(id: $id) { id } } }",
            json!({ "id": id }),
        )
        .await?;
    assert_eq!(
        gone["workspace"],
        json!({ "connectors": [], "connector": null })
    );
    let metrics = app
        .data(None, LISTING_METRICS, json!({ "slug": "weather" }))
        .await?;
    assert_eq!(
        metrics["connector"],
        json!({
            "metrics": { "totalInstalls": 1, "activeInstalls": 0 },
            "versions": { "edges": [
                { "node": { "version": "2.0.0", "installs": 0, "activeInstalls": 0 } },
                { "node": { "version": "1.1.0", "installs": 0, "activeInstalls": 0 } },
                { "node": { "version": "1.0.0", "installs": 1, "activeInstalls": 0 } },
            ] },
        })
    );

    // The audit log, oldest first: every change in order, and the analyst's denied attempt.
    let raw_id = id
        .as_str()
        .and_then(|id| {
            api::graphql::ids::decode_as(api::graphql::ids::Kind::WorkspaceConnector, id)
        })
        .map(|id| id.to_string())
        .ok_or_else(|| anyhow::anyhow!("not a workspace connector id: {id}"))?;
    let audit = app
        .data(Some(&admin), AUDIT, json!({ "ws": "ops" }))
        .await?;
    let mut events = Vec::new();
    for event in audit["workspace"]["auditEvents"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let mut event = event.clone();
        let detail = event["detail"].as_str().unwrap_or_default();
        event["detail"] = serde_json::from_str(detail)?;
        events.push(event);
    }
    events.reverse();
    let copy_event = |action: &str, detail: Value| {
        json!({ "action": action, "objectType": "workspace_connector", "objectId": raw_id,
                "outcome": "success", "actor": { "handle": "dev" }, "detail": detail })
    };
    assert_eq!(
        events,
        vec![
            json!({ "action": "workspace.create", "objectType": "workspace", "objectId": "ops",
                    "outcome": "success", "actor": { "handle": "admin" }, "detail": {} }),
            json!({ "action": "workspace.manage_members", "objectType": "member", "objectId": "dev",
                    "outcome": "success", "actor": { "handle": "admin" }, "detail": { "role": "developer" } }),
            json!({ "action": "workspace.manage_members", "objectType": "member", "objectId": "analyst",
                    "outcome": "success", "actor": { "handle": "admin" }, "detail": { "role": "analyst" } }),
            json!({ "action": "connector.install", "objectType": "workspace", "objectId": "ops",
                    "outcome": "denied", "actor": { "handle": "analyst" }, "detail": { "role": "analyst" } }),
            copy_event(
                "connector.install",
                json!({ "listing": "weather", "version": "1.0.0" })
            ),
            copy_event("connector.edit", json!({ "number": 2 })),
            copy_event("connector.release", json!({ "from": null, "to": 2 })),
            copy_event(
                "connector.edit",
                json!({ "to": "1.1.0", "number": 3, "strategy": "merge" })
            ),
            copy_event("connector.release", json!({ "from": 2, "to": 3 })),
            copy_event(
                "connector.edit",
                json!({ "to": "2.0.0", "number": 4, "strategy": "replace" })
            ),
            copy_event("connector.edit", json!({ "restored": 2, "number": 5 })),
            copy_event("connector.release", json!({ "from": 3, "to": 5 })),
            json!({ "action": "notification.read", "objectType": "workspace", "objectId": "ops",
                    "outcome": "success", "actor": { "handle": "dev" }, "detail": { "marked": 2 } }),
            copy_event("connector.uninstall", json!({ "name": "Weather" })),
        ]
    );

    // Installed again: a new copy of the newest version; two installs, one active.
    let again = changed(
        &app,
        &dev,
        INSTALL_COPY,
        "installConnector",
        json!({ "workspace": "ops", "connector": "weather" }),
    )
    .await?;
    assert_ne!(again["id"], id);
    assert_eq!(again["latestNumber"], 1);
    assert_eq!(again["releasedNumber"], Value::Null);
    assert_eq!(again["parentVersion"], json!({ "version": "2.0.0" }));
    assert_eq!(again["latest"]["origin"], "INSTALLED");
    assert_eq!(again["latest"]["source"], source_200.as_str());
    let metrics = app
        .data(None, LISTING_METRICS, json!({ "slug": "weather" }))
        .await?;
    assert_eq!(
        metrics["connector"],
        json!({
            "metrics": { "totalInstalls": 2, "activeInstalls": 1 },
            "versions": { "edges": [
                { "node": { "version": "2.0.0", "installs": 1, "activeInstalls": 1 } },
                { "node": { "version": "1.1.0", "installs": 0, "activeInstalls": 0 } },
                { "node": { "version": "1.0.0", "installs": 1, "activeInstalls": 0 } },
            ] },
        })
    );

    // The log is the admin's to read, not the developer's.
    let hidden = app
        .graphql(Some(&dev), AUDIT, json!({ "ws": "ops" }))
        .await?;
    assert_eq!(error_code(&hidden), Some("FORBIDDEN"), "{hidden}");
    app.stop().await
}
tests::on_both_backends!(lifecycle_whole_story, super::whole_story);

/// Installing what is installed is a conflict; a yanked version cannot be installed; by default
/// the newest stable version that is not yanked is installed.
async fn install_rules(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let source = |n: usize| {
        let actions: Vec<(String, String)> = (0..n)
            .map(|i| (format!("action_{i}"), format!("Action {i}")))
            .collect();
        let refs: Vec<(&str, &str)> = actions
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        connector_source("Tides", &refs)
    };
    create_listing(&app, &author, "tides", "Tides", &source(1)).await?;
    publish(
        &app,
        &author,
        json!({ "slug": "tides", "version": "1.1.0", "source": source(2) }),
    )
    .await?;
    publish(
        &app,
        &author,
        json!({ "slug": "tides", "version": "1.2.0", "source": source(3) }),
    )
    .await?;
    let body = app
        .graphql(
            Some(&author),
            YANK_VERSION,
            json!({ "input": { "slug": "tides", "version": "1.2.0" } }),
        )
        .await?;
    assert_eq!(payload(&body, "yankVersion")?["userErrors"], json!([]));
    publish(
        &app,
        &author,
        json!({ "slug": "tides", "version": "1.3.0-beta.1", "source": source(4) }),
    )
    .await?;
    create_workspace(&app, &admin, "first").await?;
    create_workspace(&app, &admin, "second").await?;

    // Default: 1.1.0 (1.2.0 is yanked, 1.3.0-beta.1 is a pre-release).
    let body = app
        .graphql(
            Some(&admin),
            &format!("{INSTALL_COPY}{COPY}"),
            json!({ "input": { "workspace": "first", "connector": "tides" } }),
        )
        .await?;
    let p = payload(&body, "installConnector")?;
    assert_eq!(p["userErrors"], json!([]), "{body}");
    assert_eq!(p["workspaceConnector"]["parentVersion"]["version"], "1.1.0");
    assert_eq!(
        p["workspaceConnector"]["latest"]["source"],
        source(2).as_str()
    );
    assert_eq!(
        p["workspaceConnector"]["latest"]["sha256"],
        sha256_hex(&source(2)).as_str()
    );
    assert_eq!(p["workspaceConnector"]["latest"]["origin"], "INSTALLED");
    assert_eq!(p["workspaceConnector"]["releasedNumber"], Value::Null);

    // Again: a conflict, for the default and for an explicit version alike.
    for version in [Value::Null, json!("1.0.0")] {
        let body = app
            .graphql(
                Some(&admin),
                INSTALL,
                json!({ "input": { "workspace": "first", "connector": "tides", "version": version } }),
            )
            .await?;
        assert_eq!(
            payload(&body, "installConnector")?,
            &json!({
                "workspaceConnector": null, "changed": false,
                "userErrors": [{
                    "field": ["input", "connector"],
                    "message": "tides is already installed in this workspace; update it instead",
                    "code": "CONFLICT", "line": null, "column": null,
                }],
            })
        );
    }

    // A yanked version: a user error, and nothing is installed.
    let body = app
        .graphql(
            Some(&admin),
            INSTALL,
            json!({ "input": { "workspace": "second", "connector": "tides", "version": "1.2.0" } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "installConnector")?,
        &json!({
            "workspaceConnector": null, "changed": false,
            "userErrors": [{
                "field": ["input", "version"],
                "message": "version 1.2.0 of tides is yanked and cannot be newly installed",
                "code": "BAD_USER_INPUT", "line": null, "column": null,
            }],
        })
    );
    let none = app
        .data(
            Some(&admin),
            "{ workspace(slug: \"second\") { connectors { id } } }",
            json!({}),
        )
        .await?;
    assert_eq!(none["workspace"]["connectors"], json!([]));

    // A pre-release can be chosen explicitly.
    let body = app
        .graphql(
            Some(&admin),
            INSTALL,
            json!({ "input": { "workspace": "second", "connector": "tides", "version": "1.3.0-beta.1" } }),
        )
        .await?;
    let p = payload(&body, "installConnector")?;
    assert_eq!(p["userErrors"], json!([]), "{body}");
    assert_eq!(
        p["workspaceConnector"]["parentVersion"]["version"],
        "1.3.0-beta.1"
    );

    // Two installs counted, one per workspace.
    let metrics = app
        .data(None, LISTING_METRICS, json!({ "slug": "tides" }))
        .await?;
    assert_eq!(
        metrics["connector"]["metrics"],
        json!({ "totalInstalls": 2, "activeInstalls": 2 })
    );
    app.stop().await
}
tests::on_both_backends!(lifecycle_install_rules, super::install_rules);

const COPY_SOURCE: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) { connectors { id latestNumber latest { number sha256 source } } }
}"#;

const VERSION_SOURCE: &str = r#"
query($slug: String!, $ws: String) {
  connector(slug: $slug) { version(version: "1.0.0") { source(workspace: $ws) } }
}"#;

/// A closed-source listing installs, but its copy's source is hidden from the workspace's
/// developers (and so cannot be edited), while the listing's owner can read it.
async fn closed_source(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
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
    create_workspace(&app, &admin, "ops").await?;
    set_member(&app, &admin, "ops", "dev", "developer").await?;

    // The developer installs it.
    let body = app
        .graphql(
            Some(&dev),
            INSTALL,
            json!({ "input": { "workspace": "ops", "connector": "vault" } }),
        )
        .await?;
    let p = payload(&body, "installConnector")?;
    assert_eq!(p["userErrors"], json!([]), "{body}");
    assert_eq!(p["workspaceConnector"]["latestNumber"], 1);
    let id = p["workspaceConnector"]["id"].clone();

    // The copy's source is FORBIDDEN to the developer; its checksum is not secret.
    let body = app
        .graphql(Some(&dev), COPY_SOURCE, json!({ "ws": "ops" }))
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(
        body["errors"][0]["path"],
        json!(["workspace", "connectors", 0, "latest", "source"])
    );
    let sha = app
        .data(
            Some(&dev),
            "{ workspace(slug: \"ops\") { connectors { latest { sha256 } } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        sha["workspace"]["connectors"],
        json!([{ "latest": { "sha256": sha256_hex(&source) } }])
    );
    // So is the listing version's source, even naming the workspace.
    let body = app
        .graphql(
            Some(&dev),
            VERSION_SOURCE,
            json!({ "slug": "vault", "ws": "ops" }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

    // Editing it is refused, and nothing is written.
    let edited = source.replace("Read secret", "Read a secret");
    let body = app
        .graphql(
            Some(&dev),
            &format!("{EDIT}{COPY}"),
            json!({ "input": { "workspaceConnectorId": id, "source": edited } }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    let still = app
        .data(
            Some(&dev),
            "{ workspace(slug: \"ops\") { connectors { latestNumber } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        still["workspace"]["connectors"],
        json!([{ "latestNumber": 1 }])
    );

    // The owner reads the listing's source, and, as a member of the workspace, the copy's.
    let owned = app
        .data(Some(&author), VERSION_SOURCE, json!({ "slug": "vault" }))
        .await?;
    assert_eq!(owned["connector"]["version"]["source"], source.as_str());
    set_member(&app, &admin, "ops", "author", "developer").await?;
    let copy = app
        .data(Some(&author), COPY_SOURCE, json!({ "ws": "ops" }))
        .await?;
    assert_eq!(
        copy["workspace"]["connectors"],
        json!([{ "id": id, "latestNumber": 1,
                 "latest": { "number": 1, "sha256": sha256_hex(&source), "source": source } }])
    );
    app.stop().await
}
tests::on_both_backends!(lifecycle_closed_source, super::closed_source);

/// `ConnectorVersion.source(workspace:)` answers a developer of that workspace, and is
/// FORBIDDEN to an analyst there (which the audit log records), NOT_FOUND to a non-member.
async fn version_source_by_workspace(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let dev = app.user_with_token("dev").await?;
    let analyst = app.user_with_token("analyst").await?;
    let outsider = app.user_with_token("outsider").await?;
    let source = connector_source("Maps", &[("geocode", "Geocode")]);
    create_listing(&app, &author, "maps", "Maps", &source).await?;
    create_workspace(&app, &admin, "ops").await?;
    set_member(&app, &admin, "ops", "dev", "developer").await?;
    set_member(&app, &admin, "ops", "analyst", "analyst").await?;

    let read = app
        .data(
            Some(&dev),
            VERSION_SOURCE,
            json!({ "slug": "maps", "ws": "ops" }),
        )
        .await?;
    assert_eq!(read["connector"]["version"]["source"], source.as_str());

    let denied = app
        .graphql(
            Some(&analyst),
            VERSION_SOURCE,
            json!({ "slug": "maps", "ws": "ops" }),
        )
        .await?;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"), "{denied}");
    assert_eq!(
        denied["errors"][0]["path"],
        json!(["connector", "version", "source"])
    );

    let unknown = app
        .graphql(
            Some(&outsider),
            VERSION_SOURCE,
            json!({ "slug": "maps", "ws": "ops" }),
        )
        .await?;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"), "{unknown}");

    // Naming no workspace: no permission applies.
    let unnamed = app
        .graphql(Some(&dev), VERSION_SOURCE, json!({ "slug": "maps" }))
        .await?;
    assert_eq!(error_code(&unnamed), Some("FORBIDDEN"), "{unnamed}");

    let audit = app
        .data(Some(&admin), AUDIT, json!({ "ws": "ops" }))
        .await?;
    let denied_events: Vec<&Value> = audit["workspace"]["auditEvents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["outcome"] == "denied")
        .collect();
    assert_eq!(
        denied_events,
        vec![
            &json!({ "action": "connector.view_source", "objectType": "workspace",
                      "objectId": "ops", "outcome": "denied", "actor": { "handle": "analyst" },
                      "detail": "{\"role\":\"analyst\"}" })
        ]
    );
    app.stop().await
}
tests::on_both_backends!(
    lifecycle_version_source_by_workspace,
    super::version_source_by_workspace
);
