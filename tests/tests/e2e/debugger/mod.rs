//! The debugger console over HTTP: example connectors are published, installed and given a
//! connection, then their connection test, actions and triggers run through `testConnection`,
//! `runAction` and `pollTrigger` against a local mock API the test starts (the server maps the
//! connectors' declared hosts to it). Outputs, traces and redaction are checked exactly; so are
//! the failures (invalid input, a runaway script, egress to undeclared hosts and private
//! addresses), who may run what, and the audit log. Last, an API that echoes the credentials back
//! gets none of them into any answer, and a run that produces too much is cut and says so.
mod capped;
mod console;
mod echo;
mod egress;
mod runaway;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::examples::example_source;
use testkit::{Mock, Reply, Tripwire};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{CREATE_CONNECTOR, payload};
use crate::lifecycle::{INSTALL, create_workspace, publish, set_member};

const RUN: &str = r#"
fragment Run on DebugRunPayload {
  run {
    ok output logs durationMs truncated
    truncation { outputBytes logLinesDropped logLinesCut errorCut traceTextsCut }
    error { code message line column }
    trace {
      method url status requestBody responseBody error durationMs
      requestHeaders { name value }
      responseHeaders { name value }
    }
  }
  userErrors { field message code }
}"#;

const TEST_CONNECTION: &str = r#"
mutation($input: TestConnectionInput!) { testConnection(input: $input) { ...Run } }"#;

const RUN_ACTION: &str = r#"
mutation($input: RunActionInput!) { runAction(input: $input) { ...Run } }"#;

const POLL_TRIGGER: &str = r#"
mutation($input: PollTriggerInput!) { pollTrigger(input: $input) { ...Run } }"#;

const CREATE_CONNECTION: &str = r#"
mutation($input: CreateConnectionInput!) {
  createConnection(input: $input) {
    connection { id name fields secretsSet }
    userErrors { field message code }
  }
}"#;

const EDIT: &str = r#"
mutation($input: EditWorkspaceConnectorInput!) {
  editWorkspaceConnector(input: $input) {
    workspaceConnector { latestNumber }
    changed
    userErrors { field message code line column }
  }
}"#;

const AUDIT: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) {
    auditEvents(first: 100) { action objectType objectId outcome actor { handle } detail }
  }
}"#;

/// The GitHub token stored in the connection; it must never come back.
const SECRET: &str = "ghp_e2eSECRETtoken0123456789";

// ---- Helpers. ----

/// `createConnector` with `source` as `version`; fails on errors of any kind.
async fn create_listing(
    app: &TestApp,
    token: &str,
    slug: &str,
    version: &str,
    source: &str,
) -> anyhow::Result<()> {
    let body = app
        .graphql(
            Some(token),
            CREATE_CONNECTOR,
            json!({ "input": {
                "slug": slug, "name": slug, "summary": format!("{slug} for the debugger tests"),
                "category": "developer-tools", "version": version, "source": source,
            } }),
        )
        .await?;
    let p = payload(&body, "createConnector")?;
    anyhow::ensure!(p["userErrors"] == json!([]), "createConnector: {body}");
    Ok(())
}

/// An example connector published as its last two versions (`older` first, then `newest`).
async fn publish_example(
    app: &TestApp,
    author: &str,
    slug: &str,
    older: &str,
    newest: &str,
) -> anyhow::Result<()> {
    create_listing(app, author, slug, older, &example_source(slug, older)?).await?;
    publish(
        app,
        author,
        json!({ "slug": slug, "version": newest, "source": example_source(slug, newest)?,
                "releaseNotes": "newest", "breaking": "see the release notes" }),
    )
    .await?;
    Ok(())
}

/// `installConnector`; returns the workspace connector's id.
async fn install(app: &TestApp, token: &str, ws: &str, slug: &str) -> anyhow::Result<Value> {
    let body = app
        .graphql(
            Some(token),
            INSTALL,
            json!({ "input": { "workspace": ws, "connector": slug } }),
        )
        .await?;
    let p = payload(&body, "installConnector")?;
    anyhow::ensure!(p["userErrors"] == json!([]), "installConnector: {body}");
    Ok(p["workspaceConnector"]["id"].clone())
}

/// `editWorkspaceConnector`; returns the new latest number.
async fn edit(app: &TestApp, token: &str, id: &Value, source: &str) -> anyhow::Result<i64> {
    let body = app
        .graphql(
            Some(token),
            EDIT,
            json!({ "input": { "workspaceConnectorId": id, "source": source } }),
        )
        .await?;
    let p = payload(&body, "editWorkspaceConnector")?;
    anyhow::ensure!(
        p["userErrors"] == json!([]) && p["changed"] == true,
        "editWorkspaceConnector: {body}"
    );
    p["workspaceConnector"]["latestNumber"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no latestNumber: {body}"))
}

/// One debugger mutation (`field` is `testConnection`, `runAction` or `pollTrigger`); the body.
async fn debug(app: &TestApp, token: &str, field: &str, input: Value) -> anyhow::Result<Value> {
    let document = match field {
        "testConnection" => TEST_CONNECTION,
        "runAction" => RUN_ACTION,
        "pollTrigger" => POLL_TRIGGER,
        other => anyhow::bail!("not a debugger mutation: {other}"),
    };
    app.graphql(
        Some(token),
        &format!("{document}{RUN}"),
        json!({ "input": input }),
    )
    .await
}

/// A debugger mutation that must produce a run (successful or not); returns the run.
async fn run(app: &TestApp, token: &str, field: &str, input: Value) -> anyhow::Result<Value> {
    let body = debug(app, token, field, input).await?;
    let p = payload(&body, field)?;
    anyhow::ensure!(p["userErrors"] == json!([]), "{field}: {body}");
    anyhow::ensure!(p["run"].is_object(), "{field}: no run in {body}");
    Ok(p["run"].clone())
}

/// A run that must have completed; returns it.
async fn run_ok(app: &TestApp, token: &str, field: &str, input: Value) -> anyhow::Result<Value> {
    let run = run(app, token, field, input).await?;
    anyhow::ensure!(
        run["ok"] == true && run["error"].is_null(),
        "{field} failed: {run}"
    );
    Ok(run)
}

/// The value of header `name` (any case) in a traced request's `requestHeaders`.
fn header<'a>(headers: &'a Value, name: &str) -> Option<&'a str> {
    headers.as_array()?.iter().find_map(|h| {
        h["name"]
            .as_str()
            .filter(|n| n.eq_ignore_ascii_case(name))
            .and(h["value"].as_str())
    })
}

/// The method, URL, status and error of each traced request.
fn trace_lines(run: &Value) -> Vec<Value> {
    run["trace"]
        .as_array()
        .map(|trace| {
            trace
                .iter()
                .map(|t| json!([t["method"], t["url"], t["status"], t["error"].is_string()]))
                .collect()
        })
        .unwrap_or_default()
}

/// The server configuration that sends `hosts` to `addr` and lets runs reach it.
fn point_at(hosts: &[(&str, SocketAddr)]) -> impl FnOnce(&mut api::config::Config) {
    let overrides: HashMap<String, SocketAddr> = hosts
        .iter()
        .map(|(host, addr)| ((*host).to_owned(), *addr))
        .collect();
    move |config| {
        config.sandbox.allow_private_networks = true;
        config.sandbox.host_overrides = overrides;
    }
}

fn issue(id: i64, number: i64, title: &str) -> Value {
    json!({
        "id": id, "number": number, "title": title, "body": "Steps to reproduce...", "state": "open",
        "state_reason": null, "html_url": format!("https://github.com/octo-labs/patchbay/issues/{number}"),
        "user": { "login": "octocat" }, "labels": [{ "name": "bug", "color": "d73a4a" }], "comments": 0,
        "created_at": "2026-02-10T10:00:00Z", "updated_at": "2026-02-10T10:00:00Z",
    })
}

fn pull_request(id: i64, number: i64) -> Value {
    json!({ "id": id, "number": number, "title": "Fix it", "state": "open",
            "pull_request": { "url": "https://api.github.com/repos/octo-labs/patchbay/pulls/43" } })
}

/// Open-Meteo's answer to a current-weather request.
fn forecast() -> Value {
    json!({
        "latitude": 52.52, "longitude": 13.419998, "generationtime_ms": 0.05, "utc_offset_seconds": 3600,
        "timezone": "Europe/Berlin", "timezone_abbreviation": "GMT+1", "elevation": 38.0,
        "current_units": { "time": "iso8601", "temperature_2m": "°C", "weather_code": "wmo code" },
        "current": { "time": "2026-02-10T14:15", "interval": 900, "temperature_2m": -1.4,
                     "relative_humidity_2m": 81, "apparent_temperature": -5.9, "precipitation": 0.0,
                     "weather_code": 3, "wind_speed_10m": 14.2, "wind_direction_10m": 250 },
        "daily": { "time": ["2026-02-10", "2026-02-11", "2026-02-12"],
                   "temperature_2m_min": [-3.1, 0.4, -0.2] },
    })
}

const REPO: &str = "/repos/octo-labs/patchbay";

/// The mock GitHub and Open-Meteo APIs.
fn mock_apis() -> anyhow::Result<Mock> {
    let mock = Mock::start()?;
    mock.route_on(
        "GET",
        Some("api.github.com"),
        "/user",
        Reply::Json(200, json!({ "login": "octocat", "id": 1 })),
    )
    .route_on(
        "GET",
        Some("api.github.com"),
        &format!("{REPO}/issues/42"),
        Reply::Json(200, issue(2001, 42, "Crash on start")),
    )
    .route_on(
        "POST",
        Some("api.github.com"),
        &format!("{REPO}/issues"),
        Reply::Json(201, issue(2001, 42, "Crash on start")),
    )
    // The issue list holds a pull request (skipped) and issue 42 twice (deduplicated).
    .route_on(
        "GET",
        Some("api.github.com"),
        &format!("{REPO}/issues"),
        Reply::Json(
            200,
            json!([
                pull_request(2002, 43),
                issue(2001, 42, "Crash on start"),
                issue(2001, 42, "Crash on start"),
                issue(1999, 41, "Old one")
            ]),
        ),
    )
    .route_on(
        "GET",
        Some("api.open-meteo.com"),
        "/v1/forecast",
        Reply::Json(200, forecast()),
    );
    Ok(mock)
}

/// `value` with every number as a float, to compare JSON numbers by value.
fn as_f64(value: &Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().map_or(Value::Null, |f| json!(f)),
        Value::Array(items) => Value::Array(items.iter().map(as_f64).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), as_f64(v))).collect())
        }
        other => other.clone(),
    }
}
