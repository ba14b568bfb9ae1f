//! INSTALLS, TRENDING (installs in the last 30 days), NEWEST, NAME and RELEVANCE without search
//! text each put the whole catalog in their order; walked in pages of three, every sort's pages
//! add up to the whole list, with no duplicates and a constant total; a search pages the same way.

use super::*;

/// Every sort and the whole arranged catalog in its order.
const ORDERS: [(&str, [&str; 8]); 5] = [
    ("INSTALLS", BY_INSTALLS),
    ("RELEVANCE", BY_INSTALLS),
    (
        // Recent installs first (4, 3, 2, 2, 1, 1, 0, 0), all-time installs breaking ties.
        "TRENDING",
        [
            "bravo-tasks",
            "stripe-billing",
            "github-tracker",
            "alpha-tasks",
            "salesforce",
            "zephyr-mail",
            "hubspot",
            "xero-ledger",
        ],
    ),
    (
        "NEWEST",
        [
            "hubspot",
            "xero-ledger",
            "github-tracker",
            "bravo-tasks",
            "stripe-billing",
            "alpha-tasks",
            "salesforce",
            "zephyr-mail",
        ],
    ),
    (
        "NAME",
        [
            "alpha-tasks",
            "bravo-tasks",
            "github-tracker",
            "hubspot",
            "salesforce",
            "stripe-billing",
            "xero-ledger",
            "zephyr-mail",
        ],
    ),
];

/// The listings with a word starting with "rec", by name: "recipe", "records", "Reconcile",
/// "receipts".
const REC_WORDS: [&str; 4] = ["github-tracker", "salesforce", "xero-ledger", "zephyr-mail"];

/// The arranged catalog sorted by `sort` is `ORDERS`' list for it, in one page of all eight.
async fn assert_whole_order(backend: Backend, sort: &str) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let order = ORDERS
        .iter()
        .find(|(name, _)| *name == sort)
        .map(|(_, order)| order)
        .ok_or_else(|| anyhow::anyhow!("no order for {sort}"))?;
    let whole = search(&app, json!({ "sort": sort })).await?;
    assert_eq!(slugs(&whole), order, "sort {sort}");
    assert_eq!(whole["totalCount"], 8, "sort {sort}");
    assert_eq!(whole["pageInfo"]["hasNextPage"], false);
    app.stop().await
}

async fn installs(backend: Backend) -> anyhow::Result<()> {
    assert_whole_order(backend, "INSTALLS").await
}
tests::on_both_backends!(
    the_installs_sort_puts_the_most_installed_first,
    super::installs
);

async fn relevance(backend: Backend) -> anyhow::Result<()> {
    assert_whole_order(backend, "RELEVANCE").await
}
tests::on_both_backends!(
    the_relevance_sort_without_search_text_is_by_installs,
    super::relevance
);

async fn trending(backend: Backend) -> anyhow::Result<()> {
    assert_whole_order(backend, "TRENDING").await
}
tests::on_both_backends!(
    the_trending_sort_puts_the_last_30_days_first_then_all_time_installs,
    super::trending
);

async fn newest(backend: Backend) -> anyhow::Result<()> {
    assert_whole_order(backend, "NEWEST").await
}
tests::on_both_backends!(
    the_newest_sort_puts_the_latest_published_first,
    super::newest
);

async fn name(backend: Backend) -> anyhow::Result<()> {
    assert_whole_order(backend, "NAME").await
}
tests::on_both_backends!(the_name_sort_is_alphabetical_ignoring_case, super::name);

/// `sort` walked in pages of three: three pages (3, 3 and 2) that add up to `order`, each with
/// the total of eight and cursors that bound it.
async fn assert_pages_add_up(app: &TestApp, sort: &str, order: &[&str]) -> anyhow::Result<()> {
    let (walked, pages) = walk_pages(app, json!({ "sort": sort }), 3, |page, number| {
        assert_eq!(page["totalCount"], 8, "sort {sort}, page {number}");
        assert_eq!(page["pageInfo"]["hasPreviousPage"], number > 1);
        let page_slugs = slugs(page);
        assert_eq!(
            page_slugs.len(),
            if number < 3 { 3 } else { 2 },
            "sort {sort}"
        );
        assert_eq!(
            page["pageInfo"]["endCursor"],
            page["edges"][page_slugs.len() - 1]["cursor"]
        );
        assert_eq!(page["pageInfo"]["startCursor"], page["edges"][0]["cursor"]);
    })
    .await?;
    assert_eq!(pages, 3, "sort {sort}");
    assert_eq!(
        walked, order,
        "sort {sort}: pages differ from the whole list"
    );
    assert_eq!(set(&walked).len(), 8, "duplicates in {walked:?}");
    Ok(())
}

async fn pages_add_up(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    for (sort, order) in ORDERS {
        assert_pages_add_up(&app, sort, &order).await?;
    }
    app.stop().await
}
tests::on_both_backends!(
    the_pages_of_every_sort_add_up_to_the_whole_list,
    super::pages_add_up
);

/// The cursor of the listing at `index` of a whole, unfiltered list (cursors are opaque: take one
/// from the server).
async fn after_offset(app: &TestApp, index: usize) -> anyhow::Result<Value> {
    let whole = search(app, json!({ "sort": "NAME" })).await?;
    Ok(whole["edges"][index]["cursor"].clone())
}

async fn past_the_end(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    for (sort, _) in ORDERS {
        let past = search(
            &app,
            json!({ "sort": sort, "first": 3, "after": after_offset(&app, 7).await? }),
        )
        .await?;
        assert_eq!(slugs(&past), Vec::<String>::new());
        assert_eq!(past["totalCount"], 8);
        assert_eq!(past["pageInfo"]["hasNextPage"], false);
    }
    app.stop().await
}
tests::on_both_backends!(
    a_page_past_the_end_is_empty_but_knows_the_total,
    super::past_the_end
);

async fn search_pages(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let vars = json!({ "query": "rec", "sort": "NAME" });
    let (walked, _) = walk_pages(&app, vars, 3, |page, _| {
        assert_eq!(page["totalCount"].as_u64(), Some(REC_WORDS.len() as u64));
    })
    .await?;
    assert_eq!(walked, REC_WORDS);
    app.stop().await
}
tests::on_both_backends!(a_search_pages_like_the_whole_list, super::search_pages);
