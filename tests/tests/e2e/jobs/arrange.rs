//! The world of the job tests: a ticket API (a real local HTTP server), a connector for it
//! published, installed and released in a workspace with a connection, and a recipe over it.

use serde_json::{Value, json};
use testkit::{Mock, Reply};
use tests::{Backend, TestApp};

use crate::fixtures::must;
use crate::lifecycle::{INSTALL, create_listing, create_workspace};

pub const WS: &str = "ops";
pub const LISTING: &str = "tickets";
pub const HOST: &str = "tickets.example.com";
/// The connection's secret: it reaches the API in a header and is in no job record.
pub const API_KEY: &str = "sk-live-7f3a9c2e-job-secret";

/// Tickets with an id above the cursor are new; the cursor is the highest id seen. `fail`
/// answers with whatever status the API gives `/outage`.
pub const SOURCE: &str = r#"export default {
  title: "Tickets",
  description: "A ticket desk",
  allowed_hosts: ["tickets.example.com"],
  connection: {
    fields: [ { name: "api_key", control_type: "password" } ],
    authorization: { type: "api_key", header: "X-Api-Key", value: (c) => c.api_key },
    base_uri: (c) => "https://tickets.example.com",
  },
  actions: {
    enrich: {
      title: "Look up a ticket",
      input_fields: [ { name: "id", type: "integer" } ],
      execute: (c, input) => get(`/tickets/${input.id}`),
    },
    notify: {
      title: "Notify the channel",
      input_fields: [ { name: "text" } ],
      execute: (c, input) => post("/notify", { text: input.text }),
    },
    fail: {
      title: "Call the flaky endpoint",
      execute: (c, input) => get("/outage"),
    },
  },
  triggers: {
    new_ticket: {
      title: "New ticket",
      poll: (c, input, cursor) => {
        const after = cursor ?? 0;
        const found = get("/tickets", { queue: input.queue });
        const fresh = found.tickets.filter((t) => t.id > after);
        return { events: fresh, cursor: fresh.reduce((m, t) => Math.max(m, t.id), after) };
      },
      dedup: (ticket) => `${ticket.id}`,
    },
  },
};
"#;

/// A running app with its upstream and the admin's token.
pub struct World {
    pub app: TestApp,
    pub mock: Mock,
    pub admin: String,
    pub recipe: String,
}

/// Tickets 1..=n, as the API lists them.
pub fn tickets(n: i64) -> Value {
    let list: Vec<Value> = (1..=n)
        .map(|id| json!({ "id": id, "title": format!("Ticket {id}") }))
        .collect();
    json!({ "tickets": list })
}

/// The API: `n` tickets listed, each ticket's details, the notify endpoint, and an outage.
pub fn routes(mock: &Mock, n: i64) {
    mock.route("GET", "/tickets", Reply::Json(200, tickets(n)));
    for id in 1..=10 {
        let priority = if id % 2 == 0 { "high" } else { "low" };
        mock.route(
            "GET",
            &format!("/tickets/{id}"),
            Reply::Json(200, json!({ "id": id, "priority": priority })),
        );
    }
    mock.route("POST", "/notify", Reply::Json(200, json!({ "sent": true })));
    mock.route(
        "GET",
        "/outage",
        Reply::Json(503, json!({ "error": "down" })),
    );
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
