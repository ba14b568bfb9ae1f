//! Steps on the catalog page (`/`): the first page of results, paging, a category facet, search
//! as you type, and sorting by installs.

use fantoccini::{Client, Locator};

use crate::driver::{click, screenshot, text_of, wait_for, wait_for_cards, wait_text};

/// Anonymously, the catalog shows the first ten of eleven listings, each card with its name,
/// summary, category, installs and author, and the facets count the listings per category.
pub async fn the_catalog_shows_ten_cards_and_counts_all_eleven(
    c: &Client,
    base: &str,
) -> anyhow::Result<()> {
    c.goto(&format!("{base}/")).await?;
    wait_for(
        c,
        "the first page of results",
        "return document.body.dataset.ready === 'true' && document.querySelectorAll('#results li.card').length === 10",
    )
    .await?;
    wait_text(c, "#result-count", "11 connectors").await?;
    let card = text_of(c, "#results li[data-slug='acme-issues']").await?;
    for part in [
        "Acme Issues",
        "Create and track Acme issues",
        "devtools",
        "0 installs",
        "alice display",
    ] {
        assert!(card.contains(part), "card {card:?} lacks {part:?}");
    }
    let facets = text_of(c, "#facets").await?;
    assert!(
        facets.contains("All categories11") && facets.contains("devtools3"),
        "{facets}"
    );
    screenshot(c, "catalog.png").await?;
    Ok(())
}

/// Paging: the eleventh listing is on page two, and page one comes back.
pub async fn the_eleventh_listing_is_on_page_two(c: &Client) -> anyhow::Result<()> {
    click(c, "#next-page").await?;
    wait_for_cards(c, "page two", 1).await?;
    wait_text(c, "#result-count", "page 2").await?;
    click(c, "#prev-page").await?;
    wait_for_cards(c, "page one again", 10).await
}

/// A category facet narrows the results, its button says it is pressed, and the address keeps it.
pub async fn a_category_facet_narrows_the_results_and_says_it_is_pressed(
    c: &Client,
) -> anyhow::Result<()> {
    click(c, "#facets button[data-category='crm']").await?;
    wait_for(
        c,
        "the crm facet",
        "return document.querySelectorAll('#results li.card').length === 2 && \
         document.querySelector(\"#facets button[data-category='crm']\").getAttribute('aria-pressed') === 'true'",
    )
    .await?;
    assert!(
        c.current_url()
            .await?
            .query()
            .unwrap_or_default()
            .contains("category=crm")
    );
    click(c, "#facets button[data-category='']").await
}

/// Search as you type: each keystroke is debounced; the results follow the words, and nonsense
/// finds nothing and says so. Leaves "acme" in the box, with `acme-issues` the only result.
pub async fn search_follows_the_words_as_you_type(c: &Client) -> anyhow::Result<()> {
    let search = c.find(Locator::Css("#search")).await?;
    search.send_keys("acm").await?;
    wait_for_only_acme_issues(c, "results for 'acm'").await?;
    wait_text(c, "#result-count", "1 connector match “acm”").await?;
    search.clear().await?;
    search.send_keys("zzzz").await?;
    wait_text(c, "#results", "No connectors match").await?;
    search.clear().await?;
    search.send_keys("acme").await?;
    wait_for_only_acme_issues(c, "results for 'acme'").await
}

async fn wait_for_only_acme_issues(c: &Client, what: &str) -> anyhow::Result<()> {
    wait_for(
        c,
        what,
        "const cards = document.querySelectorAll('#results li.card'); \
         return cards.length === 1 && cards[0].dataset.slug === 'acme-issues'",
    )
    .await?;
    Ok(())
}

/// Back in the catalog from the listing, its installs went up; sorting by installs puts it first.
pub async fn sorting_by_installs_puts_the_installed_listing_first(
    c: &Client,
) -> anyhow::Result<()> {
    click(c, ".crumbs a").await?;
    c.find(Locator::Css("#sort"))
        .await?
        .select_by_value("INSTALLS")
        .await?;
    wait_for(
        c,
        "the most installed first",
        "const first = document.querySelector('#results li.card'); \
         return !!first && first.dataset.slug === 'acme-issues' && first.textContent.includes('1 install')",
    )
    .await?;
    Ok(())
}
