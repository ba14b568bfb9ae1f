//! A server killed with SIGKILL in the middle of a job: its lease expires and another server
//! process on the same database takes the job over and completes it, keeping what was recorded.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::{Endpoint, Mock, Reply, tickets};

use super::{FreshDb, run, serve, sigterm_and_wait};

const WS: &str = "ops";

/// A server process that is killed when the test ends early (a failed check), so none outlives it.
struct Server(Option<std::process::Child>);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The configuration file: jobs polled fast, a short lease, the ticket API on the mock.
fn config(mock: &Mock) -> String {
    format!(
        "[jobs]\ntick_ms = 50\npoll_interval_ms = 200\nmin_poll_interval_ms = 100\nlease_ms = 1500\n\
         [sandbox]\nallow_private_networks = true\n\
         [sandbox.host_overrides]\n\"{}\" = \"{}\"\n",
        tickets::HOST,
        mock.addr
    )
}

async fn must(
    server: &Endpoint,
    token: &str,
    document: &str,
    input: Value,
) -> anyhow::Result<Value> {
    let data = server
        .data(Some(token), document, json!({ "input": input }))
        .await?;
    let payload = data
        .as_object()
        .and_then(|o| o.values().next())
        .cloned()
        .unwrap_or(Value::Null);
    anyhow::ensure!(payload["userErrors"] == json!([]), "{document}: {data}");
    Ok(payload)
}

/// The ticket connector released in `WS` with a connection, and a recipe that notifies for each
/// ticket, started.
async fn arrange(server: &Endpoint, token: &str) -> anyhow::Result<()> {
    let listing = json!({ "slug": "tickets", "name": "Tickets", "summary": "Tickets for tests",
                          "category": "data", "version": "1.0.0", "source": tickets::SOURCE });
    must(server, token, "mutation($input: CreateConnectorInput!) { createConnector(input: $input) { userErrors { message } } }", listing).await?;
    let workspace = json!({ "slug": WS, "name": "Ops", "environment": "DEVELOPMENT" });
    must(server, token, "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { userErrors { message } } }", workspace).await?;
    let installed = must(server, token, "mutation($input: InstallConnectorInput!) { installConnector(input: $input) { workspaceConnector { id } userErrors { message } } }", json!({ "workspace": WS, "connector": "tickets" })).await?;
    let copy = installed["workspaceConnector"]["id"].clone();
    must(server, token, "mutation($input: WorkspaceConnectorInput!) { releaseWorkspaceConnector(input: $input) { userErrors { message } } }", json!({ "workspaceConnectorId": copy })).await?;
    let connection = json!({ "workspace": WS, "name": "desk", "connector": "tickets", "values": { "api_key": "k" } });
    must(server, token, "mutation($input: CreateConnectionInput!) { createConnection(input: $input) { userErrors { message } } }", connection).await?;
    let definition = json!({
        "trigger": { "connector": "tickets", "trigger": "new_ticket", "input": {} },
        "steps": [{ "connector": "tickets", "action": "notify", "input": { "text": "ticket {{ trigger.id }}" } }],
    });
    let recipe = must(server, token, "mutation($input: CreateRecipeInput!) { createRecipe(input: $input) { recipe { id } userErrors { message } } }", json!({ "workspace": WS, "name": "triage", "definition": definition })).await?;
    let id = recipe["recipe"]["id"].clone();
    must(server, token, "mutation($input: SetRecipeStateInput!) { setRecipeState(input: $input) { userErrors { message } } }", json!({ "recipeId": id, "state": "RUNNING" })).await?;
    Ok(())
}

/// Wait up to `seconds` for `done` to hold.
async fn wait_for(
    seconds: u64,
    mut done: impl AsyncFnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done().await? {
        anyhow::ensure!(Instant::now() < deadline, "not after {seconds} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

const JOBS: &str = "query($ws: String!) { workspace(slug: $ws) { recipes { jobs { totalCount edges { node { status attempts steps { succeeded output } } } } } } }";

async fn killed_mid_job(postgres: bool) -> anyhow::Result<()> {
    let db = FreshDb::new(postgres).await?;
    let mock = Mock::start()?;
    tickets::routes(&mock, 1);
    // The notification takes 2 s: long enough to kill the server while it waits.
    mock.route("POST", "/notify", Reply::Stall(Duration::from_secs(2)));
    let file = db.dir.join("patchbay.toml");
    std::fs::write(&file, config(&mock))?;
    let file = file.to_str().unwrap_or_default().to_owned();
    run(&["migrate"], &db)?;
    run(
        &[
            "user",
            "create",
            "--handle",
            "ops",
            "--name",
            "Ops",
            "--email",
            "ops@example.test",
        ],
        &db,
    )?;
    let (token, _) = run(&["token", "create", "--user", "ops", "--name", "ci"], &db)?;
    let token = token.trim().to_owned();

    let (first, addr) = serve(&db, &["--config", &file])?;
    let mut first = Server(Some(first));
    let server = Endpoint::new(format!("http://{addr}"));
    arrange(&server, &token).await?;
    wait_for(30, async || {
        Ok(mock.requests().iter().any(|r| r.path() == "/notify"))
    })
    .await?;
    if let Some(mut killed) = first.0.take() {
        killed.kill()?;
        killed.wait()?;
    }

    let (second, addr) = serve(&db, &["--config", &file])?;
    let mut second = Server(Some(second));
    let server = Endpoint::new(format!("http://{addr}"));
    let mut jobs = Value::Null;
    wait_for(30, async || {
        let data = server.data(Some(&token), JOBS, json!({ "ws": WS })).await?;
        jobs = data["workspace"]["recipes"][0]["jobs"].clone();
        Ok(jobs["edges"][0]["node"]["status"] == "SUCCEEDED")
    })
    .await?;
    anyhow::ensure!(
        jobs["totalCount"] == 1,
        "the event became more than one job: {jobs}"
    );
    let job = &jobs["edges"][0]["node"];
    anyhow::ensure!(
        job["attempts"] == 2,
        "started {} times: {job}",
        job["attempts"]
    );
    anyhow::ensure!(
        job["steps"] == json!([{ "succeeded": true, "output": {} }]),
        "{job}"
    );
    let notified = mock
        .requests()
        .iter()
        .filter(|r| r.path() == "/notify")
        .count();
    anyhow::ensure!(notified == 2, "the step ran {notified} times");
    if let Some(second) = second.0.take() {
        sigterm_and_wait(second)?;
    }
    db.drop_db().await
}

#[tokio::test]
async fn a_job_of_a_killed_server_completes_on_another_sqlite() -> anyhow::Result<()> {
    killed_mid_job(false).await
}

#[tokio::test]
async fn a_job_of_a_killed_server_completes_on_another_postgres() -> anyhow::Result<()> {
    killed_mid_job(true).await
}
