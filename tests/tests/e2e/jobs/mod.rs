//! Recipes that run: a running recipe's trigger is polled against a real local upstream, each
//! new event becomes a job whose steps run at the released version with the workspace's
//! connection, and the jobs are read back over GraphQL.

mod arrange;
mod rules;
mod shared;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::TestApp;

/// A recipe's jobs, newest first, with their steps.
const JOBS: &str = r#"
query($ws: String!, $status: JobStatus, $first: Int, $after: String) {
  workspace(slug: $ws) {
    recipes {
      name state
      jobs(first: $first, after: $after, status: $status) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node {
          id status event attempts error { code message } createdAt startedAt finishedAt
          steps { position connector action versionNumber communityVersion succeeded input output
                  error { code message } attempts durationMs }
        } }
      }
    }
  }
}"#;

/// The jobs of the workspace's only recipe (`status`: only those), and how many there are.
async fn jobs(
    app: &TestApp,
    token: &str,
    ws: &str,
    status: Option<&str>,
) -> anyhow::Result<(Vec<Value>, u64)> {
    let data = app
        .data(
            Some(token),
            JOBS,
            json!({ "ws": ws, "status": status, "first": 100 }),
        )
        .await?;
    let connection = &data["workspace"]["recipes"][0]["jobs"];
    let nodes = connection["edges"]
        .as_array()
        .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default();
    let total = connection["totalCount"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no totalCount in {data}"))?;
    Ok((nodes, total))
}

/// Wait (up to 30 s) until the recipe has `count` jobs that all ended; returns them, oldest first.
async fn ended_jobs(
    app: &TestApp,
    token: &str,
    ws: &str,
    count: usize,
) -> anyhow::Result<Vec<Value>> {
    let started = Instant::now();
    loop {
        let (mut nodes, _) = jobs(app, token, ws, None).await?;
        let ended = nodes
            .iter()
            .filter(|j| j["status"] == "SUCCEEDED" || j["status"] == "FAILED")
            .count();
        if ended >= count {
            anyhow::ensure!(
                nodes.len() == count,
                "expected {count} jobs, found {}: {nodes:?}",
                nodes.len()
            );
            nodes.reverse();
            return Ok(nodes);
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "after 30 s, {ended} of {count} jobs ended: {nodes:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
