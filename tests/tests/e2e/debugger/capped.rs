//! Answers that would be too large are cut and say so.

use super::*;

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
