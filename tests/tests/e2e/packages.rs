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

use std::collections::BTreeMap;
use std::io::{Cursor, Read as _, Write as _};

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{
    ACME_ERP_1_0_0, ACME_ERP_1_1_0, ACME_ERP_DISTINCTIVE_LINE, CREATE_CONNECTOR, create_input,
    distinctive_lines, payload, recipe_connector_source, sha256_hex,
};
use crate::lifecycle::{create_listing, publish, set_member};

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

const AUDIT: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) { auditEvents(first: 100) { action objectType objectId outcome } }
}"#;

const LISTING: &str = "tracker";
const EDITED_DESCRIPTION: &str = "  description: \"Tracker, tuned in development\",";
const DEV_SECRET: &str = "dev-secret-0b6d2f52";
const PROD_SECRET: &str = "prod-secret-9a0e0d8f";

// ---- Helpers. ----

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

/// Everything a development workspace needs: the listing installed, edited and released, a
/// connection with a secret, and recipes in folders (one running).
struct DevSetup {
    released_sha256: String,
    released_source: String,
    connection: Value,
    /// `(id, asset id)` of "sales/leads/Sync leads", "sales/Digest" and "ops/Cleanup".
    sync: (Value, String),
    digest: (Value, String),
    cleanup: (Value, String),
}

fn definition(connection: &str, step_input: &str) -> Value {
    json!({
        "trigger": { "connector": LISTING, "trigger": "new_item", "connection": connection, "input": {} },
        "steps": [
            { "connector": LISTING, "action": "get_item", "connection": connection,
              "input": { "id": step_input } }
        ]
    })
}

async fn recipe(
    app: &TestApp,
    token: &str,
    ws: &str,
    folder: &str,
    name: &str,
    definition: Value,
) -> anyhow::Result<(Value, String)> {
    let p = ok(
        app,
        token,
        CREATE_RECIPE,
        "createRecipe",
        json!({ "workspace": ws, "folder": folder, "name": name,
                "description": format!("{name}, for tests"), "definition": definition }),
    )
    .await?;
    let r = &p["recipe"];
    anyhow::ensure!(r["state"] == "STOPPED" && r["folder"] == folder, "{p}");
    let asset = r["assetId"].as_str().unwrap_or_default().to_owned();
    Ok((r["id"].clone(), asset))
}

async fn set_up_dev(app: &TestApp, token: &str, ws: &str) -> anyhow::Result<DevSetup> {
    workspace(app, token, ws, "DEVELOPMENT").await?;
    let copy = ok(
        app,
        token,
        INSTALL,
        "installConnector",
        json!({ "workspace": ws, "connector": LISTING }),
    )
    .await?["workspaceConnector"]["id"]
        .clone();
    let source = recipe_connector_source("Tracker").replace(
        "  description: \"Test connector with a trigger\",",
        EDITED_DESCRIPTION,
    );
    anyhow::ensure!(source.contains(EDITED_DESCRIPTION));
    let edited = ok(
        app,
        token,
        EDIT,
        "editWorkspaceConnector",
        json!({ "workspaceConnectorId": copy, "source": source }),
    )
    .await?;
    anyhow::ensure!(
        edited["workspaceConnector"]["latestNumber"] == 2,
        "{edited}"
    );
    let released = ok(
        app,
        token,
        RELEASE,
        "releaseWorkspaceConnector",
        json!({ "workspaceConnectorId": copy }),
    )
    .await?;
    let rel = &released["workspaceConnector"]["released"];
    anyhow::ensure!(
        rel["number"] == 2 && rel["origin"] == "EDITED",
        "{released}"
    );
    let released_sha256 = sha256_hex(&source);
    anyhow::ensure!(rel["sha256"] == released_sha256.as_str(), "{released}");

    let connection = ok(
        app,
        token,
        CREATE_CONNECTION,
        "createConnection",
        json!({ "workspace": ws, "folder": "shared", "name": "Tracker", "connector": LISTING,
                "values": { "api_key": DEV_SECRET, "region": "eu-west" } }),
    )
    .await?["connection"]
        .clone();
    assert_eq!(connection["fields"], json!({ "region": "eu-west" }));
    assert_eq!(connection["secretsSet"], json!(["api_key"]));
    let conn = connection["assetId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let sync = recipe(
        app,
        token,
        ws,
        "sales/leads",
        "Sync leads",
        definition(&conn, "{{trigger.id}}"),
    )
    .await?;
    let digest = recipe(
        app,
        token,
        ws,
        "sales",
        "Digest",
        definition(&conn, "digest"),
    )
    .await?;
    let cleanup = recipe(
        app,
        token,
        ws,
        "ops",
        "Cleanup",
        definition(&conn, "cleanup"),
    )
    .await?;
    let running = ok(
        app,
        token,
        SET_RECIPE_STATE,
        "setRecipeState",
        json!({ "recipeId": sync.0, "state": "RUNNING" }),
    )
    .await?;
    assert_eq!(running["recipe"]["state"], "RUNNING");
    Ok(DevSetup {
        released_sha256,
        released_source: source,
        connection,
        sync,
        digest,
        cleanup,
    })
}

/// `exportPackage` that must succeed; returns the recorded package.
async fn export(app: &TestApp, token: &str, input: Value) -> anyhow::Result<Value> {
    let p = ok(app, token, EXPORT, "exportPackage", input).await?;
    anyhow::ensure!(p["package"]["direction"] == "export", "{p}");
    anyhow::ensure!(p["package"]["outcome"] == "exported", "{p}");
    Ok(p["package"].clone())
}

/// GET a package's `downloadPath` with the bearer token; the archive's bytes.
async fn download(app: &TestApp, token: &str, package: &Value) -> anyhow::Result<Vec<u8>> {
    let path = package["downloadPath"].as_str().unwrap_or_default();
    anyhow::ensure!(path.starts_with("/packages/"), "{package}");
    let resp = app
        .client
        .get(format!("{}{path}", app.base_url))
        .bearer_auth(token)
        .send()
        .await?;
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
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text(
            "map",
            json!({ "0": ["variables.input.archive"] }).to_string(),
        )
        .part(
            "0",
            reqwest::multipart::Part::bytes(archive.to_vec())
                .file_name("package.zip")
                .mime_str("application/zip")?,
        );
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

/// Every entry of an archive as `(name, bytes)`, read with the `zip` crate.
fn entries(bytes: &[u8]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i)?;
        let mut data = Vec::new();
        file.read_to_end(&mut data)?;
        out.push((
            file.name().map(|n| n.into_owned()).unwrap_or_default(),
            data,
        ));
    }
    Ok(out)
}

/// Check the archive with Python's `zipfile.testzip()` and `unzip -t`, when they are installed.
fn check_with_external_tools(bytes: &[u8]) -> anyhow::Result<()> {
    // One directory per call: both backends' tests run at once in this process.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = tests::TempDir::new(&format!("patchbay_pkg_{}_{call}", std::process::id()))?;
    let path = dir.path.join("package.zip");
    std::fs::File::create(&path)?.write_all(bytes)?;
    let python = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nbad = z.testzip()\nprint(bad)\nsys.exit(0 if bad is None else 1)")
        .arg(&path)
        .output();
    match python {
        Ok(out) => anyhow::ensure!(
            out.status.success(),
            "zipfile.testzip(): {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(err) => println!("note: python3 not available ({err}); zipfile.testzip() skipped"),
    }
    match std::process::Command::new("unzip")
        .arg("-t")
        .arg(&path)
        .output()
    {
        Ok(out) => anyhow::ensure!(
            out.status.success(),
            "unzip -t: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(err) => println!("note: unzip not available ({err}); unzip -t skipped"),
    }
    Ok(())
}

/// Row count and a sha256 over the rows (ordered by id, or by every column when there is no id)
/// of every table except the migrations table, computed with raw SQL.
pub async fn db_signature(app: &TestApp) -> anyhow::Result<BTreeMap<String, (usize, String)>> {
    use sea_orm::{ConnectionTrait as _, Statement};
    use sha2::Digest as _;
    let db = app.conn()?;
    let backend = db.get_database_backend();
    let sqlite = app.backend == Backend::Sqlite;
    let list = if sqlite {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    } else {
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
    };
    let mut tables = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, list))
        .await?
    {
        tables.push(row.try_get_by_index::<String>(0)?);
    }
    let mut out = BTreeMap::new();
    for table in tables.into_iter().filter(|t| t != "seaql_migrations") {
        let columns_sql = if sqlite {
            format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid")
        } else {
            format!(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
            )
        };
        let mut columns = Vec::new();
        for row in db
            .query_all_raw(Statement::from_string(backend, columns_sql))
            .await?
        {
            columns.push(row.try_get_by_index::<String>(0)?);
        }
        let select: Vec<String> = columns
            .iter()
            .map(|c| {
                if sqlite {
                    format!("quote(\"{c}\")")
                } else {
                    format!("\"{c}\"::text")
                }
            })
            .collect();
        let order = if columns.iter().any(|c| c == "id") {
            "\"id\"".to_owned()
        } else {
            (1..=columns.len())
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            "SELECT {} FROM \"{table}\" ORDER BY {order}",
            select.join(", ")
        );
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await?;
        let mut hasher = sha2::Sha256::new();
        for row in &rows {
            for i in 0..columns.len() {
                let value = row.try_get_by_index::<Option<String>>(i)?;
                match value {
                    Some(v) => {
                        hasher.update(b"v");
                        hasher.update((v.len() as u64).to_le_bytes());
                        hasher.update(v.as_bytes());
                    }
                    None => hasher.update(b"n"),
                }
            }
            hasher.update(b"\n");
        }
        out.insert(table, (rows.len(), hex::encode(hasher.finalize())));
    }
    for table in [
        "api_tokens",
        "audit_events",
        "casbin_rule",
        "connections",
        "connectors",
        "connector_install_days",
        "connector_owners",
        "connector_versions",
        "install_events",
        "notifications",
        "packages",
        "recipes",
        "recipe_connectors",
        "roles",
        "users",
        "workspaces",
        "workspace_connectors",
        "workspace_connector_versions",
    ] {
        anyhow::ensure!(out.contains_key(table), "the signature misses {table}");
    }
    Ok(out)
}

/// The tables whose signature differs.
fn changed_tables(
    before: &BTreeMap<String, (usize, String)>,
    after: &BTreeMap<String, (usize, String)>,
) -> Vec<String> {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| before.get(*n) != after.get(*n))
        .cloned()
        .collect()
}

fn base64_standard(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---- 1. The whole story. ----

async fn whole_story(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        LISTING,
        "Tracker",
        &recipe_connector_source("Tracker"),
    )
    .await?;
    let dev = set_up_dev(&app, &admin, "acme-dev").await?;
    let conn_asset = dev.connection["assetId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;

    // Export the "sales" folder: both recipes under it, not "ops/Cleanup".
    let exported = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "folders": ["sales"] }),
    )
    .await?;
    let archive = download(&app, &admin, &exported).await?;
    assert_eq!(exported["sha256"], sha256_hex_bytes(&archive));
    assert_eq!(exported["size"], archive.len());
    check_with_external_tools(&archive)?;
    let files = entries(&archive)?;
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "connectors/tracker/connector.js",
            "connectors/tracker/connector.json",
            "manifest.json",
            "sales/Digest.recipe.json",
            "sales/leads/Sync leads.recipe.json",
            "shared/Tracker.connection.json",
        ]
    );
    for (name, data) in &files {
        assert!(
            !String::from_utf8_lossy(data).contains(DEV_SECRET),
            "the secret leaked into {name}"
        );
    }
    let source_in_package = files
        .iter()
        .find(|(n, _)| n == "connectors/tracker/connector.js")
        .map(|(_, d)| d.clone())
        .unwrap_or_default();
    assert_eq!(source_in_package, dev.released_source.as_bytes());
    let connection_file: Value = serde_json::from_slice(
        &files
            .iter()
            .find(|(n, _)| n == "shared/Tracker.connection.json")
            .map(|(_, d)| d.clone())
            .unwrap_or_default(),
    )?;
    assert_eq!(
        connection_file,
        json!({ "asset_id": conn_asset, "connector": LISTING, "fields": { "region": "eu-west" },
                "folder": "shared", "name": "Tracker" })
    );
    let package = packager::read(&archive, &packager::Limits::default())?;
    assert_eq!(package.connectors.len(), 1);
    assert_eq!(package.connectors[0].sha256, dev.released_sha256);
    assert_eq!(package.connectors[0].workspace_version, 2);
    assert_eq!(
        package.connectors[0]
            .parent
            .as_ref()
            .map(|p| (p.listing.as_str(), p.version.as_str())),
        Some((LISTING, "1.0.0"))
    );
    assert_eq!(package.manifest.source.workspace, "acme-dev");
    assert_eq!(package.manifest.exporter, "admin");

    // Dry run into the empty production workspace: everything is created.
    let before_dry_run = state_of(&app, &admin, "acme-prod").await?;
    let dry = import(&app, &admin, "acme-prod", &archive, true, None).await?;
    assert_eq!(
        counts(&dry),
        json!({ "applicable": true, "noop": false, "creates": 4, "updates": 0, "unchanged": 0,
                "conflicts": 0, "connectionsNeedingCredentials": 1, "restarts": 0,
                "missingDependencies": 0 })
    );
    let detail = &dry["plan"]["detail"];
    assert_eq!(detail["connectors"][0]["slug"], LISTING);
    assert_eq!(detail["connectors"][0]["action"], "create");
    assert_eq!(detail["connectors"][0]["create_version"], 1);
    assert_eq!(
        detail["connectors"][0]["lineage"],
        json!({ "listing": LISTING, "version": "1.0.0" })
    );
    assert_eq!(detail["connections"][0]["credentials"], "needs_credentials");
    assert_eq!(dry["package"]["outcome"], "planned");
    let fingerprint = dry["fingerprint"].as_str().unwrap_or_default().to_owned();
    assert_eq!(fingerprint.len(), 64, "{dry}");
    // A dry run changes no asset.
    let after_dry_run = state_of(&app, &admin, "acme-prod").await?;
    assert_eq!(before_dry_run["recipes"], after_dry_run["recipes"]);
    assert_eq!(before_dry_run["connections"], json!([]));
    assert_eq!(after_dry_run["connections"], json!([]));
    assert_eq!(after_dry_run["connectors"], json!([]));

    // Apply with the dry run's fingerprint.
    let applied = import(
        &app,
        &admin,
        "acme-prod",
        &archive,
        false,
        Some(&fingerprint),
    )
    .await?;
    assert_eq!(counts(&applied), counts(&dry));
    assert_eq!(applied["fingerprint"], fingerprint.as_str());
    assert_eq!(applied["package"]["outcome"], "applied");

    // Production now holds the same recipes (stopped), the connector copy and a connection shell.
    let dev_state = state_of(&app, &admin, "acme-dev").await?;
    let prod = state_of(&app, &admin, "acme-prod").await?;
    let dev_sales: Vec<Value> = recipes_of(&dev_state)
        .into_iter()
        .filter(|r| r[0] != dev.cleanup.1.as_str())
        .collect();
    assert_eq!(recipes_of(&prod), dev_sales);
    assert_eq!(dev_sales.len(), 2);
    for r in prod["recipes"].as_array().into_iter().flatten() {
        assert_eq!(
            r["state"], "STOPPED",
            "imported recipes are created stopped: {r}"
        );
    }
    let prod_copy = &prod["connectors"][0];
    assert_eq!(prod["connectors"].as_array().map(Vec::len), Some(1));
    assert_eq!(prod_copy["listing"]["slug"], LISTING);
    assert_eq!(prod_copy["parentVersion"], json!({ "version": "1.0.0" }));
    assert_eq!(prod_copy["latestNumber"], 1);
    assert_eq!(prod_copy["releasedNumber"], 1);
    assert_eq!(
        prod_copy["released"]["sha256"],
        dev.released_sha256.as_str()
    );
    assert_eq!(prod_copy["released"]["origin"], "IMPORTED");
    assert_eq!(
        prod_copy["released"]["source"],
        dev.released_source.as_str()
    );
    let dev_copy = &dev_state["connectors"][0];
    assert_eq!(
        dev_copy["released"]["sha256"],
        prod_copy["released"]["sha256"]
    );
    assert_eq!(
        prod["connections"],
        json!([{ "assetId": conn_asset, "folder": "shared", "name": "Tracker",
                 "fields": { "region": "eu-west" }, "secretsSet": [] }])
    );

    // Production fills in its own credentials and runs one recipe.
    let ids = app
        .data(
            Some(&admin),
            "query($ws: String!) { workspace(slug: $ws) { connections { id } recipes { id assetId } } }",
            json!({ "ws": "acme-prod" }),
        )
        .await?;
    let filled = ok(
        &app,
        &admin,
        UPDATE_CONNECTION,
        "updateConnection",
        json!({ "connectionId": ids["workspace"]["connections"][0]["id"],
                "values": { "api_key": PROD_SECRET } }),
    )
    .await?;
    assert_eq!(filled["connection"]["secretsSet"], json!(["api_key"]));
    let prod_sync_id = find(&ids["workspace"]["recipes"], "assetId", &dev.sync.1)?["id"].clone();
    ok(
        &app,
        &admin,
        SET_RECIPE_STATE,
        "setRecipeState",
        json!({ "recipeId": prod_sync_id, "state": "RUNNING" }),
    )
    .await?;

    // Development changes one recipe and exports again: exactly one update.
    ok(
        &app,
        &admin,
        UPDATE_RECIPE,
        "updateRecipe",
        json!({ "recipeId": dev.sync.0, "description": "Sync leads, now with a better description" }),
    )
    .await?;
    let second = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "folders": ["sales"] }),
    )
    .await?;
    assert_ne!(second["packageId"], exported["packageId"]);
    let archive2 = download(&app, &admin, &second).await?;
    let dry2 = import(&app, &admin, "acme-prod", &archive2, true, None).await?;
    assert_eq!(
        counts(&dry2),
        json!({ "applicable": true, "noop": false, "creates": 0, "updates": 1, "unchanged": 3,
                "conflicts": 0, "connectionsNeedingCredentials": 0, "restarts": 1,
                "missingDependencies": 0 })
    );
    let updated = find(&dry2["plan"]["detail"]["recipes"], "asset_id", &dev.sync.1)?;
    assert_eq!(updated["action"], "update");
    assert_eq!(
        updated["reasons"],
        json!([{ "code": "DESCRIPTION_CHANGED" }])
    );
    assert_eq!(
        dry2["plan"]["detail"]["connections"][0]["credentials"],
        "keep_existing"
    );
    let fp2 = dry2["fingerprint"].as_str().unwrap_or_default().to_owned();
    let applied2 = import(&app, &admin, "acme-prod", &archive2, false, Some(&fp2)).await?;
    assert_eq!(counts(&applied2), counts(&dry2));
    let prod2 = state_of(&app, &admin, "acme-prod").await?;
    let dev_state2 = state_of(&app, &admin, "acme-dev").await?;
    let dev_sales2: Vec<Value> = recipes_of(&dev_state2)
        .into_iter()
        .filter(|r| r[0] != dev.cleanup.1.as_str())
        .collect();
    assert_eq!(recipes_of(&prod2), dev_sales2);
    // The running recipe keeps running; the connector was not re-released.
    assert_eq!(
        find(&prod2["recipes"], "assetId", &dev.sync.1)?["state"],
        "RUNNING"
    );
    assert_eq!(prod2["connectors"], prod["connectors"]);

    // Applying the same package again changes nothing.
    let signature_before_noop = db_signature(&app).await?;
    let again = import(&app, &admin, "acme-prod", &archive2, false, None).await?;
    assert_eq!(
        counts(&again),
        json!({ "applicable": true, "noop": true, "creates": 0, "updates": 0, "unchanged": 4,
                "conflicts": 0, "connectionsNeedingCredentials": 0, "restarts": 0,
                "missingDependencies": 0 })
    );
    let signature_after_noop = db_signature(&app).await?;
    // Only the history and the audit log record the no-op import.
    let mut changed = changed_tables(&signature_before_noop, &signature_after_noop);
    changed.retain(|t| t != "packages" && t != "audit_events");
    assert_eq!(
        changed,
        Vec::<String>::new(),
        "a no-op import wrote to these tables"
    );
    let prod3 = state_of(&app, &admin, "acme-prod").await?;
    assert_eq!(prod3["recipes"], prod2["recipes"]);
    assert_eq!(prod3["connectors"], prod2["connectors"]);

    // Production's credentials survived every import.
    assert_eq!(prod3["connections"][0]["secretsSet"], json!(["api_key"]));
    assert_eq!(
        prod3["connections"][0]["fields"],
        json!({ "region": "eu-west" })
    );
    let secrets = secrets_of(&app, &conn_asset).await?;
    assert_eq!(
        secrets,
        vec![
            json!({ "api_key": DEV_SECRET }),
            json!({ "api_key": PROD_SECRET })
        ],
        "each workspace keeps its own secret"
    );

    // The history: exports in development, dry runs and applies in production, newest first.
    let dev_history: Vec<(Value, Value)> = dev_state2["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p["direction"].clone(), p["outcome"].clone()))
        .collect();
    assert_eq!(dev_history, vec![(json!("export"), json!("exported")); 2]);
    assert_eq!(dev_state2["packages"][0]["packageId"], second["packageId"]);
    assert_eq!(
        dev_state2["packages"][1]["packageId"],
        exported["packageId"]
    );
    let prod_history: Vec<Value> = prod3["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            json!([
                p["direction"],
                p["outcome"],
                p["packageId"],
                p["downloadPath"]
            ])
        })
        .collect();
    let (first_id, second_id) = (&exported["packageId"], &second["packageId"]);
    assert_eq!(
        prod_history,
        vec![
            json!(["import", "applied", second_id, null]),
            json!(["import", "applied", second_id, null]),
            json!(["import", "planned", second_id, null]),
            json!(["import", "applied", first_id, null]),
            json!(["import", "planned", first_id, null]),
        ]
    );

    // The audit log.
    let dev_audit = app
        .data(Some(&admin), AUDIT, json!({ "ws": "acme-dev" }))
        .await?;
    let exports: Vec<&Value> = dev_audit["workspace"]["auditEvents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "package.export")
        .collect();
    assert_eq!(exports.len(), 2, "{dev_audit}");
    assert!(
        exports
            .iter()
            .all(|e| e["objectType"] == "package" && e["outcome"] == "success")
    );
    let prod_audit = app
        .data(Some(&admin), AUDIT, json!({ "ws": "acme-prod" }))
        .await?;
    let imports: Vec<&Value> = prod_audit["workspace"]["auditEvents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "package.import")
        .collect();
    assert_eq!(imports.len(), 5, "{prod_audit}");
    assert!(
        imports
            .iter()
            .all(|e| e["objectType"] == "package" && e["outcome"] == "success")
    );
    app.stop().await
}

fn sha256_hex_bytes(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The stored secrets of the connections with `asset_id`, ordered by id (read from the database:
/// the API never returns them).
async fn secrets_of(app: &TestApp, asset_id: &str) -> anyhow::Result<Vec<Value>> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
    Ok(entities::connection::Entity::find()
        .filter(entities::connection::Column::AssetId.eq(asset_id))
        .order_by_asc(entities::connection::Column::Id)
        .all(app.conn()?)
        .await?
        .into_iter()
        .map(|c| c.secrets)
        .collect())
}

tests::on_both_backends!(packages_whole_story, super::whole_story);

// ---- 2. Determinism. ----

async fn deterministic_exports(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        LISTING,
        "Tracker",
        &recipe_connector_source("Tracker"),
    )
    .await?;
    let dev = set_up_dev(&app, &admin, "acme-dev").await?;
    let input = json!({ "workspace": "acme-dev", "folders": [""] });
    let first = export(&app, &admin, input.clone()).await?;
    let second = export(&app, &admin, input).await?;
    assert_ne!(first["downloadPath"], second["downloadPath"], "two records");
    let a = download(&app, &admin, &first).await?;
    let b = download(&app, &admin, &second).await?;
    assert!(a == b, "two exports of unchanged assets differ");
    assert_eq!(first["packageId"], second["packageId"]);
    assert_eq!(first["sha256"], second["sha256"]);
    // Selecting the same recipes by id gives the same bytes too.
    let by_id = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "recipeIds": [dev.cleanup.0, dev.digest.0, dev.sync.0] }),
    )
    .await?;
    assert!(
        download(&app, &admin, &by_id).await? == a,
        "by id and by folder differ"
    );
    assert_eq!(entries(&a)?.len(), 7);
    app.stop().await
}

tests::on_both_backends!(packages_deterministic_exports, super::deterministic_exports);

// ---- 3. Unreleased connectors and stale plans. ----

async fn refusals(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        LISTING,
        "Tracker",
        &recipe_connector_source("Tracker"),
    )
    .await?;
    let dev = set_up_dev(&app, &admin, "acme-dev").await?;

    // A second listing installed but never released, used by a recipe (arranged in the database:
    // the API refuses to save such a recipe in the first place).
    create_listing(
        &app,
        &author,
        "draft-board",
        "Draft board",
        &recipe_connector_source("Draft"),
    )
    .await?;
    ok(
        &app,
        &admin,
        INSTALL,
        "installConnector",
        json!({ "workspace": "acme-dev", "connector": "draft-board" }),
    )
    .await?;
    let ws = fixtures_workspace_id(&app, "acme-dev").await?;
    let unreleased = {
        use sea_orm::ActiveModelTrait as _;
        use sea_orm::ActiveValue::Set;
        entities::recipe::ActiveModel {
            workspace_id: Set(ws),
            asset_id: Set("0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e99".to_owned()),
            folder: Set("drafts".to_owned()),
            name: Set("Unreleased".to_owned()),
            description: Set(String::new()),
            definition: Set(json!({
                "trigger": { "connector": "draft-board", "trigger": "new_item", "input": {} },
                "steps": []
            })),
            state: Set("stopped".to_owned()),
            created_at: Set(chrono::Utc::now()),
            updated_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(app.conn()?)
        .await?
    };
    let recipe_id = api::graphql::ids::encode(api::graphql::ids::Kind::Recipe, unreleased.id);
    let before = db_signature(&app).await?;
    let body = app
        .graphql(
            Some(&admin),
            EXPORT,
            json!({ "input": { "workspace": "acme-dev", "recipeIds": [recipe_id.as_str()] } }),
        )
        .await?;
    let p = payload(&body, "exportPackage")?;
    assert_eq!(p["package"], Value::Null, "{body}");
    assert_eq!(p["userErrors"][0]["code"], "BAD_USER_INPUT", "{body}");
    let message = p["userErrors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("draft-board") && message.contains("no released version"),
        "{message}"
    );
    assert_eq!(
        changed_tables(&before, &db_signature(&app).await?),
        Vec::<String>::new()
    );

    // A stale fingerprint: production changes between the dry run and the apply.
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    let exported = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "folders": ["sales"] }),
    )
    .await?;
    let archive = download(&app, &admin, &exported).await?;
    let first = import(&app, &admin, "acme-prod", &archive, true, None).await?;
    let stale = first["fingerprint"].as_str().unwrap_or_default().to_owned();
    import(&app, &admin, "acme-prod", &archive, false, Some(&stale)).await?;
    let dry = import(&app, &admin, "acme-prod", &archive, true, None).await?;
    let fingerprint = dry["fingerprint"].as_str().unwrap_or_default().to_owned();
    assert!(dry["plan"]["noop"] == true, "{dry}");
    // Production renames a recipe after the dry run.
    let prod_ids = app
        .data(
            Some(&admin),
            "query($ws: String!) { workspace(slug: $ws) { recipes { id assetId } } }",
            json!({ "ws": "acme-prod" }),
        )
        .await?;
    let prod_digest =
        find(&prod_ids["workspace"]["recipes"], "assetId", &dev.digest.1)?["id"].clone();
    ok(
        &app,
        &admin,
        UPDATE_RECIPE,
        "updateRecipe",
        json!({ "recipeId": prod_digest, "description": "changed in production" }),
    )
    .await?;
    for fp in [fingerprint.as_str(), stale.as_str()] {
        let before = db_signature(&app).await?;
        let body = import_raw(&app, &admin, "acme-prod", &archive, false, Some(fp)).await?;
        let p = payload(&body, "importPackage")?;
        assert_eq!(p["applied"], false, "{body}");
        assert_eq!(p["plan"], Value::Null, "{body}");
        assert_eq!(p["userErrors"][0]["code"], "CONFLICT", "{body}");
        assert_eq!(
            p["userErrors"][0]["field"],
            json!(["input", "fingerprint"]),
            "{body}"
        );
        assert_eq!(
            changed_tables(&before, &db_signature(&app).await?),
            Vec::<String>::new(),
            "a refused apply wrote something"
        );
    }
    let prod = state_of(&app, &admin, "acme-prod").await?;
    assert_eq!(
        find(&prod["recipes"], "assetId", &dev.digest.1)?["description"],
        "changed in production"
    );
    app.stop().await
}

async fn fixtures_workspace_id(app: &TestApp, slug: &str) -> anyhow::Result<i64> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
    entities::workspace::Entity::find()
        .filter(entities::workspace::Column::Slug.eq(slug))
        .one(app.conn()?)
        .await?
        .map(|w| w.id)
        .ok_or_else(|| anyhow::anyhow!("no workspace {slug}"))
}

tests::on_both_backends!(packages_refusals, super::refusals);

// ---- 4. Hostile archives. ----

fn zip_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644)
}

/// An archive of exactly these entries, in this order.
fn zip_of(files: &[(&str, &[u8])]) -> anyhow::Result<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        writer.start_file(*name, zip_options())?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

fn repack(
    bytes: &[u8],
    change: impl FnOnce(&mut Vec<(String, Vec<u8>)>),
) -> anyhow::Result<Vec<u8>> {
    let mut files = entries(bytes)?;
    change(&mut files);
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_of(&refs)
}

fn edit_manifest(bytes: &[u8], change: impl FnOnce(&mut Value)) -> anyhow::Result<Vec<u8>> {
    let mut files = entries(bytes)?;
    let entry = files
        .iter_mut()
        .find(|(name, _)| name == "manifest.json")
        .ok_or_else(|| anyhow::anyhow!("no manifest"))?;
    let mut manifest: Value = serde_json::from_slice(&entry.1)?;
    change(&mut manifest);
    entry.1 = serde_json::to_vec_pretty(&manifest)?;
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_of(&refs)
}

/// Replace every occurrence of `from` by `to` (same length) in the raw bytes.
fn patch_bytes(bytes: &[u8], from: &[u8], to: &[u8]) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(from.len() == to.len(), "patches keep lengths");
    let mut out = bytes.to_vec();
    let mut at = 0;
    let mut hits = 0;
    while let Some(pos) = out[at..].windows(from.len()).position(|w| w == from) {
        out[at + pos..at + pos + to.len()].copy_from_slice(to);
        at += pos + to.len();
        hits += 1;
    }
    anyhow::ensure!(hits > 0, "nothing to patch");
    Ok(out)
}

/// A one-file archive whose entry name is patched to `name` after writing.
fn archive_named(name: &str) -> anyhow::Result<Vec<u8>> {
    let placeholder = "Z".repeat(name.len());
    patch_bytes(
        &zip_of(&[(placeholder.as_str(), b"{}")])?,
        placeholder.as_bytes(),
        name.as_bytes(),
    )
}

/// Overwrite the declared uncompressed size of the first entry in both headers.
fn lie_about_first_size(bytes: &[u8], size: u32) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(bytes.len() > 22);
    let mut out = bytes.to_vec();
    out[22..26].copy_from_slice(&size.to_le_bytes());
    let end = bytes.len() - 22;
    let cd = u32::from_le_bytes([
        bytes[end + 16],
        bytes[end + 17],
        bytes[end + 18],
        bytes[end + 19],
    ]) as usize;
    out[cd + 24..cd + 28].copy_from_slice(&size.to_le_bytes());
    Ok(out)
}

/// The package input back from a package read from an archive, for re-signing.
fn input_of(package: &packager::Package) -> packager::PackageInput {
    packager::PackageInput {
        package_id: package.manifest.package_id.clone(),
        created_at: package.manifest.created_at.clone(),
        source: package.manifest.source.clone(),
        exporter: package.manifest.exporter.clone(),
        recipes: package.recipes.clone(),
        connections: package.connections.clone(),
        connectors: package.connectors.clone(),
    }
}

fn signed(package: &packager::Package, seed: u8) -> anyhow::Result<Vec<u8>> {
    let options = packager::BuildOptions {
        signer: Some(packager::PackageSigner::new(
            packager::SigningKey::from_bytes(&[seed; 32]),
        )),
    };
    Ok(packager::build(&input_of(package), &options)?)
}

/// Import (applying) must be refused with `[code]` in the message and change nothing at all.
async fn refused(
    app: &TestApp,
    token: &str,
    what: &str,
    archive: &[u8],
    code: &str,
) -> anyhow::Result<()> {
    let before = db_signature(app).await?;
    let body = import_raw(app, token, "acme-prod", archive, false, None).await?;
    let p = payload(&body, "importPackage").map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    assert_eq!(p["applied"], false, "{what}: {body}");
    assert_eq!(p["package"], Value::Null, "{what}: {body}");
    assert_eq!(
        p["userErrors"][0]["code"], "BAD_USER_INPUT",
        "{what}: {body}"
    );
    assert_eq!(
        p["userErrors"][0]["field"],
        json!(["input", "archive"]),
        "{what}: {body}"
    );
    let message = p["userErrors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("[{code}]")),
        "{what}: expected [{code}], got {message}"
    );
    let after = db_signature(app).await?;
    assert_eq!(
        changed_tables(&before, &after),
        Vec::<String>::new(),
        "{what} wrote something"
    );
    Ok(())
}

async fn hostile_archives(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        LISTING,
        "Tracker",
        &recipe_connector_source("Tracker"),
    )
    .await?;
    set_up_dev(&app, &admin, "acme-dev").await?;
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    let exported = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "folders": ["sales"] }),
    )
    .await?;
    let good = download(&app, &admin, &exported).await?;
    let package = packager::read(&good, &packager::Limits::default())?;

    let mut cases: Vec<(String, Vec<u8>, &str)> = Vec::new();
    for name in ["../x", "..\\x", "/x", "C:/x"] {
        cases.push((format!("path {name}"), archive_named(name)?, "UNSAFE_PATH"));
    }
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.add_symlink("sales/a.recipe.json", "/etc/passwd", zip_options())?;
    cases.push(("symlink".into(), writer.finish()?.into_inner(), "SYMLINK"));
    let duplicate = patch_bytes(
        &zip_of(&[("a.recipe.json", b"{}"), ("b.recipe.json", b"[]")])?,
        b"b.recipe.json",
        b"a.recipe.json",
    )?;
    cases.push(("duplicate".into(), duplicate, "DUPLICATE_ENTRY"));
    let case_duplicate = zip_of(&[
        ("Sales/A.recipe.json", b"{}"),
        ("sales/a.recipe.json", b"{}"),
    ])?;
    cases.push(("case duplicate".into(), case_duplicate, "DUPLICATE_ENTRY"));
    let names: Vec<String> = (0..=2_000).map(|i| format!("r{i}.recipe.json")).collect();
    let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"{}" as &[u8])).collect();
    cases.push((
        "too many entries".into(),
        zip_of(&many)?,
        "TOO_MANY_ENTRIES",
    ));
    let zeros = vec![0_u8; 50_000_000];
    let bomb = zip_of(&[("bomb.recipe.json", &zeros)])?;
    anyhow::ensure!(bomb.len() < 200_000, "the bomb is small");
    cases.push(("bomb".into(), bomb.clone(), "COMPRESSION_RATIO"));
    cases.push((
        "bomb lying about its size".into(),
        lie_about_first_size(&bomb, 1_000)?,
        "CORRUPT_ENTRY",
    ));
    let liar = lie_about_first_size(&zip_of(&[("a.recipe.json", &[b'x'; 5_000])])?, 10)?;
    cases.push(("declared size lies".into(), liar, "CORRUPT_ENTRY"));
    cases.push((
        "truncated".into(),
        good[..good.len() / 2].to_vec(),
        "MALFORMED_ARCHIVE",
    ));
    cases.push((
        "truncated tail".into(),
        good[..good.len() - 10].to_vec(),
        "MALFORMED_ARCHIVE",
    ));
    let mut junk = b"#!/bin/sh\nexit 0\n".to_vec();
    junk.extend(&good);
    cases.push(("junk before".into(), junk, "MALFORMED_ARCHIVE"));
    cases.push((
        "format version 2".into(),
        edit_manifest(&good, |m| m["format_version"] = 2.into())?,
        "UNSUPPORTED_FORMAT_VERSION",
    ));
    let conn_path = "shared/Tracker.connection.json";
    let tampered = repack(&good, |files| {
        if let Some(file) = files.iter_mut().find(|(n, _)| n == conn_path)
            && let Some(at) = file.1.iter().position(|b| *b == b'e')
        {
            file.1[at] = b'f'; // same size, different bytes
        }
    })?;
    cases.push(("hash differs".into(), tampered, "HASH_MISMATCH"));
    let unlisted = repack(&good, |files| {
        files.push(("sales/Extra.recipe.json".into(), b"{}".to_vec()))
    })?;
    cases.push(("unlisted file".into(), unlisted, "UNLISTED_FILE"));
    let missing = repack(&good, |files| files.retain(|(n, _)| n != conn_path))?;
    cases.push(("listed file missing".into(), missing, "MISSING_FILE"));

    for (what, archive, code) in &cases {
        refused(&app, &admin, what, archive, code).await?;
    }

    // Signatures: require them, trusting one key.
    let trusted = packager::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let key = base64_standard(trusted.as_bytes());
    let policy = ok(
        &app,
        &admin,
        SET_POLICY,
        "setPackagePolicy",
        json!({ "workspace": "acme-prod", "requireSigned": true, "trustedKeys": [key] }),
    )
    .await?;
    assert_eq!(policy["requireSigned"], true);
    refused(&app, &admin, "unsigned", &good, "SIGNATURE_REQUIRED").await?;
    refused(
        &app,
        &admin,
        "signed by another key",
        &signed(&package, 8)?,
        "UNTRUSTED_KEY",
    )
    .await?;
    let forged = edit_manifest(&signed(&package, 7)?, |m| m["exporter"] = "mallory".into())?;
    refused(
        &app,
        &admin,
        "signature over another manifest",
        &forged,
        "BAD_SIGNATURE",
    )
    .await?;

    // Correctly signed: accepted, planned and applied.
    let good_signed = signed(&package, 7)?;
    let dry = import(&app, &admin, "acme-prod", &good_signed, true, None).await?;
    assert_eq!(dry["plan"]["creates"], 4, "{dry}");
    let fp = dry["fingerprint"].as_str().unwrap_or_default().to_owned();
    let applied = import(&app, &admin, "acme-prod", &good_signed, false, Some(&fp)).await?;
    assert_eq!(applied["package"]["outcome"], "applied");
    let prod = state_of(&app, &admin, "acme-prod").await?;
    assert_eq!(prod["recipes"].as_array().map(Vec::len), Some(2));
    // Refused imports leave no trace in the history: only the signed package's two records.
    assert_eq!(prod["packages"].as_array().map(Vec::len), Some(2), "{prod}");
    app.stop().await
}

tests::on_both_backends!(packages_hostile_archives, super::hostile_archives);

// ---- 5. A fault in the middle of an apply. ----

async fn interrupted_apply(backend: Backend) -> anyhow::Result<()> {
    let app =
        TestApp::spawn_with(backend, |config| config.fail_import_after_assets = Some(1)).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        LISTING,
        "Tracker",
        &recipe_connector_source("Tracker"),
    )
    .await?;
    set_up_dev(&app, &admin, "acme-dev").await?;
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    // Everything: three recipes, a connection and a connector.
    let exported = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "folders": [""] }),
    )
    .await?;
    let archive = download(&app, &admin, &exported).await?;
    let dry = import(&app, &admin, "acme-prod", &archive, true, None).await?;
    assert_eq!(dry["plan"]["creates"], 5, "{dry}");
    let fp = dry["fingerprint"].as_str().unwrap_or_default().to_owned();

    let before = db_signature(&app).await?;
    let body = import_raw(&app, &admin, "acme-prod", &archive, false, Some(&fp)).await?;
    assert_eq!(error_code(&body), Some("INTERNAL_SERVER_ERROR"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    // The client is told the generic message, exactly: no detail of the injected fault.
    assert_eq!(
        body["errors"][0]["message"], "internal server error",
        "internal details reach the client: {body}"
    );
    assert_eq!(
        changed_tables(&before, &db_signature(&app).await?),
        Vec::<String>::new(),
        "an interrupted apply left changes behind"
    );
    let prod = state_of(&app, &admin, "acme-prod").await?;
    assert_eq!(prod["recipes"], json!([]));
    assert_eq!(prod["connections"], json!([]));
    assert_eq!(prod["connectors"], json!([]));
    app.stop().await
}

tests::on_both_backends!(packages_interrupted_apply, super::interrupted_apply);

// ---- Lineage: a package without a parent keeps the target's. ----

/// `docs/package-format.md`, Plan: "`lineage` is the package's parent, or the target's when the
/// package has none". A connector updated by a package that carries no parent keeps the target
/// copy's community lineage.
async fn lineage_kept_without_parent(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        LISTING,
        "Tracker",
        &recipe_connector_source("Tracker"),
    )
    .await?;
    set_up_dev(&app, &admin, "acme-dev").await?;
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    let exported = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "folders": ["sales"] }),
    )
    .await?;
    let archive = download(&app, &admin, &exported).await?;
    import(&app, &admin, "acme-prod", &archive, false, None).await?;

    // The same package with a changed source and no parent.
    let package = packager::read(&archive, &packager::Limits::default())?;
    let mut input = input_of(&package);
    let connector = input
        .connectors
        .first_mut()
        .ok_or_else(|| anyhow::anyhow!("no connector"))?;
    let source = connector.source().unwrap_or_default().replace(
        EDITED_DESCRIPTION,
        "  description: \"Tracker, built in house\",",
    );
    anyhow::ensure!(
        source.contains("built in house"),
        "the package carries the source"
    );
    connector.sha256 = sha256_hex(&source);
    connector.content = packager::ConnectorContent::Source(source);
    connector.parent = None;
    let orphan = packager::build(&input, &packager::BuildOptions::default())?;
    let dry = import(&app, &admin, "acme-prod", &orphan, true, None).await?;
    let plan = &dry["plan"]["detail"]["connectors"][0];
    assert_eq!(plan["action"], "update", "{dry}");
    assert_eq!(
        plan["lineage"],
        json!({ "listing": LISTING, "version": "1.0.0" }),
        "{dry}"
    );
    import(&app, &admin, "acme-prod", &orphan, false, None).await?;
    let prod = state_of(&app, &admin, "acme-prod").await?;
    assert_eq!(prod["connectors"][0]["releasedNumber"], 2);
    assert_eq!(
        prod["connectors"][0]["parentVersion"],
        json!({ "version": "1.0.0" }),
        "the plan promised to keep the target's lineage: {}",
        prod["connectors"][0]["parentVersion"]
    );
    app.stop().await
}

tests::on_both_backends!(
    packages_lineage_kept_without_parent,
    super::lineage_kept_without_parent
);

// ---- 6. Closed source travels by reference, and exporting source is reading it. ----

const ERP: &str = "acme-erp";
const ERP_JSON: &str = "connectors/acme-erp/connector.json";

const SET_ROLE: &str = r#"
mutation($input: SetWorkspaceRoleInput!) {
  setWorkspaceRole(input: $input) { role { name permissions } userErrors { field message code } }
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

const RELEASED_SOURCE: &str = r#"
query($ws: String!) { workspace(slug: $ws) { connectors { released { source } } } }"#;

/// The closed-source listing `acme-erp`, versions 1.0.0 and 1.1.0, owned by the holder of `author`.
async fn closed_listing(app: &TestApp, author: &str) -> anyhow::Result<()> {
    let mut input = create_input(ERP, "Acme ERP", "erp", ACME_ERP_1_0_0);
    input["sourceHidden"] = json!(true);
    let body = app
        .graphql(Some(author), CREATE_CONNECTOR, json!({ "input": input }))
        .await?;
    let p = payload(&body, "createConnector")?;
    anyhow::ensure!(p["userErrors"] == json!([]), "createConnector: {body}");
    let input = json!({ "slug": ERP, "version": "1.1.0", "source": ACME_ERP_1_1_0 });
    publish(app, author, input).await?;
    Ok(())
}

fn erp_definition() -> Value {
    json!({
        "trigger": { "connector": ERP, "trigger": "new_invoice", "input": {} },
        "steps": [
            { "connector": ERP, "action": "get_customer",
              "input": { "customer_number": "{{trigger.customer_number}}" } }
        ]
    })
}

/// Install `acme-erp` (1.1.0) in `ws` and release it; returns the copy's id.
async fn install_erp(app: &TestApp, token: &str, ws: &str) -> anyhow::Result<Value> {
    let copy = ok(
        app,
        token,
        INSTALL,
        "installConnector",
        json!({ "workspace": ws, "connector": ERP }),
    )
    .await?["workspaceConnector"]["id"]
        .clone();
    let released = ok(
        app,
        token,
        RELEASE,
        "releaseWorkspaceConnector",
        json!({ "workspaceConnectorId": copy }),
    )
    .await?;
    anyhow::ensure!(
        released["workspaceConnector"]["released"]["sha256"] == sha256_hex(ACME_ERP_1_1_0),
        "{released}"
    );
    Ok(copy)
}

/// No line of the closed source in the archive's bytes, nor in any of its entries.
fn assert_no_closed_source(archive: &[u8]) -> anyhow::Result<()> {
    let lines = distinctive_lines(ACME_ERP_1_1_0);
    anyhow::ensure!(lines.contains(&ACME_ERP_DISTINCTIVE_LINE), "{lines:?}");
    let files = entries(archive)?;
    for line in lines {
        assert!(
            !archive.windows(line.len()).any(|w| w == line.as_bytes()),
            "the archive bytes hold the closed-source line {line:?}"
        );
        for (name, data) in &files {
            assert!(
                !String::from_utf8_lossy(data).contains(line),
                "{name} holds the closed-source line {line:?}"
            );
        }
    }
    Ok(())
}

/// A development workspace using the closed-source listing, exported: the archive.
async fn closed_source_export(app: &TestApp, admin: &str) -> anyhow::Result<Vec<u8>> {
    workspace(app, admin, "acme-dev", "DEVELOPMENT").await?;
    install_erp(app, admin, "acme-dev").await?;
    recipe(
        app,
        admin,
        "acme-dev",
        "finance",
        "Invoices",
        erp_definition(),
    )
    .await?;
    let exported = export(
        app,
        admin,
        json!({ "workspace": "acme-dev", "folders": ["finance"] }),
    )
    .await?;
    download(app, admin, &exported).await
}

async fn closed_source_by_reference(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("ledgerline").await?;
    let admin = app.user_with_token("admin").await?;
    closed_listing(&app, &author).await?;
    let archive = closed_source_export(&app, &admin).await?;

    // The archive carries no source, only the reference.
    check_with_external_tools(&archive)?;
    let files = entries(&archive)?;
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [ERP_JSON, "finance/Invoices.recipe.json", "manifest.json"]
    );
    assert_no_closed_source(&archive)?;
    let sha = sha256_hex(ACME_ERP_1_1_0);
    let metadata: Value = serde_json::from_slice(
        &files
            .iter()
            .find(|(n, _)| n == ERP_JSON)
            .map(|(_, d)| d.clone())
            .unwrap_or_default(),
    )?;
    assert_eq!(
        metadata,
        json!({ "name": "Acme ERP", "parent": { "listing": ERP, "version": "1.1.0" },
                "reference": { "listing": ERP, "sha256": sha, "version": "1.1.0" },
                "sha256": sha, "slug": ERP, "workspace_version": 1 })
    );

    // Production resolves it from the catalog: dry run, then apply.
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    let dry = import(&app, &admin, "acme-prod", &archive, true, None).await?;
    assert_eq!(
        counts(&dry),
        json!({ "applicable": true, "noop": false, "creates": 2, "updates": 0, "unchanged": 0,
                "conflicts": 0, "connectionsNeedingCredentials": 0, "restarts": 0,
                "missingDependencies": 0 })
    );
    let step = &dry["plan"]["detail"]["connectors"][0];
    assert_eq!(step["action"], "create", "{dry}");
    assert_eq!(
        step["reasons"],
        json!([{ "code": "NOT_IN_TARGET" }]),
        "{dry}"
    );
    let fingerprint = dry["fingerprint"].as_str().unwrap_or_default().to_owned();
    import(
        &app,
        &admin,
        "acme-prod",
        &archive,
        false,
        Some(&fingerprint),
    )
    .await?;
    let prod = app
        .data(Some(&admin), CLOSED_STATE, json!({ "ws": "acme-prod" }))
        .await?;
    assert_eq!(
        prod["workspace"]["connectors"],
        json!([{ "name": "Acme ERP", "listing": { "slug": ERP },
                 "parentVersion": { "version": "1.1.0" }, "latestNumber": 1, "releasedNumber": 1,
                 "released": { "number": 1, "sha256": sha, "origin": "IMPORTED" } }])
    );
    assert_eq!(prod["workspace"]["recipes"][0]["folder"], "finance");
    // The copy holds the catalog's source, which the importer still may not read.
    let imported = {
        use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
        entities::workspace_connector_version::Entity::find()
            .filter(entities::workspace_connector_version::Column::Origin.eq("imported"))
            .all(app.conn()?)
            .await?
    };
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].source, ACME_ERP_1_1_0);
    assert_eq!(sha256_hex(&imported[0].source), sha);
    let body = app
        .graphql(Some(&admin), RELEASED_SOURCE, json!({ "ws": "acme-prod" }))
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

    // Applying it again changes nothing but the history and the audit log.
    let before = db_signature(&app).await?;
    let again = import(&app, &admin, "acme-prod", &archive, false, None).await?;
    assert_eq!(again["plan"]["noop"], true, "{again}");
    assert_eq!(again["plan"]["unchanged"], 2, "{again}");
    let mut changed = changed_tables(&before, &db_signature(&app).await?);
    changed.retain(|t| t != "packages" && t != "audit_events");
    assert_eq!(changed, Vec::<String>::new(), "a no-op import wrote these");
    app.stop().await
}

tests::on_both_backends!(
    packages_closed_source_by_reference,
    super::closed_source_by_reference
);

/// A closed-source copy edited by its listing's owner is not a community version: it cannot
/// travel by reference, and its source may not travel at all.
async fn closed_source_local_edits_refused(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("ledgerline").await?;
    closed_listing(&app, &author).await?;
    workspace(&app, &author, "erp-lab", "DEVELOPMENT").await?;
    let copy = install_erp(&app, &author, "erp-lab").await?;
    let edited = ACME_ERP_1_1_0.replace(
        "Customers, sales orders, invoices and inventory in Acme ERP.",
        "Tuned in the lab.",
    );
    anyhow::ensure!(edited != ACME_ERP_1_1_0);
    ok(
        &app,
        &author,
        EDIT,
        "editWorkspaceConnector",
        json!({ "workspaceConnectorId": copy, "source": edited }),
    )
    .await?;
    ok(
        &app,
        &author,
        RELEASE,
        "releaseWorkspaceConnector",
        json!({ "workspaceConnectorId": copy }),
    )
    .await?;
    recipe(
        &app,
        &author,
        "erp-lab",
        "finance",
        "Invoices",
        erp_definition(),
    )
    .await?;

    let before = db_signature(&app).await?;
    let body = app
        .graphql(
            Some(&author),
            EXPORT,
            json!({ "input": { "workspace": "erp-lab", "folders": ["finance"] } }),
        )
        .await?;
    let p = payload(&body, "exportPackage")?;
    assert_eq!(p["package"], Value::Null, "{body}");
    assert_eq!(p["userErrors"][0]["code"], "BAD_USER_INPUT", "{body}");
    let message = p["userErrors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(ERP) && message.contains("closed source"),
        "{message}"
    );
    assert_eq!(
        changed_tables(&before, &db_signature(&app).await?),
        Vec::<String>::new(),
        "a refused export wrote something"
    );
    app.stop().await
}

tests::on_both_backends!(
    packages_closed_source_local_edits_refused,
    super::closed_source_local_edits_refused
);

fn set_reference(
    connector: &mut packager::ConnectorAsset,
    listing: &str,
    version: &str,
    sha256: &str,
) {
    connector.sha256 = sha256.to_owned();
    connector.content = packager::ConnectorContent::Reference(packager::CatalogReference {
        listing: listing.to_owned(),
        version: version.to_owned(),
        sha256: sha256.to_owned(),
    });
}

/// References this server cannot resolve: the dry run plans a conflict with the reason, the
/// apply is refused and writes nothing.
async fn closed_source_tampered_references(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("ledgerline").await?;
    let admin = app.user_with_token("admin").await?;
    closed_listing(&app, &author).await?;
    let archive = closed_source_export(&app, &admin).await?;
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    let package = packager::read(&archive, &packager::Limits::default())?;
    let sha = sha256_hex(ACME_ERP_1_1_0);
    let other_sha = sha256_hex("export default { title: \"Not Acme ERP\" };\n");

    type Tamper<'a> = Box<dyn Fn(&mut packager::PackageInput) + 'a>;
    let cases: Vec<(&str, Tamper, Value)> = vec![
        (
            "unknown version",
            Box::new(|input| set_reference(&mut input.connectors[0], ERP, "9.9.9", &sha)),
            json!({ "code": "UNKNOWN_VERSION", "listing": ERP, "version": "9.9.9" }),
        ),
        (
            "wrong sha256",
            Box::new(|input| set_reference(&mut input.connectors[0], ERP, "1.1.0", &other_sha)),
            json!({ "code": "CATALOG_SHA256_DIFFERS", "listing": ERP, "version": "1.1.0" }),
        ),
        (
            "another version's sha256",
            Box::new(|input| set_reference(&mut input.connectors[0], ERP, "1.0.0", &sha)),
            json!({ "code": "CATALOG_SHA256_DIFFERS", "listing": ERP, "version": "1.0.0" }),
        ),
        (
            "unknown listing",
            Box::new(|input| {
                let connector = &mut input.connectors[0];
                connector.slug = "ghost-erp".into();
                connector.parent = None;
                set_reference(connector, "ghost-erp", "1.1.0", &sha);
                for recipe in &mut input.recipes {
                    let text = recipe.definition.to_string().replace(ERP, "ghost-erp");
                    recipe.definition = serde_json::from_str(&text).unwrap_or_default();
                }
            }),
            json!({ "code": "UNKNOWN_LISTING", "listing": "ghost-erp" }),
        ),
    ];
    for (what, tamper, reason) in cases {
        let mut input = input_of(&package);
        tamper(&mut input);
        let tampered = packager::build(&input, &packager::BuildOptions::default())?;
        let dry = import(&app, &admin, "acme-prod", &tampered, true, None).await?;
        assert_eq!(dry["plan"]["applicable"], false, "{what}: {dry}");
        assert_eq!(dry["plan"]["conflicts"], 1, "{what}: {dry}");
        assert_eq!(dry["plan"]["missingDependencies"], 0, "{what}: {dry}");
        let step = &dry["plan"]["detail"]["connectors"][0];
        assert_eq!(step["action"], "conflict", "{what}: {dry}");
        assert_eq!(
            step["reasons"],
            json!([{ "code": "NOT_IN_TARGET" }, reason]),
            "{what}: {dry}"
        );
        assert_eq!(step["create_version"], Value::Null, "{what}: {dry}");

        let fingerprint = dry["fingerprint"].as_str().unwrap_or_default().to_owned();
        let before = db_signature(&app).await?;
        let body = import_raw(
            &app,
            &admin,
            "acme-prod",
            &tampered,
            false,
            Some(&fingerprint),
        )
        .await?;
        let p = payload(&body, "importPackage")?;
        assert_eq!(p["applied"], false, "{what}: {body}");
        assert_eq!(p["userErrors"][0]["code"], "CONFLICT", "{what}: {body}");
        assert_eq!(
            p["userErrors"][0]["field"],
            json!(["input", "archive"]),
            "{what}: {body}"
        );
        assert_eq!(
            changed_tables(&before, &db_signature(&app).await?),
            Vec::<String>::new(),
            "{what}: a refused apply wrote something"
        );
    }
    let prod = app
        .data(Some(&admin), CLOSED_STATE, json!({ "ws": "acme-prod" }))
        .await?;
    assert_eq!(prod["workspace"]["connectors"], json!([]));
    assert_eq!(prod["workspace"]["recipes"], json!([]));
    app.stop().await
}

tests::on_both_backends!(
    packages_closed_source_tampered_references,
    super::closed_source_tampered_references
);

/// A custom role with `PACKAGE_EXPORT` but not `CONNECTOR_VIEW_SOURCE` exports recipes whose
/// connectors travel by reference, but not a connector's source.
async fn export_source_needs_view_source(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let releaser = app.user_with_token("releaser").await?;
    create_listing(
        &app,
        &author,
        LISTING,
        "Tracker",
        &recipe_connector_source("Tracker"),
    )
    .await?;
    closed_listing(&app, &author).await?;
    set_up_dev(&app, &admin, "acme-dev").await?;
    install_erp(&app, &admin, "acme-dev").await?;
    recipe(
        &app,
        &admin,
        "acme-dev",
        "finance",
        "Invoices",
        erp_definition(),
    )
    .await?;
    let role = ok(
        &app,
        &admin,
        SET_ROLE,
        "setWorkspaceRole",
        json!({ "workspace": "acme-dev", "name": "release-engineer",
                "permissions": ["PACKAGE_EXPORT", "RECIPE_READ"] }),
    )
    .await?;
    assert_eq!(
        role["role"]["permissions"],
        json!(["RECIPE_READ", "PACKAGE_EXPORT"]),
        "{role}"
    );
    set_member(&app, &admin, "acme-dev", "releaser", "release-engineer").await?;

    // The closed-source connector goes by reference: no source is read, no permission needed.
    let by_reference = export(
        &app,
        &releaser,
        json!({ "workspace": "acme-dev", "folders": ["finance"] }),
    )
    .await?;
    assert_no_closed_source(&download(&app, &admin, &by_reference).await?)?;

    // The open-source one would carry its source: FORBIDDEN, the refusal audited, nothing else.
    let before = db_signature(&app).await?;
    let body = app
        .graphql(
            Some(&releaser),
            EXPORT,
            json!({ "input": { "workspace": "acme-dev", "folders": ["sales"] } }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(LISTING) && message.contains("connector.view_source"),
        "{message}"
    );
    let after = db_signature(&app).await?;
    assert_eq!(changed_tables(&before, &after), ["audit_events"]);
    assert_eq!(
        after["audit_events"].0,
        before["audit_events"].0 + 1,
        "one audit row, the refusal"
    );
    let audit = app
        .data(Some(&admin), AUDIT, json!({ "ws": "acme-dev" }))
        .await?;
    let denied: Vec<&Value> = audit["workspace"]["auditEvents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["outcome"] == "denied")
        .collect();
    assert_eq!(denied.len(), 1, "{audit}");
    assert_eq!(denied[0]["action"], "connector.view_source", "{audit}");
    assert_eq!(denied[0]["objectType"], "workspace_connector", "{audit}");
    let history = app
        .data(
            Some(&admin),
            "query($ws: String!) { workspace(slug: $ws) { packages { direction outcome } } }",
            json!({ "ws": "acme-dev" }),
        )
        .await?;
    assert_eq!(
        history["workspace"]["packages"],
        json!([{ "direction": "export", "outcome": "exported" }]),
        "only the export by reference is recorded"
    );
    app.stop().await
}

tests::on_both_backends!(
    packages_export_source_needs_view_source,
    super::export_source_needs_view_source
);

// ---- 7. A stored archive leaves under today's rules for the source it carries. ----

/// GET a package's `downloadPath` with the bearer token: the status and the body as JSON (a
/// refusal's GraphQL-shaped error), or the size of a body that is not JSON.
async fn download_refusal(
    app: &TestApp,
    token: &str,
    package: &Value,
) -> anyhow::Result<(u16, Value)> {
    let path = package["downloadPath"].as_str().unwrap_or_default();
    anyhow::ensure!(path.starts_with("/packages/"), "{package}");
    let resp = app
        .client
        .get(format!("{}{path}", app.base_url))
        .bearer_auth(token)
        .send()
        .await?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await?;
    // An archive handed out is no JSON: say so, and let the status assertion tell the story.
    let body =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({ "not_json_bytes": bytes.len() }));
    Ok((status, body))
}

/// The download of `package` by `token` is refused with 403 `FORBIDDEN` and a message holding
/// every one of `words`; the only row written is one denied `connector.view_source` audit event
/// on the package, in its workspace, by the user `actor`.
async fn assert_download_refused(
    app: &TestApp,
    token: &str,
    actor: &str,
    package: &Value,
    words: &[&str],
) -> anyhow::Result<()> {
    use sea_orm::{EntityTrait as _, QueryOrder as _};
    let before = db_signature(app).await?;
    let (status, body) = download_refusal(app, token, package).await?;
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    for word in words {
        assert!(message.contains(word), "{word:?} not in {message:?}");
    }
    let after = db_signature(app).await?;
    assert_eq!(changed_tables(&before, &after), ["audit_events"]);
    assert_eq!(
        after["audit_events"].0,
        before["audit_events"].0 + 1,
        "one audit row, the refusal"
    );
    let db = app.conn()?;
    let event = entities::audit_event::Entity::find()
        .order_by_desc(entities::audit_event::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no audit event"))?;
    let record = entities::package::Entity::find()
        .order_by_desc(entities::package::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .find(|r| {
            Some(format!("/packages/{}/archive", r.id).as_str()) == package["downloadPath"].as_str()
        })
        .ok_or_else(|| anyhow::anyhow!("no record for {package}"))?;
    let user = entities::user::Entity::find_by_id(event.actor_id.unwrap_or_default())
        .one(db)
        .await?
        .map(|u| u.handle);
    assert_eq!(
        (
            event.action.as_str(),
            event.object_type.as_str(),
            event.object_id.as_str(),
            event.outcome.as_str(),
            event.workspace_id,
            user.as_deref(),
        ),
        (
            "connector.view_source",
            "package",
            record.package_id.as_str(),
            "denied",
            Some(record.workspace_id),
            Some(actor),
        ),
        "{event:?}"
    );
    Ok(())
}

/// The one export recorded in `ws`, as the schema shows it.
async fn only_export(app: &TestApp, token: &str, ws: &str) -> anyhow::Result<Value> {
    let state = app
        .data(
            Some(token),
            "query($ws: String!) { workspace(slug: $ws) { packages { direction downloadPath } } }",
            json!({ "ws": ws }),
        )
        .await?;
    let exports: Vec<&Value> = state["workspace"]["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["direction"] == "export")
        .collect();
    anyhow::ensure!(exports.len() == 1, "{state}");
    Ok(exports[0].clone())
}

/// The custom role `release-engineer` (`PACKAGE_EXPORT` and `RECIPE_READ`, no
/// `CONNECTOR_VIEW_SOURCE`) for the user `releaser` in `ws`; their token, used once already so that
/// later requests write nothing.
async fn release_engineer(app: &TestApp, admin: &str, ws: &str) -> anyhow::Result<String> {
    let releaser = app.user_with_token("releaser").await?;
    ok(
        app,
        admin,
        SET_ROLE,
        "setWorkspaceRole",
        json!({ "workspace": ws, "name": "release-engineer",
                "permissions": ["PACKAGE_EXPORT", "RECIPE_READ"] }),
    )
    .await?;
    set_member(app, admin, ws, "releaser", "release-engineer").await?;
    let seen = app
        .data(
            Some(&releaser),
            "query($ws: String!) { workspace(slug: $ws) { slug } }",
            json!({ "ws": ws }),
        )
        .await?;
    anyhow::ensure!(seen["workspace"]["slug"] == ws, "{seen}");
    Ok(releaser)
}

/// An archive exported before closed-source connectors travelled by reference carries the
/// closed source: it is refused to everyone, the workspace admin too, until exported again.
async fn download_refuses_closed_source_exported_before_the_fix(
    backend: Backend,
) -> anyhow::Result<()> {
    use sea_orm::{
        ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, EntityTrait as _,
        QueryFilter as _,
    };
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("ledgerline").await?;
    let admin = app.user_with_token("admin").await?;
    closed_listing(&app, &author).await?;
    let by_reference = closed_source_export(&app, &admin).await?;

    // What the exporter wrote before the fix: the same package with the closed source in it.
    let package = packager::read(&by_reference, &packager::Limits::default())?;
    let mut input = input_of(&package);
    input.connectors[0].content = packager::ConnectorContent::Source(ACME_ERP_1_1_0.to_owned());
    let pre_fix = packager::build(&input, &packager::BuildOptions::default())?;
    anyhow::ensure!(
        entries(&pre_fix)?
            .iter()
            .any(|(name, data)| name.ends_with("connector.js")
                && String::from_utf8_lossy(data).contains(ACME_ERP_DISTINCTIVE_LINE)),
        "the simulated archive must carry the closed source"
    );
    let exported = only_export(&app, &admin, "acme-dev").await?;
    let db = app.conn()?;
    let stored = entities::package::Entity::find()
        .filter(entities::package::Column::Direction.eq("export"))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no export recorded"))?;
    let mut active: entities::package::ActiveModel = stored.into();
    active.sha256 = Set(sha256_hex_bytes(&pre_fix));
    active.size = Set(i64::try_from(pre_fix.len())?);
    active.archive = Set(Some(pre_fix));
    active.update(db).await?;

    assert_download_refused(
        &app,
        &admin,
        "admin",
        &exported,
        &[ERP, "closed source", "export"],
    )
    .await?;

    // Exported again, the connector travels by reference and the archive downloads.
    let again = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "folders": ["finance"] }),
    )
    .await?;
    assert_eq!(download(&app, &admin, &again).await?, by_reference);
    app.stop().await
}

tests::on_both_backends!(
    packages_download_refuses_closed_source_exported_before_the_fix,
    super::download_refuses_closed_source_exported_before_the_fix
);

/// An archive carrying the source of a listing that was open at export and is closed source now
/// is refused to everyone.
async fn download_refuses_source_closed_since_export(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        LISTING,
        "Tracker",
        &recipe_connector_source("Tracker"),
    )
    .await?;
    let dev = set_up_dev(&app, &admin, "acme-dev").await?;
    let exported = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "folders": ["sales"] }),
    )
    .await?;
    let archive = download(&app, &admin, &exported).await?;
    anyhow::ensure!(
        entries(&archive)?
            .iter()
            .any(|(_, data)| data == dev.released_source.as_bytes()),
        "the archive must carry the open source"
    );

    let closed = ok(
        &app,
        &author,
        crate::fixtures::UPDATE_CONNECTOR,
        "updateConnector",
        json!({ "slug": LISTING, "sourceHidden": true }),
    )
    .await?;
    anyhow::ensure!(closed["connector"]["slug"] == LISTING, "{closed}");

    assert_download_refused(
        &app,
        &admin,
        "admin",
        &exported,
        &[LISTING, "closed source", "export"],
    )
    .await?;
    app.stop().await
}

tests::on_both_backends!(
    packages_download_refuses_source_closed_since_export,
    super::download_refuses_source_closed_since_export
);

/// Downloading an archive that carries open source is reading that source: a role with
/// `PACKAGE_EXPORT` but not `CONNECTOR_VIEW_SOURCE` is refused the admin's export, which the
/// admin downloads.
async fn download_source_needs_view_source(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        LISTING,
        "Tracker",
        &recipe_connector_source("Tracker"),
    )
    .await?;
    let dev = set_up_dev(&app, &admin, "acme-dev").await?;
    let exported = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "folders": ["sales"] }),
    )
    .await?;
    let releaser = release_engineer(&app, &admin, "acme-dev").await?;

    assert_download_refused(
        &app,
        &releaser,
        "releaser",
        &exported,
        &[LISTING, "connector.view_source"],
    )
    .await?;

    let archive = download(&app, &admin, &exported).await?;
    let files = entries(&archive)?;
    let source = files
        .iter()
        .find(|(name, _)| name == &format!("connectors/{LISTING}/connector.js"))
        .map(|(_, data)| data.as_slice());
    assert_eq!(source, Some(dev.released_source.as_bytes()));
    app.stop().await
}

tests::on_both_backends!(
    packages_download_source_needs_view_source,
    super::download_source_needs_view_source
);

/// An archive whose connectors all travel by reference carries no source: `PACKAGE_EXPORT` is
/// enough to download it, and the download writes nothing.
async fn download_by_reference_needs_only_package_export(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("ledgerline").await?;
    let admin = app.user_with_token("admin").await?;
    closed_listing(&app, &author).await?;
    let by_reference = closed_source_export(&app, &admin).await?;
    let exported = only_export(&app, &admin, "acme-dev").await?;
    let releaser = release_engineer(&app, &admin, "acme-dev").await?;

    let before = db_signature(&app).await?;
    let archive = download(&app, &releaser, &exported).await?;
    assert_eq!(archive, by_reference);
    assert_no_closed_source(&archive)?;
    assert_eq!(
        changed_tables(&before, &db_signature(&app).await?),
        Vec::<String>::new(),
        "a download wrote something"
    );
    app.stop().await
}

tests::on_both_backends!(
    packages_download_by_reference_needs_only_package_export,
    super::download_by_reference_needs_only_package_export
);
