//! A runaway script is stopped at its deadline, and the server stays responsive meanwhile.

use super::*;

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
        let (server, token, input) = (app.endpoint.clone(), dev.clone(), input.clone());
        spinning.push(tokio::spawn(async move {
            let query = format!("{RUN_ACTION}{RUN}");
            let response = server.graphql(Some(&token), &query, input).await?;
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
