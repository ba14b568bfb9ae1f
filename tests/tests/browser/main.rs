//! Browser tests of the web UI (`web/`, served by `api::web`): the real server on SQLite, a
//! headless Chromium driven through chromedriver over WebDriver (`fantoccini`).
//!
//! Needs `chromium` and `chromedriver` on the PATH (Debian: `apt-get install chromium
//! chromium-driver`; `.ci/run` installs them). Screenshots go to `target/screenshots/`.
//!
//! A browser session is expensive, so one test walks the library in one session: each step is a
//! function named for the rule it checks (in `catalog`, `listing`, `install` and `revisit`), and
//! each step starts where the one before left the page. What needs no browser is in `http`.
mod arrange;
mod catalog;
mod driver;
mod http;
mod install;
mod listing;
mod revisit;

use fantoccini::Client;
use tests::{Backend, TempDir, TestApp};

use crate::driver::{Driver, browser};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_in_a_browser() -> anyhow::Result<()> {
    let app = TestApp::spawn(Backend::Sqlite).await?;
    let dev = arrange::arrange(&app).await?;

    let driver = Driver::start()?;
    let profile = TempDir::new(&format!(
        "patchbay_chromium_{}_{}",
        std::process::id(),
        driver.port
    ))?;
    let client = browser(&driver, &profile).await?;
    let outcome = journey(&client, &app.base_url, &dev).await;
    let _ = client.close().await;
    drop(driver);
    outcome?;
    app.stop().await
}

/// The steps in the order a visitor takes them: browse anonymously, open a listing, sign in,
/// install, release, and come back.
async fn journey(c: &Client, base: &str, dev_token: &str) -> anyhow::Result<()> {
    catalog::the_catalog_shows_ten_cards_and_counts_all_eleven(c, base).await?;
    catalog::the_eleventh_listing_is_on_page_two(c).await?;
    catalog::a_category_facet_narrows_the_results_and_says_it_is_pressed(c).await?;
    catalog::search_follows_the_words_as_you_type(c).await?;

    listing::a_card_opens_the_listing_with_its_versions_and_installs(c).await?;
    listing::hostile_markdown_renders_as_inert_text(c).await?;
    listing::the_markdown_renderer_escapes_html_and_drops_unsafe_links(c).await?;

    install::a_wrong_token_is_refused_and_the_right_one_signs_in_for_the_tab(c, dev_token).await?;
    install::a_developer_is_offered_only_workspaces_they_may_install_into_and_reads_the_source(c)
        .await?;
    install::installing_an_older_version_counts_it_everywhere(c).await?;
    install::an_older_copy_is_offered_the_update_with_a_preview_diff(c).await?;
    install::a_workspace_with_a_copy_is_offered_release_not_a_second_install(c).await?;
    install::releasing_the_copy_marks_it_released(c).await?;
    install::the_whole_listing_fits_the_window_width(c).await?;

    catalog::sorting_by_installs_puts_the_installed_listing_first(c).await?;
    revisit::a_deep_link_keeps_the_session_after_a_reload(c, base).await?;
    revisit::an_unknown_listing_says_there_is_no_such_connector(c, base).await?;
    revisit::on_a_phone_nothing_scrolls_sideways(c, base).await
}
