//! Shared setup: a development workspace using the open `tracker` listing, and one using the
//! closed-source `acme-erp`; the custom role that may export but not read source.

use super::*;
use crate::fixtures::{
    ACME_ERP_1_0_0, ACME_ERP_1_1_0, CREATE_CONNECTOR, create_input, recipe_connector_source,
};
use crate::lifecycle::{create_listing, publish, set_member};

/// What [`set_up_dev`] made in a development workspace: the listing installed, edited and
/// released, a connection with a secret, and recipes in folders (one running).
pub(super) struct DevAssets {
    pub released_sha256: String,
    pub released_source: String,
    pub connection: Value,
    /// `(id, asset id)` of "sales/leads/Sync leads", "sales/Digest" and "ops/Cleanup".
    pub sync: (Value, String),
    pub digest: (Value, String),
    pub cleanup: (Value, String),
}

impl DevAssets {
    /// The connection's asset id.
    pub fn connection_asset(&self) -> String {
        asset_id(&self.connection)
    }
}

/// A server where `author` published `tracker` and `admin` set up `acme-dev` with it.
pub(super) struct Dev {
    pub app: TestApp,
    pub author: String,
    pub admin: String,
    pub assets: DevAssets,
}

/// A fresh server with `acme-dev` set up (see [`Dev`]).
pub(super) async fn arrange_dev(backend: Backend) -> anyhow::Result<Dev> {
    arrange_dev_on(TestApp::spawn(backend).await?).await
}

/// [`arrange_dev`] on a server already started.
pub(super) async fn arrange_dev_on(app: TestApp) -> anyhow::Result<Dev> {
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
    let assets = set_up_dev(&app, &admin, "acme-dev").await?;
    Ok(Dev {
        app,
        author,
        admin,
        assets,
    })
}

/// [`arrange_dev`] plus the empty production workspace `acme-prod` and an export of `acme-dev`'s
/// "sales" folder (both of its recipes, not "ops/Cleanup"): the server, the package, the archive.
pub(super) async fn arrange_sales_export(
    backend: Backend,
) -> anyhow::Result<(Dev, Value, Vec<u8>)> {
    let dev = arrange_dev(backend).await?;
    workspace(&dev.app, &dev.admin, "acme-prod", "PRODUCTION").await?;
    let (package, archive) = export_folders(&dev.app, &dev.admin, &["sales"]).await?;
    Ok((dev, package, archive))
}

fn asset_id(asset: &Value) -> String {
    asset["assetId"].as_str().unwrap_or_default().to_owned()
}

/// A recipe using the `tracker` listing through `connection`.
fn definition(connection: &str, step_input: &str) -> Value {
    json!({
        "trigger": { "connector": LISTING, "trigger": "new_item", "connection": connection, "input": {} },
        "steps": [
            { "connector": LISTING, "action": "get_item", "connection": connection,
              "input": { "id": step_input } }
        ]
    })
}

/// `createRecipe`, stopped; returns `(id, asset id)`.
pub(super) async fn recipe(
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
    Ok((r["id"].clone(), asset_id(r)))
}

/// `setRecipeState` to `RUNNING`.
pub(super) async fn start_recipe(app: &TestApp, token: &str, id: &Value) -> anyhow::Result<()> {
    let running = ok(
        app,
        token,
        SET_RECIPE_STATE,
        "setRecipeState",
        json!({ "recipeId": id, "state": "RUNNING" }),
    )
    .await?;
    assert_eq!(running["recipe"]["state"], "RUNNING");
    Ok(())
}

async fn set_up_dev(app: &TestApp, token: &str, ws: &str) -> anyhow::Result<DevAssets> {
    workspace(app, token, ws, "DEVELOPMENT").await?;
    let (released_sha256, released_source) = release_edited_tracker(app, token, ws).await?;
    let connection = tracker_connection(app, token, ws).await?;
    let conn = asset_id(&connection);
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
    start_recipe(app, token, &sync.0).await?;
    Ok(DevAssets {
        released_sha256,
        released_source,
        connection,
        sync,
        digest,
        cleanup,
    })
}

/// `tracker` installed in `ws`, edited (version 2) and released: the released sha256 and source.
async fn release_edited_tracker(
    app: &TestApp,
    token: &str,
    ws: &str,
) -> anyhow::Result<(String, String)> {
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
    let released = release(app, token, &copy).await?;
    let rel = &released["workspaceConnector"]["released"];
    anyhow::ensure!(
        rel["number"] == 2 && rel["origin"] == "EDITED",
        "{released}"
    );
    let released_sha256 = sha256_hex(&source);
    anyhow::ensure!(rel["sha256"] == released_sha256.as_str(), "{released}");
    Ok((released_sha256, source))
}

/// `releaseWorkspaceConnector` of the copy `copy`; the payload.
async fn release(app: &TestApp, token: &str, copy: &Value) -> anyhow::Result<Value> {
    ok(
        app,
        token,
        RELEASE,
        "releaseWorkspaceConnector",
        json!({ "workspaceConnectorId": copy }),
    )
    .await
}

/// The connection "shared/Tracker" in `ws`, with the secret [`DEV_SECRET`].
async fn tracker_connection(app: &TestApp, token: &str, ws: &str) -> anyhow::Result<Value> {
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
    Ok(connection)
}

// ---- The closed-source listing. ----

/// The closed-source listing `acme-erp`, versions 1.0.0 and 1.1.0, owned by the holder of `author`.
pub(super) async fn closed_listing(app: &TestApp, author: &str) -> anyhow::Result<()> {
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

/// A recipe using `acme-erp`.
pub(super) fn erp_definition() -> Value {
    json!({
        "trigger": { "connector": ERP, "trigger": "new_invoice", "input": {} },
        "steps": [
            { "connector": ERP, "action": "get_customer",
              "input": { "customer_number": "{{trigger.customer_number}}" } }
        ]
    })
}

/// Install `acme-erp` (1.1.0) in `ws` and release it; returns the copy's id.
pub(super) async fn install_erp(app: &TestApp, token: &str, ws: &str) -> anyhow::Result<Value> {
    let copy = ok(
        app,
        token,
        INSTALL,
        "installConnector",
        json!({ "workspace": ws, "connector": ERP }),
    )
    .await?["workspaceConnector"]["id"]
        .clone();
    let released = release(app, token, &copy).await?;
    anyhow::ensure!(
        released["workspaceConnector"]["released"]["sha256"] == sha256_hex(ACME_ERP_1_1_0),
        "{released}"
    );
    Ok(copy)
}

/// `acme-erp` installed and released in `ws`, edited by `token` to a local version 2 and released.
pub(super) async fn release_local_erp_edit(
    app: &TestApp,
    token: &str,
    ws: &str,
) -> anyhow::Result<()> {
    let copy = install_erp(app, token, ws).await?;
    let edited = ACME_ERP_1_1_0.replace(
        "Customers, sales orders, invoices and inventory in Acme ERP.",
        "Tuned in the lab.",
    );
    anyhow::ensure!(edited != ACME_ERP_1_1_0);
    ok(
        app,
        token,
        EDIT,
        "editWorkspaceConnector",
        json!({ "workspaceConnectorId": copy, "source": edited }),
    )
    .await?;
    release(app, token, &copy).await?;
    Ok(())
}

/// "finance/Invoices" in `ws`, using `acme-erp`.
pub(super) async fn invoices(app: &TestApp, token: &str, ws: &str) -> anyhow::Result<()> {
    recipe(app, token, ws, "finance", "Invoices", erp_definition()).await?;
    Ok(())
}

/// A development workspace using the closed-source listing, exported: the archive.
async fn closed_source_export(app: &TestApp, admin: &str) -> anyhow::Result<Vec<u8>> {
    workspace(app, admin, "acme-dev", "DEVELOPMENT").await?;
    install_erp(app, admin, "acme-dev").await?;
    invoices(app, admin, "acme-dev").await?;
    Ok(export_folders(app, admin, &["finance"]).await?.1)
}

/// A fresh server where `ledgerline` published `acme-erp` and `admin` exported `acme-dev`'s
/// "finance" folder, whose recipe uses it: the server, the admin's token, the archive.
pub(super) async fn arrange_closed_export(
    backend: Backend,
) -> anyhow::Result<(TestApp, String, Vec<u8>)> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("ledgerline").await?;
    let admin = app.user_with_token("admin").await?;
    closed_listing(&app, &author).await?;
    let archive = closed_source_export(&app, &admin).await?;
    Ok((app, admin, archive))
}

// ---- Who may export. ----

/// The custom role `release-engineer` (`PACKAGE_EXPORT` and `RECIPE_READ`, no
/// `CONNECTOR_VIEW_SOURCE`) for the user `releaser` in `ws`; their token, used once already so that
/// later requests write nothing.
pub(super) async fn release_engineer(
    app: &TestApp,
    admin: &str,
    ws: &str,
) -> anyhow::Result<String> {
    let releaser = app.user_with_token("releaser").await?;
    let role = ok(
        app,
        admin,
        SET_ROLE,
        "setWorkspaceRole",
        json!({ "workspace": ws, "name": "release-engineer",
                "permissions": ["PACKAGE_EXPORT", "RECIPE_READ"] }),
    )
    .await?;
    assert_eq!(
        role["role"]["permissions"],
        json!(["RECIPE_READ", "PACKAGE_EXPORT"]),
        "{role}"
    );
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
