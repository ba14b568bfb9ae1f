//! A name match ranks above description-only matches; equal matches are ordered by installs;
//! deprecated listings join only when asked for, unlisted ones never.

use super::*;

async fn relevance(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    // zephyr-mail: 1 install, in its name. alpha-tasks (2) and bravo-tasks (4): in their
    // descriptions, with everything else of the same shape.
    assert_eq!(
        found(&app, "zephyr").await?,
        vec!["zephyr-mail", "bravo-tasks", "alpha-tasks"]
    );
    // Both in the name, equally: installs decide.
    assert_eq!(
        found(&app, "tasks").await?,
        vec!["bravo-tasks", "alpha-tasks"]
    );
    // The explicit sort matches the default.
    let explicit = search(&app, json!({ "query": "zephyr", "sort": "RELEVANCE" })).await?;
    assert_eq!(
        slugs(&explicit),
        vec!["zephyr-mail", "bravo-tasks", "alpha-tasks"]
    );

    let with_deprecated = search(
        &app,
        json!({ "query": "zephyr", "includeDeprecated": true }),
    )
    .await?;
    let got = slugs(&with_deprecated);
    assert_eq!(with_deprecated["totalCount"], 4);
    assert_eq!(
        set(&got[..2]),
        BTreeSet::from(["zephyr-fax", "zephyr-mail"]),
        "{got:?}"
    );
    assert_eq!(got[2..], ["bravo-tasks", "alpha-tasks"]);

    // Pages of a ranked search add up to the whole ranking.
    let vars = json!({ "query": "zephyr" });
    let (walked, _) = walk_pages(&app, vars, 2, |page, _| {
        assert_eq!(page["totalCount"], 3);
    })
    .await?;
    assert_eq!(walked, vec!["zephyr-mail", "bravo-tasks", "alpha-tasks"]);

    // Without search text, relevance is installs.
    let all = search(&app, json!({})).await?;
    assert_eq!(slugs(&all), BY_INSTALLS);
    app.stop().await
}
tests::on_both_backends!(
    relevance_ranks_name_matches_first_then_installs,
    super::relevance
);
