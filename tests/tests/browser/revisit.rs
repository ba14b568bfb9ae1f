//! Steps that come back to the pages: a deep link after a reload, an unknown listing, and a
//! phone-sized screen.

use fantoccini::Client;

use crate::driver::{assert_no_horizontal_overflow, screenshot, wait_for, wait_text};

/// A deep link still works after a reload: the session survives in the tab.
pub async fn a_deep_link_keeps_the_session_after_a_reload(
    c: &Client,
    base: &str,
) -> anyhow::Result<()> {
    c.goto(&format!("{base}/connectors/acme-issues")).await?;
    wait_text(c, "#account", "Signed in as dev display").await?;
    wait_text(c, "#copy-state", "released version 1").await
}

/// A link to a listing that does not exist says so.
pub async fn an_unknown_listing_says_there_is_no_such_connector(
    c: &Client,
    base: &str,
) -> anyhow::Result<()> {
    c.goto(&format!("{base}/connectors/no-such-listing"))
        .await?;
    wait_text(c, "main h1", "No such connector").await
}

/// On a phone-sized screen nothing scrolls sideways, in the catalog or on a listing.
pub async fn on_a_phone_nothing_scrolls_sideways(c: &Client, base: &str) -> anyhow::Result<()> {
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{base}/")).await?;
    wait_for(
        c,
        "the phone catalog",
        "return document.body.dataset.ready === 'true' && document.querySelectorAll('#results li.card').length > 0",
    )
    .await?;
    assert_no_horizontal_overflow(c).await?;
    screenshot(c, "catalog-phone.png").await?;
    c.goto(&format!("{base}/connectors/acme-issues")).await?;
    wait_text(c, "#copy-state", "released version 1").await?;
    assert_no_horizontal_overflow(c).await
}
