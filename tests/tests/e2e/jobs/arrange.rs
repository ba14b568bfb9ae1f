//! The world of the job tests: a ticket API (a real local HTTP server), a connector for it
//! published, installed and released in a workspace with a connection, and a recipe over it.

use serde_json::{Value, json};
use testkit::Mock;
pub use testkit::tickets::{HOST, SOURCE, routes, tickets};
use tests::{Backend, TestApp};

use crate::fixtures::must;
use crate::lifecycle::{INSTALL, create_listing, create_workspace};

pub const WS: &str = "ops";
pub const LISTING: &str = "tickets";
/// The connection's secret: it reaches the API in a header and is in no job record.
pub const API_KEY: &str = "sk-live-7f3a9c2e-job-secret";

/// A running app with its upstream and the admin's token.
pub struct World {
    pub app: TestApp,
    pub mock: Mock,
    pub admin: String,
    pub recipe: String,
}

/// The app (jobs on, fast), the upstream with `n` tickets, the connector released in `WS`
/// with a connection, and a recipe with `steps` created and started.
pub async fn arrange(backend: Backend, n: i64, steps: Value) -> anyhow::Result<World> {
    let mock = Mock::start()?;
    routes(&mock, n);
    let app = TestApp::spawn_with(backend, fast_jobs(mock.addr)).await?;
    let admin = app.user_with_token("admin").await?;
    prepare(&app, &admin).await?;
    let recipe = add_recipe(&app, &admin, "triage", steps).await?;
    Ok(World {
        app,
        mock,
        admin,
        recipe,
    })
}

/// The ticket connector published, installed in `WS` and released, with a connection.
pub async fn prepare(app: &TestApp, admin: &str) -> anyhow::Result<()> {
    create_listing(app, admin, LISTING, "Tickets", SOURCE).await?;
    create_workspace(app, admin, WS).await?;
    let copy = must(
        app,
        admin,
        INSTALL,
        json!({ "workspace": WS, "connector": LISTING }),
        "installConnector",
    )
    .await?;
    let copy = copy["workspaceConnector"]["id"].clone();
    must(
        app,
        admin,
        RELEASE,
        json!({ "workspaceConnectorId": copy }),
        "releaseWorkspaceConnector",
    )
    .await?;
    let connection = json!({ "workspace": WS, "name": "desk", "connector": LISTING, "values": { "api_key": API_KEY } });
    must(
        app,
        admin,
        CREATE_CONNECTION,
        connection,
        "createConnection",
    )
    .await?;
    Ok(())
}

/// A server that runs jobs, polls every 200 ms, retries after 20 ms, and sends the ticket
/// API's requests to `addr`.
pub fn fast_jobs(addr: std::net::SocketAddr) -> impl FnOnce(&mut api::config::Config) + Clone {
    move |config| {
        config.sandbox.allow_private_networks = true;
        config.sandbox.host_overrides.insert(HOST.to_owned(), addr);
        config.jobs.enabled = true;
        config.jobs.tick_ms = 50;
        config.jobs.poll_interval_ms = 200;
        config.jobs.min_poll_interval_ms = 100;
        config.jobs.retry_backoff_ms = 20;
    }
}

/// A recipe named `name` over the ticket trigger with `steps`, created and started; its id.
pub async fn add_recipe(
    app: &TestApp,
    admin: &str,
    name: &str,
    steps: Value,
) -> anyhow::Result<String> {
    let definition = json!({
        "trigger": { "connector": LISTING, "trigger": "new_ticket", "input": { "queue": "support" } },
        "steps": steps,
    });
    let recipe = must(
        app,
        admin,
        CREATE_RECIPE,
        json!({ "workspace": WS, "name": name, "definition": definition }),
        "createRecipe",
    )
    .await?;
    let recipe = recipe["recipe"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no recipe id"))?
        .to_owned();
    set_state(app, admin, &recipe, "RUNNING").await?;
    Ok(recipe)
}

/// Start or stop a recipe.
pub async fn set_state(
    app: &TestApp,
    token: &str,
    recipe: &str,
    state: &str,
) -> anyhow::Result<()> {
    must(
        app,
        token,
        SET_RECIPE_STATE,
        json!({ "recipeId": recipe, "state": state }),
        "setRecipeState",
    )
    .await?;
    Ok(())
}

const RELEASE: &str = "mutation($input: WorkspaceConnectorInput!) { releaseWorkspaceConnector(input: $input) { workspaceConnector { releasedNumber } userErrors { field message code } } }";
const CREATE_CONNECTION: &str = "mutation($input: CreateConnectionInput!) { createConnection(input: $input) { connection { id } userErrors { field message code } } }";
const CREATE_RECIPE: &str = "mutation($input: CreateRecipeInput!) { createRecipe(input: $input) { recipe { id } userErrors { field message code } } }";
const SET_RECIPE_STATE: &str = "mutation($input: SetRecipeStateInput!) { setRecipeState(input: $input) { recipe { state } userErrors { field message code } } }";
