//! Packages over HTTP: a development workspace exports recipes (with the connector they use at its
//! released version and their connection, secrets left out), the archive is downloaded and
//! checked by independent zip readers, and a production workspace plans and applies it, keeping
//! its own credentials across imports. Exports are deterministic; stale plans and unreleased
//! connectors are refused; hostile archives are refused whole with the packager's code and leave
//! the database exactly as it was; a fault in the middle of an apply changes nothing. A
//! closed-source connector travels by catalog reference only (no byte of its source in the
//! archive), resolves from the importing server's catalog or is refused in the plan, and exporting
//! any other connector's source needs `CONNECTOR_VIEW_SOURCE`. A stored archive is checked against
//! those rules again when it is downloaded: closed source in it is refused to everyone, open
//! source needs `CONNECTOR_VIEW_SOURCE`, references need nothing more than `PACKAGE_EXPORT`.
//!
//! The files: `story` (the development-to-production story, its steps and one smoke test),
//! `export`, `plan` (dry runs), `apply`, `reimport` (the second round and the no-op), `history`
//! (the package history and the audit log), `refusals` (unreleased connectors, stale plans),
//! `hostile` (archives refused whole), `signatures` (the signing policy), `closed_source` and
//! `references` (catalog references), `view_source` and `downloads` (who may read the source a
//! package carries). Shared setup is in `arrange`, the database signature in `database`, archive
//! readers in `archives`.

mod archives;
mod arrange;
mod database;

mod apply;
mod closed_source;
mod downloads;
mod export;
mod history;
mod hostile;
mod plan;
mod references;
mod refusals;
mod reimport;
mod signatures;
mod story;
mod view_source;

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{payload, sha256_hex};

use self::archives::*;
use self::arrange::*;
pub use self::database::db_signature;
use self::database::*;
use self::story::*;

// ---- Documents. ----

const CREATE_WORKSPACE: &str = r#"
mutation($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) { workspace { slug environment } userErrors { field message code } }
}"#;

const INSTALL: &str = r#"
mutation($input: InstallConnectorInput!) {
  installConnector(input: $input) { workspaceConnector { id } changed userErrors { field message code } }
}"#;

const EDIT: &str = r#"
mutation($input: EditWorkspaceConnectorInput!) {
  editWorkspaceConnector(input: $input) { workspaceConnector { id latestNumber } changed userErrors { field message code } }
}"#;

const RELEASE: &str = r#"
mutation($input: WorkspaceConnectorInput!) {
  releaseWorkspaceConnector(input: $input) {
    workspaceConnector { id releasedNumber released { number sha256 origin } }
    changed userErrors { field message code }
  }
}"#;

const CREATE_CONNECTION: &str = r#"
mutation($input: CreateConnectionInput!) {
  createConnection(input: $input) { connection { id assetId folder name fields secretsSet } userErrors { field message code } }
}"#;

const UPDATE_CONNECTION: &str = r#"
mutation($input: UpdateConnectionInput!) {
  updateConnection(input: $input) { connection { id assetId fields secretsSet } userErrors { field message code } }
}"#;

const CREATE_RECIPE: &str = r#"
mutation($input: CreateRecipeInput!) {
  createRecipe(input: $input) { recipe { id assetId folder name state } userErrors { field message code } }
}"#;

const UPDATE_RECIPE: &str = r#"
mutation($input: UpdateRecipeInput!) {
  updateRecipe(input: $input) { recipe { id assetId description } userErrors { field message code } }
}"#;

const SET_RECIPE_STATE: &str = r#"
mutation($input: SetRecipeStateInput!) {
  setRecipeState(input: $input) { recipe { id state } userErrors { field message code } }
}"#;

const EXPORT: &str = r#"
mutation($input: ExportPackageInput!) {
  exportPackage(input: $input) {
    package { id direction packageId sha256 size outcome downloadPath manifest }
    userErrors { field message code }
  }
}"#;

const IMPORT: &str = r#"
mutation($input: ImportPackageInput!) {
  importPackage(input: $input) {
    plan {
      applicable noop creates updates unchanged conflicts connectionsNeedingCredentials restarts
      missingDependencies detail
    }
    fingerprint applied
    package { direction outcome packageId sha256 downloadPath }
    userErrors { field message code }
  }
}"#;

const SET_POLICY: &str = r#"
mutation($input: SetPackagePolicyInput!) {
  setPackagePolicy(input: $input) { requireSigned userErrors { field message code } }
}"#;

const SET_ROLE: &str = r#"
mutation($input: SetWorkspaceRoleInput!) {
  setWorkspaceRole(input: $input) { role { name permissions } userErrors { field message code } }
}"#;

const WORKSPACE_STATE: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) {
    recipes { assetId folder name description definition state }
    connections { assetId folder name fields secretsSet }
    connectors {
      name listing { slug } parentVersion { version } latestNumber releasedNumber
      released { number sha256 origin source }
    }
    packages { direction outcome packageId sha256 downloadPath }
  }
}"#;

/// A closed-source copy as anyone but the listing's owners may see it: no source.
const CLOSED_STATE: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) {
    recipes { assetId folder name state }
    connectors {
      name listing { slug } parentVersion { version } latestNumber releasedNumber
      released { number sha256 origin }
    }
  }
}"#;

const AUDIT: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) { auditEvents(first: 100) { action objectType objectId outcome } }
}"#;

const LISTING: &str = "tracker";
const EDITED_DESCRIPTION: &str = "  description: \"Tracker, tuned in development\",";
const DEV_SECRET: &str = "dev-secret-0b6d2f52";
const PROD_SECRET: &str = "prod-secret-9a0e0d8f";
/// The closed-source listing, and its connector's metadata file in a package.
const ERP: &str = "acme-erp";
const ERP_JSON: &str = "connectors/acme-erp/connector.json";

// ---- Requests. ----

/// A mutation payload that must carry no user errors.
async fn ok(
    app: &TestApp,
    token: &str,
    doc: &str,
    field: &str,
    input: Value,
) -> anyhow::Result<Value> {
    let body = app
        .graphql(Some(token), doc, json!({ "input": input }))
        .await?;
    let p = payload(&body, field)?;
    anyhow::ensure!(p["userErrors"] == json!([]), "{field}: {body}");
    Ok(p.clone())
}

/// `createWorkspace` of `environment` (`DEVELOPMENT` or `PRODUCTION`).
async fn workspace(
    app: &TestApp,
    token: &str,
    slug: &str,
    environment: &str,
) -> anyhow::Result<()> {
    let p = ok(
        app,
        token,
        CREATE_WORKSPACE,
        "createWorkspace",
        json!({ "slug": slug, "name": format!("Workspace {slug}"), "environment": environment }),
    )
    .await?;
    anyhow::ensure!(p["workspace"]["environment"] == environment, "{p}");
    Ok(())
}

/// `exportPackage` that must succeed; returns the recorded package.
async fn export(app: &TestApp, token: &str, input: Value) -> anyhow::Result<Value> {
    let p = ok(app, token, EXPORT, "exportPackage", input).await?;
    anyhow::ensure!(p["package"]["direction"] == "export", "{p}");
    anyhow::ensure!(p["package"]["outcome"] == "exported", "{p}");
    Ok(p["package"].clone())
}

/// `exportPackage` of `folders` in `acme-dev` that must succeed: the package and its archive.
async fn export_folders(
    app: &TestApp,
    token: &str,
    folders: &[&str],
) -> anyhow::Result<(Value, Vec<u8>)> {
    let input = json!({ "workspace": "acme-dev", "folders": folders });
    let package = export(app, token, input).await?;
    let archive = download(app, token, &package).await?;
    Ok((package, archive))
}

/// GET a package's `downloadPath` with the bearer token: the response.
async fn get_archive(
    app: &TestApp,
    token: &str,
    package: &Value,
) -> anyhow::Result<reqwest::Response> {
    let path = package["downloadPath"].as_str().unwrap_or_default();
    anyhow::ensure!(path.starts_with("/packages/"), "{package}");
    Ok(app
        .client
        .get(format!("{}{path}", app.base_url))
        .bearer_auth(token)
        .send()
        .await?)
}

/// GET a package's `downloadPath` with the bearer token; the archive's bytes.
async fn download(app: &TestApp, token: &str, package: &Value) -> anyhow::Result<Vec<u8>> {
    let resp = get_archive(app, token, package).await?;
    anyhow::ensure!(resp.status().as_u16() == 200, "download: {}", resp.status());
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    anyhow::ensure!(
        content_type.starts_with("application/zip"),
        "{content_type}"
    );
    Ok(resp.bytes().await?.to_vec())
}

/// `importPackage` as a GraphQL multipart upload; the whole response body.
pub async fn import_raw(
    app: &TestApp,
    token: &str,
    ws: &str,
    archive: &[u8],
    dry_run: bool,
    fingerprint: Option<&str>,
) -> anyhow::Result<Value> {
    let operations = json!({
        "query": IMPORT,
        "variables": { "input": { "workspace": ws, "archive": null, "dryRun": dry_run,
                                  "fingerprint": fingerprint } },
    });
    let form = cli::package::archive_upload(&operations, archive.to_vec())?;
    let resp = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(token)
        .header("apollo-require-preflight", "true")
        .multipart(form)
        .send()
        .await?;
    Ok(resp.json::<Value>().await?)
}

/// `importPackage` that must succeed; the payload.
async fn import(
    app: &TestApp,
    token: &str,
    ws: &str,
    archive: &[u8],
    dry_run: bool,
    fingerprint: Option<&str>,
) -> anyhow::Result<Value> {
    let body = import_raw(app, token, ws, archive, dry_run, fingerprint).await?;
    let p = payload(&body, "importPackage")?;
    anyhow::ensure!(p["userErrors"] == json!([]), "importPackage: {body}");
    anyhow::ensure!(p["applied"] == !dry_run, "importPackage: {body}");
    Ok(p.clone())
}

/// A dry run of `archive` into `acme-prod`, then an apply with its fingerprint: both payloads.
async fn plan_and_apply(
    app: &TestApp,
    token: &str,
    archive: &[u8],
) -> anyhow::Result<(Value, Value)> {
    let dry = import(app, token, "acme-prod", archive, true, None).await?;
    let applied = import(
        app,
        token,
        "acme-prod",
        archive,
        false,
        Some(&fingerprint(&dry)),
    )
    .await?;
    Ok((dry, applied))
}

/// A plan's fingerprint.
fn fingerprint(p: &Value) -> String {
    p["fingerprint"].as_str().unwrap_or_default().to_owned()
}

/// The plan's counts, without the detail.
fn counts(p: &Value) -> Value {
    let mut plan = p["plan"].clone();
    if let Some(map) = plan.as_object_mut() {
        map.remove("detail");
    }
    plan
}

async fn state_of(app: &TestApp, token: &str, ws: &str) -> anyhow::Result<Value> {
    Ok(app
        .data(Some(token), WORKSPACE_STATE, json!({ "ws": ws }))
        .await?["workspace"]
        .clone())
}

/// Recipes as `(asset id, folder, name, description, definition)`, sorted by asset id.
fn recipes_of(state: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = state["recipes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    json!([
                        r["assetId"],
                        r["folder"],
                        r["name"],
                        r["description"],
                        r["definition"]
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|v| v[0].as_str().unwrap_or_default().to_owned());
    out
}

fn find<'a>(list: &'a Value, key: &str, value: &str) -> anyhow::Result<&'a Value> {
    list.as_array()
        .and_then(|a| a.iter().find(|x| x[key] == value))
        .ok_or_else(|| anyhow::anyhow!("no {key} = {value} in {list}"))
}

/// The items of a JSON list for which `keep` holds.
fn filtered(list: &Value, keep: impl Fn(&Value) -> bool) -> Vec<&Value> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter(|item| keep(item))
        .collect()
}

/// The id of the recipe with `asset_id` in `ws`.
async fn recipe_id(app: &TestApp, token: &str, ws: &str, asset_id: &str) -> anyhow::Result<Value> {
    let ids = app
        .data(
            Some(token),
            "query($ws: String!) { workspace(slug: $ws) { recipes { id assetId } } }",
            json!({ "ws": ws }),
        )
        .await?;
    Ok(find(&ids["workspace"]["recipes"], "assetId", asset_id)?["id"].clone())
}

/// `updateRecipe` of the recipe `id` to `description`.
async fn describe_recipe(
    app: &TestApp,
    token: &str,
    id: &Value,
    description: &str,
) -> anyhow::Result<()> {
    ok(
        app,
        token,
        UPDATE_RECIPE,
        "updateRecipe",
        json!({ "recipeId": id, "description": description }),
    )
    .await?;
    Ok(())
}

// ---- Refusals. ----

/// `exportPackage` of `input` by `token` must be refused with `BAD_USER_INPUT` and a message
/// holding every one of `words`: no package, nothing written.
async fn assert_export_refused(
    app: &TestApp,
    token: &str,
    input: Value,
    words: &[&str],
) -> anyhow::Result<()> {
    let before = db_signature(app).await?;
    let body = app
        .graphql(Some(token), EXPORT, json!({ "input": input }))
        .await?;
    let p = payload(&body, "exportPackage")?;
    assert_eq!(p["package"], Value::Null, "{body}");
    assert_eq!(p["userErrors"][0]["code"], "BAD_USER_INPUT", "{body}");
    let message = p["userErrors"][0]["message"].as_str().unwrap_or_default();
    for word in words {
        assert!(message.contains(word), "{word:?} not in {message:?}");
    }
    assert_eq!(
        written_since(app, &before).await?,
        Vec::<String>::new(),
        "a refused export wrote something"
    );
    Ok(())
}

/// Applying `archive` to `acme-prod` with `fingerprint` must be refused (`what` says why) with a
/// user error of `code` on the input's `field`, writing nothing at all; the payload.
async fn assert_apply_refused(
    app: &TestApp,
    token: &str,
    what: &str,
    archive: &[u8],
    fingerprint: Option<&str>,
    code: &str,
    field: &str,
) -> anyhow::Result<Value> {
    let before = db_signature(app).await?;
    let body = import_raw(app, token, "acme-prod", archive, false, fingerprint).await?;
    let p = payload(&body, "importPackage").map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    assert_eq!(p["applied"], false, "{what}: {body}");
    assert_eq!(p["userErrors"][0]["code"], code, "{what}: {body}");
    assert_eq!(
        p["userErrors"][0]["field"],
        json!(["input", field]),
        "{what}: {body}"
    );
    assert_eq!(
        written_since(app, &before).await?,
        Vec::<String>::new(),
        "{what}: a refused apply wrote something"
    );
    Ok(p.clone())
}
