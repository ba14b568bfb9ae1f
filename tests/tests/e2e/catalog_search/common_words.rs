//! A word matching more listings than the server ranks (`search_rank_candidates`, 3 here) ranks
//! the most installed matches by where the word appears (name before summary), then installs;
//! the pages past them continue by installs, with nothing repeated or skipped.

use super::*;

async fn common_words(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn_with(backend, |c| c.search_rank_candidates = 3).await?;
    let a = Arranger::new(&app).await?;
    // (slug, name, installs): every summary says "widget"; two names do too.
    let specs = [
        ("w-one", "First", 6),
        ("w-two", "Second", 5),
        ("w-three", "Widget Three", 4),
        ("w-four", "Fourth", 3),
        ("w-five", "Widget Five", 2),
        ("w-six", "Sixth", 1),
    ];
    for (slug, name, installs) in specs {
        let listing = NewListing {
            summary: "Moves a widget along".into(),
            ..new_listing(slug, name, "tools")
        };
        let source = connector_source(name, &[("move_it", "Move")]);
        let ids = a.listing(listing, source, None).await?;
        a.installs(ids, installs, Utc::now()).await?;
    }
    const PAGE: &str = r#"query($after: String) { connectors(query: "widget", first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { slug } } } }"#;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    for expected_next in [true, true, false] {
        let page = app.data(None, PAGE, json!({ "after": after })).await?["connectors"].clone();
        assert_eq!(page["totalCount"], 6, "{page}");
        assert_eq!(page["pageInfo"]["hasNextPage"], expected_next, "{page}");
        seen.extend(slugs(&page));
        after = page["pageInfo"]["endCursor"].clone();
    }
    // Candidates: the three most installed (one, two, three); three has the word in its name.
    // Then the rest by installs: four, five (a name match, but not a candidate), six.
    assert_eq!(
        seen,
        ["w-three", "w-one", "w-two", "w-four", "w-five", "w-six"],
        "pages in order"
    );
    app.stop().await
}
tests::on_both_backends!(common_words_rank_the_most_installed, super::common_words);
