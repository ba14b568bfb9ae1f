//! The console story: the example connectors run against the mock APIs, exactly as recorded;
//! invalid input, who may run what, and the audit log.

use super::*;

/// What the story's steps share: the server and the mock, the tokens, the two installed copies
/// and the stored connection of github-issues.
struct Console<'a> {
    app: &'a TestApp,
    mock: &'a Mock,
    admin: String,
    dev: String,
    analyst: String,
    outsider: String,
    github: Value,
    meteo: Value,
    connection: Value,
    stored: Value,
}

/// Publish github-issues and Open-Meteo, install both into `ops`, and store a connection with
/// the secret token: stored write-only.
async fn arrange<'a>(app: &'a TestApp, mock: &'a Mock) -> anyhow::Result<Console<'a>> {
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let dev = app.user_with_token("dev").await?;
    let analyst = app.user_with_token("analyst").await?;
    let outsider = app.user_with_token("outsider").await?;

    publish_example(app, &author, "github-issues", "1.2.0", "2.0.0").await?;
    publish_example(app, &author, "open-meteo", "2.0.0", "2.1.0").await?;
    create_workspace(app, &admin, "ops").await?;
    set_member(app, &admin, "ops", "dev", "developer").await?;
    set_member(app, &admin, "ops", "analyst", "analyst").await?;
    let github = install(app, &dev, "ops", "github-issues").await?;
    let meteo = install(app, &dev, "ops", "open-meteo").await?;

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

    Ok(Console {
        app,
        mock,
        admin,
        dev,
        analyst,
        outsider,
        github,
        meteo,
        connection,
        stored,
    })
}

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
    let console = arrange(&app, &mock).await?;
    let mut runs = 0;
    runs += test_connection(&console).await?;
    runs += github_actions(&console).await?;
    runs += polls(&console).await?;
    runs += connection_values(&console).await?;
    runs += invalid_input(&console).await?;
    runs += open_meteo(&console).await?;
    runs += older_version(&console).await?;
    who_may_run(&console).await?;
    audit_log(&console, runs).await?;
    app.stop().await
}

/// testConnection with the stored token: the trace shows it redacted, the mock got it.
async fn test_connection(c: &Console<'_>) -> anyhow::Result<usize> {
    let (app, mock, dev, stored) = (c.app, c.mock, &c.dev, &c.stored);
    let mut runs = 0;
    // testConnection: GET /user with the stored token; the trace shows it redacted, and the
    // secret is nowhere in the response.
    let body = debug(
        app,
        dev,
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

    Ok(runs)
}

/// runAction: create_issue and get_issue, exact to the method, URL, status and body.
async fn github_actions(c: &Console<'_>) -> anyhow::Result<usize> {
    let (app, mock, dev, stored) = (c.app, c.mock, &c.dev, &c.stored);
    let mut runs = 0;
    // runAction: the output is the created issue; method, URL and status are exact, and the
    // request body is what the connector built from the input.
    let create = run_ok(
        app,
        dev,
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
        app,
        dev,
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

    Ok(runs)
}

/// pollTrigger three times, each given the cursor of the one before.
async fn polls(c: &Console<'_>) -> anyhow::Result<usize> {
    let (app, mock, dev, stored) = (c.app, c.mock, &c.dev, &c.stored);
    let mut runs = 0;
    // pollTrigger twice: the first poll skips the pull request and drops the duplicate, oldest
    // first; the second, given the cursor, returns only what is new since.
    let first = run_ok(
        app,
        dev,
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
        app,
        dev,
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
        app,
        dev,
        "pollTrigger",
        json!({ "target": stored.clone(), "trigger": "new_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay" },
                "cursor": second["output"]["next_cursor"] }),
    )
    .await?;
    runs += 1;
    assert_eq!(third["output"], json!({ "events": [], "next_cursor": 44 }));

    Ok(runs)
}

/// connectionValues instead of a stored connection; both at once is a user error.
async fn connection_values(c: &Console<'_>) -> anyhow::Result<usize> {
    let (app, mock, dev, github, connection) = (c.app, c.mock, &c.dev, &c.github, &c.connection);
    let mut runs = 0;
    // connectionValues instead of a stored connection: these values are used for this run.
    mock.clear();
    let adhoc = run_ok(
        app,
        dev,
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
        app,
        dev,
        "testConnection",
        json!({ "target": { "workspaceConnectorId": github, "connectionId": connection,
                            "connectionValues": { "token": "x" } } }),
    )
    .await?;
    let p = payload(&both, "testConnection")?;
    assert_eq!(p["run"], Value::Null, "{both}");
    assert_eq!(p["userErrors"][0]["field"], json!(["input", "target"]));

    Ok(runs)
}

/// Invalid input is INVALID_INPUT naming the field, before any request.
async fn invalid_input(c: &Console<'_>) -> anyhow::Result<usize> {
    let (app, mock, dev, stored) = (c.app, c.mock, &c.dev, &c.stored);
    let mut runs = 0;
    // Invalid input: INVALID_INPUT naming the field, before any request is made.
    mock.clear();
    let invalid = run(
        app,
        dev,
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
        app,
        dev,
        "runAction",
        json!({ "target": stored.clone(), "action": "get_issue", "input": { "owner": "octo-labs" } }),
    )
    .await?;
    runs += 1;
    assert_eq!(missing["error"]["code"], "INVALID_INPUT", "{missing}");
    assert!(mock.requests().is_empty());

    Ok(runs)
}

/// Open-Meteo's action and trigger; another connector's connection is not found.
async fn open_meteo(c: &Console<'_>) -> anyhow::Result<usize> {
    let (app, mock, dev, meteo, connection) = (c.app, c.mock, &c.dev, &c.meteo, &c.connection);
    let mut runs = 0;
    // Open-Meteo: the output is the API's answer as the connector shapes it (a description of
    // the weather code added), from a URL built from the input.
    mock.clear();
    let weather = run_ok(
        app,
        dev,
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
        app,
        dev,
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
        app,
        dev,
        "testConnection",
        json!({ "target": { "workspaceConnectorId": meteo, "connectionId": connection } }),
    )
    .await?;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");

    Ok(runs)
}

/// An older workspace version by number still runs as installed.
async fn older_version(c: &Console<'_>) -> anyhow::Result<usize> {
    let (app, dev, github, connection) = (c.app, &c.dev, &c.github, &c.connection);
    let mut runs = 0;
    // An older workspace version by number: edit the copy (version 2 breaks get_issue), and
    // version 1 still runs as installed.
    let source = example_source("github-issues", "2.0.0")?;
    let broken = source.replace(
        "execute: (connection, input) => get(`/repos/${input.owner}/${input.repository}/issues/${input.number}`),",
        "execute: (connection, input) => { throw new Error(\"edited away\"); },",
    );
    anyhow::ensure!(broken != source, "the edit did not apply");
    assert_eq!(edit(app, dev, github, &broken).await?, 2);
    let get_issue = |number: Option<i64>| {
        json!({ "target": { "workspaceConnectorId": github, "connectionId": connection, "number": number },
                "action": "get_issue",
                "input": { "owner": "octo-labs", "repository": "patchbay", "number": 42 } })
    };
    let latest = run(app, dev, "runAction", get_issue(None)).await?;
    runs += 1;
    assert_eq!(latest["error"]["code"], "RUNTIME", "{latest}");
    assert!(latest["error"]["line"].is_number(), "{latest}");
    let older = run_ok(app, dev, "runAction", get_issue(Some(1))).await?;
    runs += 1;
    assert_eq!(older["output"], issue(2001, 42, "Crash on start"));
    let nonexistent = debug(app, dev, "runAction", get_issue(Some(9))).await?;
    let p = payload(&nonexistent, "runAction")?;
    assert_eq!(p["run"], Value::Null, "{nonexistent}");
    assert_eq!(
        p["userErrors"],
        json!([{ "field": ["input", "number"], "message": "there is no version 9", "code": "BAD_USER_INPUT" }])
    );

    Ok(runs)
}

/// Who may run: an analyst is FORBIDDEN, an outsider gets NOT_FOUND, neither reaches the API.
async fn who_may_run(c: &Console<'_>) -> anyhow::Result<()> {
    let (app, mock, stored, analyst, outsider) =
        (c.app, c.mock, &c.stored, &c.analyst, &c.outsider);
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
        let denied = debug(app, analyst, field, input.clone()).await?;
        assert_eq!(error_code(&denied), Some("FORBIDDEN"), "{field}: {denied}");
        assert_eq!(denied["data"], Value::Null, "{denied}");
        let hidden = debug(app, outsider, field, input).await?;
        assert_eq!(error_code(&hidden), Some("NOT_FOUND"), "{field}: {hidden}");
        assert!(!hidden.to_string().contains(SECRET));
    }
    assert!(mock.requests().is_empty());

    Ok(())
}

/// The audit log: one `connector.test` entry per run, and the analyst's refusals.
async fn audit_log(c: &Console<'_>, runs: usize) -> anyhow::Result<()> {
    let (app, admin) = (c.app, &c.admin);
    // The audit log has one `connector.test` entry per run, with what ran and how it ended,
    // and no secret.
    let audit = app.data(Some(admin), AUDIT, json!({ "ws": "ops" })).await?;
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
    Ok(())
}

tests::on_both_backends!(
    console_story_runs_examples_against_a_mock,
    super::console_story
);
