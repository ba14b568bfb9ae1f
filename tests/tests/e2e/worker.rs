//! Runs and parses happen in worker processes: a worker that hangs, crashes, exits with an error,
//! writes garbage or floods its pipe is one typed error, the server keeps answering, and the
//! process is gone afterwards; a worker starts with an empty environment and only its three
//! standard descriptors. The misbehaviour comes from `fake-worker` (see `src/bin/fake-worker.rs`),
//! chosen by the action's name or the source's first line.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::examples::example_source;
use tests::{Backend, FAKE_WORKER, TestApp, worker_program};

use crate::fixtures::{CREATE_CONNECTOR, payload};
use crate::lifecycle::{INSTALL, create_workspace};

const RUN_ACTION: &str = r#"
mutation($input: RunActionInput!) {
  runAction(input: $input) {
    run { ok output logs trace { url } error { code message line column } }
    userErrors { field message code }
  }
}"#;

/// The run deadline the fake-worker servers use, and their grace before the kill.
const DEADLINE: Duration = Duration::from_millis(1_000);
const GRACE: Duration = Duration::from_millis(500);

/// A server whose workers are `fake-worker`, with a short deadline and grace.
async fn spawn_with_fake_worker(backend: Backend) -> anyhow::Result<TestApp> {
    let program = worker_program(FAKE_WORKER)?;
    TestApp::spawn_with(backend, move |config| {
        config.sandbox.worker_program = Some(program);
        config.sandbox.run_deadline_ms = Some(DEADLINE.as_millis().try_into().unwrap_or(1_000));
        config.sandbox.kill_grace_ms = Some(GRACE.as_millis().try_into().unwrap_or(500));
    })
    .await
}

/// `createConnector`; the payload.
async fn create_listing(
    app: &TestApp,
    token: &str,
    slug: &str,
    source: &str,
) -> anyhow::Result<Value> {
    let body = app
        .graphql(
            Some(token),
            CREATE_CONNECTOR,
            json!({ "input": {
                "slug": slug, "name": slug, "summary": format!("{slug} for the worker tests"),
                "category": "developer-tools", "version": "1.0.0", "source": source,
            } }),
        )
        .await?;
    Ok(payload(&body, "createConnector")?.clone())
}

/// The example `github-issues` connector, published (parsed in a worker), installed in workspace
/// `lab`; returns the developer's token and the workspace connector's id.
async fn installed(app: &TestApp) -> anyhow::Result<(String, Value)> {
    let author = app.user_with_token("author").await?;
    let dev = app.user_with_token("dev").await?;
    let source = example_source("github-issues", "2.0.0")?;
    let created = create_listing(app, &author, "github-issues", &source).await?;
    anyhow::ensure!(created["userErrors"] == json!([]), "{created}");
    create_workspace(app, &dev, "lab").await?;
    let body = app
        .graphql(
            Some(&dev),
            INSTALL,
            json!({ "input": { "workspace": "lab", "connector": "github-issues" } }),
        )
        .await?;
    let p = payload(&body, "installConnector")?;
    anyhow::ensure!(p["userErrors"] == json!([]), "installConnector: {body}");
    Ok((dev, p["workspaceConnector"]["id"].clone()))
}

/// `runAction` of `action` with `input`; the run and how long it took.
async fn run_action(
    app: &TestApp,
    token: &str,
    id: &Value,
    action: &str,
    input: Value,
) -> anyhow::Result<(Value, Duration)> {
    let started = Instant::now();
    let body = app
        .graphql(
            Some(token),
            RUN_ACTION,
            json!({ "input": {
                "target": { "workspaceConnectorId": id, "connectionValues": { "token": "ghp_x" } },
                "action": action, "input": input } }),
        )
        .await?;
    let p = payload(&body, "runAction")?;
    anyhow::ensure!(p["userErrors"] == json!([]), "runAction: {body}");
    Ok((p["run"].clone(), started.elapsed()))
}

/// The server still answers, and quickly.
async fn still_answers(app: &TestApp) -> anyhow::Result<()> {
    let asked = Instant::now();
    let status = app
        .client
        .get(format!("{}/livez", app.base_url))
        .send()
        .await?
        .status();
    anyhow::ensure!(status == 200, "/livez answered {status}");
    let answer = app
        .data(None, "{ connectors { totalCount } }", json!({}))
        .await?;
    assert_eq!(answer, json!({ "connectors": { "totalCount": 1 } }));
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    Ok(())
}

/// Whether process `pid` exists at all (a zombie counts: it has not been reaped).
fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

async fn misbehaving_workers(backend: Backend) -> anyhow::Result<()> {
    let app = spawn_with_fake_worker(backend).await?;
    let (dev, id) = installed(&app).await?;

    // A worker that never answers is killed at the deadline plus the grace, and reaped.
    let pid_file = std::env::temp_dir().join(format!(
        "patchbay-hang-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let (run, took) = run_action(
        &app,
        &dev,
        &id,
        "hang",
        json!({ "pid_file": pid_file.display().to_string() }),
    )
    .await?;
    let pid: u32 = std::fs::read_to_string(&pid_file)?.trim().parse()?;
    let _ = std::fs::remove_file(&pid_file);
    assert_eq!(run["ok"], false, "{run}");
    assert_eq!(run["error"]["code"], "TIMEOUT", "{run}");
    assert!(
        took >= DEADLINE + GRACE && took < DEADLINE + GRACE + Duration::from_secs(3),
        "killed after {took:?}"
    );
    assert!(!exists(pid), "the hanging worker {pid} is still there");
    still_answers(&app).await?;

    // Each other misbehaviour is the same typed error, with a message that says what happened.
    for (action, message) in [
        (
            "garbage",
            "the connector's worker answered with something that is not an answer",
        ),
        ("exit_3", "the connector's worker exited with status 3"),
        ("abort", "the connector's worker crashed (signal 6)"),
    ] {
        let (run, took) = run_action(&app, &dev, &id, action, json!({})).await?;
        assert_eq!(run["ok"], false, "{action}: {run}");
        assert_eq!(
            run["error"],
            json!({ "code": "WORKER_FAILED", "message": message, "line": null, "column": null }),
            "{action}"
        );
        assert_eq!(run["trace"], json!([]), "{action}");
        assert!(took < DEADLINE, "{action} took {took:?}");
        still_answers(&app).await?;
    }
    let (run, _) = run_action(&app, &dev, &id, "flood", json!({})).await?;
    assert_eq!(run["error"]["code"], "WORKER_FAILED", "{run}");
    let message = run["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("the connector's worker answered with more than")
            && message.ends_with(" bytes"),
        "{message}"
    );
    still_answers(&app).await?;

    // And an ordinary run through the same stand-in still works.
    let (run, _) = run_action(
        &app,
        &dev,
        &id,
        "get_issue",
        json!({ "owner": "octo-labs", "repository": "patchbay" }),
    )
    .await?;
    assert_eq!(run["error"]["code"], "INVALID_INPUT", "{run}");
    app.stop().await
}

tests::on_both_backends!(
    a_misbehaving_worker_is_a_typed_error_and_is_reaped,
    super::misbehaving_workers
);

async fn misbehaving_parse(backend: Backend) -> anyhow::Result<()> {
    let app = spawn_with_fake_worker(backend).await?;
    let author = app.user_with_token("author").await?;
    let source = example_source("github-issues", "2.0.0")?;
    for (mode, code) in [("exit_3", "WORKER_FAILED"), ("hang", "TIMEOUT")] {
        let started = Instant::now();
        let slug = format!("parse-{}", mode.replace('_', "-"));
        let created = create_listing(
            &app,
            &author,
            &slug,
            &format!("// fake-worker: {mode}\n{source}"),
        )
        .await?;
        let errors = created["userErrors"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(errors.len(), 1, "{mode}: {created}");
        assert_eq!(errors[0]["field"], json!(["input", "source"]), "{mode}");
        let message = errors[0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!("invalid connector source ({code}): ")),
            "{mode}: {message}"
        );
        // The parse deadline (2 s) plus the grace, and slack.
        assert!(started.elapsed() < Duration::from_secs(5), "{mode}");
    }
    let listed = app
        .data(None, "{ connectors { totalCount } }", json!({}))
        .await?;
    assert_eq!(listed, json!({ "connectors": { "totalCount": 0 } }));
    app.stop().await
}

tests::on_both_backends!(
    a_worker_failing_to_parse_is_a_user_error_on_the_source,
    super::misbehaving_parse
);

async fn environment_of_a_worker(backend: Backend) -> anyhow::Result<()> {
    // The server's process has an environment to lose (a database URL, credentials).
    assert!(std::env::vars_os().count() > 0);
    let app = spawn_with_fake_worker(backend).await?;
    let (dev, id) = installed(&app).await?;
    let (run, _) = run_action(&app, &dev, &id, "environment", json!({})).await?;
    assert_eq!(run["ok"], true, "{run}");
    assert_eq!(run["output"]["variables"], 0, "{run}");
    // stdin, stdout, stderr, and the directory the worker listed them from: nothing inherited.
    let descriptors = run["output"]["descriptors"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let extra: Vec<_> = descriptors
        .iter()
        .filter(|(fd, target)| {
            !["0", "1", "2"].contains(&fd.as_str())
                && !target.as_str().is_some_and(|t| t.ends_with("/fd"))
        })
        .collect();
    assert!(extra.is_empty(), "inherited descriptors: {extra:?}");
    assert_eq!(descriptors.len(), 4, "{descriptors:?}");
    assert_eq!(descriptors["2"], "/dev/null");
    // Ten steps below the server (this process), however the suite itself was started.
    let server = tests::niceness_of("self").ok_or_else(|| anyhow::anyhow!("no /proc"))?;
    assert_eq!(
        run["output"]["niceness"],
        json!((server + 10).min(19)),
        "{run}"
    );
    app.stop().await
}

tests::on_both_backends!(
    a_worker_starts_with_an_empty_environment,
    super::environment_of_a_worker
);

/// The children of this (test) process, from every thread's list.
fn children() -> Vec<u32> {
    let mut pids = Vec::new();
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            pids.extend(
                text.split_whitespace()
                    .filter_map(|pid| pid.parse::<u32>().ok()),
            );
        }
    }
    pids
}

async fn real_worker_environment(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn_with(backend, |config| {
        config.sandbox.run_deadline_ms = Some(3_000);
    })
    .await?;
    let (dev, id) = installed(&app).await?;
    let source = example_source("github-issues", "2.0.0")?;
    let looping = source.replace(
        "execute: (connection, input) => get(`/repos/${input.owner}/${input.repository}/issues/${input.number}`),",
        "execute: (connection, input) => { let i = 0; while (true) { i += 1; } },",
    );
    anyhow::ensure!(looping != source, "the edit did not apply");
    let body = app
        .graphql(
            Some(&dev),
            "mutation($input: EditWorkspaceConnectorInput!) { editWorkspaceConnector(input: $input) { changed userErrors { message } } }",
            json!({ "input": { "workspaceConnectorId": id, "source": looping } }),
        )
        .await?;
    anyhow::ensure!(
        payload(&body, "editWorkspaceConnector")?["changed"] == true,
        "{body}"
    );
    let spinning = {
        let app_url = app.base_url.clone();
        let client = app.client.clone();
        let dev = dev.clone();
        let id = id.clone();
        tokio::spawn(async move {
            client
                .post(format!("{app_url}/graphql"))
                .bearer_auth(dev)
                .json(&json!({ "query": RUN_ACTION, "variables": { "input": {
                    "target": { "workspaceConnectorId": id, "connectionValues": { "token": "ghp_x" } },
                    "action": "get_issue",
                    "input": { "owner": "o", "repository": "r", "number": 1 } } } }))
                .send()
                .await?
                .json::<Value>()
                .await
                .map_err(anyhow::Error::from)
        })
    };
    // Find the spinning worker among this process's children and look at it from outside.
    let worker = tests::WORKER;
    let mut seen = None;
    let started = Instant::now();
    while seen.is_none() && started.elapsed() < Duration::from_secs(2) {
        for pid in children() {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            // Past its start (the descriptors are closed before the request is read): its
            // sandbox thread runs the connector.
            let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, Iterator::count);
            if exe.file_name().is_some_and(|name| name == worker) && threads >= 2 {
                let environ = std::fs::read(format!("/proc/{pid}/environ"))?;
                let fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))?
                    .flatten()
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect();
                seen = Some((environ, fds));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (environ, mut fds) = seen.ok_or_else(|| anyhow::anyhow!("no worker process seen"))?;
    fds.sort();
    assert!(environ.is_empty(), "{}", String::from_utf8_lossy(&environ));
    assert_eq!(fds, ["0", "1", "2"]);
    let answer = spinning.await??;
    let code = &answer["data"]["runAction"]["run"]["error"]["code"];
    assert!(code == "TIMEOUT" || code == "LIMIT_EXCEEDED", "{answer}");
    app.stop().await
}

tests::on_both_backends!(
    the_real_worker_has_no_environment_and_no_inherited_descriptors,
    super::real_worker_environment
);

/// A JavaScript connector whose actions call built-ins QuickJS's interrupt never reaches.
const UNSTOPPABLE_JS: &str = r#"// Built-ins that run to their end, whatever the interrupt says.
export default {
  title: "Unstoppable",
  description: "Actions QuickJS cannot interrupt",
  allowed_hosts: ["api.example.com"],
  connection: { fields: [], base_uri: (connection) => "https://api.example.com" },
  test: (connection) => true,
  actions: {
    join: {
      title: "Join",
      input_fields: [],
      output_fields: [],
      execute: (connection, input) => ({ length: new Array(1e9).join("x").length }),
    },
    tower: {
      title: "Tower",
      input_fields: [],
      output_fields: [],
      execute: (connection, input) => ({ length: (3n ** 600000n).toString().length }),
    },
  },
};
"#;

/// What QuickJS cannot stop, the worker's kill does: `new Array(1e9).join()` and a BigInt tower
/// run in the real worker (`patchbay-worker`) end as `TIMEOUT` at the deadline plus the grace,
/// and the server answers meanwhile.
async fn javascript_the_engine_cannot_stop(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn_with(backend, |config| {
        config.sandbox.run_deadline_ms = Some(1_000);
        config.sandbox.kill_grace_ms = Some(500);
    })
    .await?;
    let author = app.user_with_token("author").await?;
    let dev = app.user_with_token("dev").await?;
    let created = create_listing(&app, &author, "unstoppable", UNSTOPPABLE_JS).await?;
    anyhow::ensure!(created["userErrors"] == json!([]), "{created}");
    create_workspace(&app, &dev, "lab").await?;
    let body = app
        .graphql(
            Some(&dev),
            INSTALL,
            json!({ "input": { "workspace": "lab", "connector": "unstoppable" } }),
        )
        .await?;
    let id = payload(&body, "installConnector")?["workspaceConnector"]["id"].clone();
    for action in ["join", "tower"] {
        let (run, took) = run_action(&app, &dev, &id, action, json!({})).await?;
        assert_eq!(run["ok"], false, "{action}: {run}");
        assert_eq!(run["error"]["code"], "TIMEOUT", "{action}: {run}");
        // A guard against a hang, not a measurement: the kill comes at 1.5 s.
        assert!(took < Duration::from_secs(20), "{action} took {took:?}");
        still_answers(&app).await?;
    }
    app.stop().await
}
tests::on_both_backends!(
    javascript_quickjs_cannot_stop_is_killed,
    super::javascript_the_engine_cannot_stop
);
