//! The rules of running recipes, each a test on both databases.

use std::time::Duration;

use serde_json::json;
use testkit::Reply;
use tests::Backend;

use super::arrange::{API_KEY, WS, arrange, set_state, tickets};
use super::{ended_jobs, jobs};

/// Look a ticket up, then notify with text mapped from the event and the first step's output.
fn triage_steps() -> serde_json::Value {
    json!([
        { "connector": "tickets", "action": "enrich", "input": { "id": "{{ trigger.id }}" } },
        { "connector": "tickets", "action": "notify",
          "input": { "text": "Ticket {{ trigger.id }} ({{ trigger.title }}) is {{ steps.0.priority }}" } },
    ])
}

/// Each new event runs the steps in order at the released version, with the mapped inputs and
/// the workspace's connection; the job's record holds every step and no secret.
async fn each_event_runs_the_steps_with_mapped_inputs(backend: Backend) -> anyhow::Result<()> {
    let world = arrange(backend, 3, triage_steps()).await?;
    let done = ended_jobs(&world.app, &world.admin, WS, 3).await?;
    for (i, job) in done.iter().enumerate() {
        let id = i as i64 + 1;
        let priority = if id % 2 == 0 { "high" } else { "low" };
        anyhow::ensure!(job["status"] == "SUCCEEDED", "job {id}: {job}");
        anyhow::ensure!(
            job["event"] == json!({ "id": id, "title": format!("Ticket {id}") }),
            "{job}"
        );
        let steps = job["steps"].as_array().cloned().unwrap_or_default();
        anyhow::ensure!(steps.len() == 2, "{job}");
        anyhow::ensure!(steps[0]["input"] == json!({ "id": id }), "mapped id: {job}");
        anyhow::ensure!(
            steps[0]["output"] == json!({ "id": id, "priority": priority }),
            "{job}"
        );
        let text = format!("Ticket {id} (Ticket {id}) is {priority}");
        anyhow::ensure!(steps[1]["input"] == json!({ "text": text }), "{job}");
        anyhow::ensure!(steps[1]["output"] == json!({ "sent": true }), "{job}");
        for step in &steps {
            anyhow::ensure!(
                step["succeeded"] == true && step["versionNumber"] == 1,
                "{step}"
            );
            anyhow::ensure!(step["communityVersion"] == "1.0.0", "{step}");
            anyhow::ensure!(step["attempts"] == 1, "{step}");
        }
        anyhow::ensure!(!job.to_string().contains(API_KEY), "the secret is in {job}");
    }
    let notified: Vec<String> = world
        .mock
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/notify")
        .map(|r| {
            anyhow::ensure!(r.header("x-api-key") == Some(API_KEY), "no key on {r:?}");
            Ok(r.json()["text"].as_str().unwrap_or_default().to_owned())
        })
        .collect::<anyhow::Result<_>>()?;
    let expected: Vec<String> = [
        "Ticket 1 (Ticket 1) is low",
        "Ticket 2 (Ticket 2) is high",
        "Ticket 3 (Ticket 3) is low",
    ]
    .map(str::to_owned)
    .to_vec();
    anyhow::ensure!(notified == expected, "notified {notified:?}");
    world.app.stop().await
}

/// An API that echoes the request back (the connection's key in its headers) puts the key in the
/// action's output: the job's record has it redacted, never the key itself.
async fn a_secret_an_api_echoes_is_not_recorded(backend: Backend) -> anyhow::Result<()> {
    let steps = json!([{ "connector": "tickets", "action": "notify", "input": { "text": "hi" } }]);
    let world = arrange(backend, 1, steps.clone()).await?;
    world.mock.route("POST", "/notify", Reply::Echo(200));
    // The first job may have run before the echo route: a second ticket runs against it.
    world
        .mock
        .route("GET", "/tickets", Reply::Json(200, tickets(2)));
    let done = ended_jobs(&world.app, &world.admin, WS, 2).await?;
    let echoed = &done[1]["steps"][0]["output"];
    anyhow::ensure!(echoed["headers"]["x-api-key"] == "[REDACTED]", "{echoed}");
    anyhow::ensure!(
        !done.iter().any(|job| job.to_string().contains(API_KEY)),
        "the key is in a job record"
    );
    world.app.stop().await
}

/// The cursor advances with the recorded events: later polls start no job for an event already
/// recorded, and a new event starts exactly one.
async fn the_cursor_neither_repeats_nor_loses_an_event(backend: Backend) -> anyhow::Result<()> {
    let world = arrange(backend, 2, triage_steps()).await?;
    ended_jobs(&world.app, &world.admin, WS, 2).await?;
    // Several polls later (every 200 ms), still two.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (_, total) = jobs(&world.app, &world.admin, WS, None).await?;
    anyhow::ensure!(
        total == 2,
        "{total} jobs after repeated polls of the same tickets"
    );
    let polls = world
        .mock
        .requests()
        .iter()
        .filter(|r| r.path() == "/tickets")
        .count();
    anyhow::ensure!(
        polls >= 3,
        "only {polls} polls in 800 ms at a 200 ms interval"
    );
    world
        .mock
        .route("GET", "/tickets", Reply::Json(200, tickets(3)));
    let done = ended_jobs(&world.app, &world.admin, WS, 3).await?;
    anyhow::ensure!(done[2]["event"]["id"] == 3, "{:?}", done[2]);
    world.app.stop().await
}

/// Stopping a recipe stops its polls at once.
async fn a_stopped_recipe_is_not_polled(backend: Backend) -> anyhow::Result<()> {
    let world = arrange(backend, 1, triage_steps()).await?;
    ended_jobs(&world.app, &world.admin, WS, 1).await?;
    set_state(&world.app, &world.admin, &world.recipe, "STOPPED").await?;
    // A poll in flight when it stopped may still land; after it, none.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = world
        .mock
        .requests()
        .iter()
        .filter(|r| r.path() == "/tickets")
        .count();
    world
        .mock
        .route("GET", "/tickets", Reply::Json(200, tickets(4)));
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let after = world
        .mock
        .requests()
        .iter()
        .filter(|r| r.path() == "/tickets")
        .count();
    anyhow::ensure!(
        after == before,
        "polled {} times after the stop",
        after - before
    );
    let (_, total) = jobs(&world.app, &world.admin, WS, None).await?;
    anyhow::ensure!(total == 1, "{total} jobs");
    // Started again: the tickets that came meanwhile run, from where the cursor was.
    set_state(&world.app, &world.admin, &world.recipe, "RUNNING").await?;
    let done = ended_jobs(&world.app, &world.admin, WS, 4).await?;
    let ids: Vec<_> = done.iter().map(|j| j["event"]["id"].clone()).collect();
    anyhow::ensure!(ids == [json!(1), json!(2), json!(3), json!(4)], "{ids:?}");
    world.app.stop().await
}

/// An upstream failure that may pass is tried again with backoff, then fails the job with the
/// SDK's code; the steps after it do not run, and the recipe goes on with the next event.
async fn a_failing_step_fails_its_job_only(backend: Backend) -> anyhow::Result<()> {
    let steps = json!([
        { "connector": "tickets", "action": "fail", "input": {} },
        { "connector": "tickets", "action": "notify", "input": { "text": "never" } },
    ]);
    let world = arrange(backend, 2, steps).await?;
    let done = ended_jobs(&world.app, &world.admin, WS, 2).await?;
    for job in &done {
        anyhow::ensure!(job["status"] == "FAILED", "{job}");
        anyhow::ensure!(job["error"]["code"] == "HTTP", "{job}");
        let steps = job["steps"].as_array().cloned().unwrap_or_default();
        anyhow::ensure!(steps.len() == 1, "the step after the failure ran: {job}");
        anyhow::ensure!(
            steps[0]["attempts"] == 3 && steps[0]["succeeded"] == false,
            "{job}"
        );
    }
    let outages = world
        .mock
        .requests()
        .iter()
        .filter(|r| r.path() == "/outage")
        .count();
    anyhow::ensure!(
        outages == 6,
        "{outages} calls for two jobs of three attempts"
    );
    anyhow::ensure!(
        !world.mock.requests().iter().any(|r| r.path() == "/notify"),
        "a step after a failure ran"
    );
    let (failed, total) = jobs(&world.app, &world.admin, WS, Some("FAILED")).await?;
    anyhow::ensure!(total == 2 && failed.len() == 2, "{failed:?}");
    let (succeeded, total) = jobs(&world.app, &world.admin, WS, Some("SUCCEEDED")).await?;
    anyhow::ensure!(total == 0 && succeeded.is_empty(), "{succeeded:?}");
    world.app.stop().await
}

/// An output that cannot be stored (a NUL character: PostgreSQL's JSON holds none) fails its
/// step with a typed error on both databases; the job ends instead of being retried forever.
async fn an_output_that_cannot_be_stored_fails_its_step(backend: Backend) -> anyhow::Result<()> {
    let steps = json!([{ "connector": "tickets", "action": "nul", "input": {} }]);
    let world = arrange(backend, 1, steps).await?;
    let done = ended_jobs(&world.app, &world.admin, WS, 1).await?;
    let job = &done[0];
    anyhow::ensure!(job["status"] == "FAILED", "{job}");
    anyhow::ensure!(job["error"]["code"] == "INVALID_OUTPUT", "{job}");
    anyhow::ensure!(job["attempts"] == 1, "{job}");
    world.app.stop().await
}

/// A mapping that names a later step is refused when the recipe is saved. (A missing field of an
/// earlier step reading as `null` is `jobs::mapping`'s unit test.)
async fn mappings_read_only_what_ran_before(backend: Backend) -> anyhow::Result<()> {
    let steps = json!([
        { "connector": "tickets", "action": "notify", "input": { "text": "{{ steps.1.sent }}" } },
    ]);
    let refused = arrange(backend, 1, steps).await;
    let message = format!("{:?}", refused.err());
    anyhow::ensure!(
        message.contains("does not run before step 0"),
        "a reference to a later step was saved: {message}"
    );
    Ok(())
}

tests::on_both_backends!(
    each_event_runs_its_steps,
    super::each_event_runs_the_steps_with_mapped_inputs
);
tests::on_both_backends!(
    the_cursor_holds,
    super::the_cursor_neither_repeats_nor_loses_an_event
);
tests::on_both_backends!(
    secrets_stay_out,
    super::a_secret_an_api_echoes_is_not_recorded
);
tests::on_both_backends!(stopping_stops_polls, super::a_stopped_recipe_is_not_polled);
tests::on_both_backends!(a_failing_step, super::a_failing_step_fails_its_job_only);
tests::on_both_backends!(mappings, super::mappings_read_only_what_ran_before);
tests::on_both_backends!(
    unstorable_output,
    super::an_output_that_cannot_be_stored_fails_its_step
);
