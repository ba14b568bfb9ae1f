//! Page sizes, cursors, windows and search queries outside their ranges are the caller's mistake:
//! `BAD_USER_INPUT`, while the edges of each range are fine.

use serde_json::json;
use tests::{Backend, error_code};

use super::arrange_base;

async fn bad_pages(backend: Backend) -> anyhow::Result<()> {
    let base = arrange_base(backend).await?;
    let app = &base.app;
    let catalog = "query($first: Int, $after: String) { connectors(first: $first, after: $after) { totalCount } }";
    let versions = "query($first: Int, $after: String) { connector(slug: \"base\") { versions(first: $first, after: $after) { totalCount } } }";
    for document in [catalog, versions] {
        for vars in [
            json!({ "first": -1 }),
            json!({ "first": 1000 }),
            json!({ "first": 101 }),
            json!({ "after": "not a cursor" }),
            json!({ "after": "b2Zmc2V0Oi0x" }),    // "offset:-1"
            json!({ "after": "Q29ubmVjdG9yOjE" }), // a node id, not a cursor
            json!({ "after": "" }),
        ] {
            let body = app.graphql(None, document, vars.clone()).await?;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{vars}: {body}");
        }
        // The edges of the range are fine.
        for vars in [json!({ "first": 0 }), json!({ "first": 100 })] {
            let body = app.graphql(None, document, vars.clone()).await?;
            assert!(body.get("errors").is_none(), "{vars}: {body}");
        }
    }
    base.app.stop().await
}
tests::on_both_backends!(
    a_page_size_or_cursor_out_of_range_is_bad_input,
    super::bad_pages
);

async fn bad_windows(backend: Backend) -> anyhow::Result<()> {
    let base = arrange_base(backend).await?;
    let app = &base.app;
    let daily = "query($days: Int!) { connector(slug: \"base\") { metrics { dailyInstalls(days: $days) { installs } } } }";
    for days in [0, -5, 366] {
        let body = app.graphql(None, daily, json!({ "days": days })).await?;
        assert_eq!(
            error_code(&body),
            Some("BAD_USER_INPUT"),
            "days {days}: {body}"
        );
    }
    for days in [1, 365] {
        let data = app.data(None, daily, json!({ "days": days })).await?;
        assert_eq!(
            data["connector"]["metrics"]["dailyInstalls"]
                .as_array()
                .map(Vec::len),
            Some(days as usize)
        );
    }
    base.app.stop().await
}
tests::on_both_backends!(
    a_trend_window_outside_one_to_365_days_is_bad_input,
    super::bad_windows
);

async fn long_query(backend: Backend) -> anyhow::Result<()> {
    let base = arrange_base(backend).await?;
    let long = "q".repeat(501);
    let body = base
        .app
        .graphql(
            None,
            "query($q: String) { connectors(query: $q) { totalCount } }",
            json!({ "q": long }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    base.app.stop().await
}
tests::on_both_backends!(
    a_search_query_over_500_characters_is_bad_input,
    super::long_query
);
