//! Several servers on one database share the work, and no job runs twice.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait as _, Statement};
use serde_json::{Value, json};
use testkit::Mock;
use tests::{Backend, TestApp};

use super::arrange::{WS, add_recipe, fast_jobs, prepare, routes};

const RECIPES: usize = 8;
const TICKETS: i64 = 25;

/// Each recipe's succeeded jobs.
const SUCCEEDED: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) { recipes { name jobs(status: SUCCEEDED, first: 1) { totalCount } } }
}"#;

/// Two servers run eight recipes of 25 events each: every one of the 200 jobs runs exactly once
/// (one notification each, a first attempt each), and both servers run some.
async fn two_servers_run_every_job_once(backend: Backend) -> anyhow::Result<()> {
    let mock = Mock::start()?;
    routes(&mock, TICKETS);
    let app = TestApp::spawn_with(backend, fast_jobs(mock.addr)).await?;
    let second = app.spawn_second_with(fast_jobs(mock.addr)).await?;
    let admin = app.user_with_token("admin").await?;
    prepare(&app, &admin).await?;
    for r in 0..RECIPES {
        let steps = json!([{ "connector": "tickets", "action": "notify",
                             "input": { "text": format!("r{r}:{{{{ trigger.id }}}}") } }]);
        add_recipe(&app, &admin, &format!("recipe {r}"), steps).await?;
    }
    let expected = RECIPES as u64 * TICKETS as u64;
    let started = Instant::now();
    loop {
        let data = app
            .data(Some(&admin), SUCCEEDED, json!({ "ws": WS }))
            .await?;
        let done: u64 = data["workspace"]["recipes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["jobs"]["totalCount"].as_u64())
            .sum();
        if done == expected {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(120),
            "{done} of {expected} jobs succeeded after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut sent: BTreeMap<String, usize> = BTreeMap::new();
    for request in mock.requests().iter().filter(|r| r.path() == "/notify") {
        let text = request.json()["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *sent.entry(text).or_default() += 1;
    }
    anyhow::ensure!(
        sent.len() as u64 == expected,
        "{} distinct notifications",
        sent.len()
    );
    let twice: Vec<_> = sent.iter().filter(|(_, n)| **n > 1).collect();
    anyhow::ensure!(twice.is_empty(), "sent more than once: {twice:?}");
    let (owners, retried) = runners(&app).await?;
    anyhow::ensure!(owners == 2, "{owners} servers ran jobs");
    anyhow::ensure!(retried == 0, "{retried} jobs were started more than once");
    second.stop().await?;
    app.stop().await
}

/// How many processes ran the jobs, and how many jobs were started more than once.
async fn runners(app: &TestApp) -> anyhow::Result<(i64, i64)> {
    let db = app.conn()?;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(DISTINCT lease_owner) AS owners, \
             SUM(CASE WHEN attempts > 1 THEN 1 ELSE 0 END) AS retried FROM jobs",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    let owners: i64 = row.try_get("", "owners")?;
    let retried: Value = json!(row.try_get::<Option<i64>>("", "retried")?);
    Ok((owners, retried.as_i64().unwrap_or(0)))
}

tests::on_both_backends!(two_servers, super::two_servers_run_every_job_once);
