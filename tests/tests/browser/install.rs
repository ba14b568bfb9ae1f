//! Steps a signed-in developer takes on a listing's page: sign in, read the source, install an
//! older version into a workspace, see the update it could take, and release the copy.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::driver::{assert_no_horizontal_overflow, click, screenshot, wait_for, wait_text};

/// Sign in: a wrong token is refused in words; the right one signs in, and the token lives in the
/// tab's sessionStorage only.
pub async fn a_wrong_token_is_refused_and_the_right_one_signs_in_for_the_tab(
    c: &Client,
    dev_token: &str,
) -> anyhow::Result<()> {
    click(c, "#sign-in").await?;
    c.find(Locator::Css("#token-input"))
        .await?
        .send_keys("pb_not_a_token")
        .await?;
    click(c, "#sign-in-form button[type=submit]").await?;
    wait_text(c, "#flash", "not accepted").await?;
    let input = c.find(Locator::Css("#token-input")).await?;
    input.clear().await?;
    input.send_keys(dev_token).await?;
    click(c, "#sign-in-form button[type=submit]").await?;
    wait_text(c, "#account", "Signed in as dev display").await?;
    let stored = c
        .execute(
            "return [sessionStorage.getItem('patchbay.token'), localStorage.length]",
            vec![],
        )
        .await?;
    assert_eq!(
        stored,
        json!([dev_token, 0]),
        "the token lives in sessionStorage only"
    );
    Ok(())
}

/// Only workspaces where the role may install are offered, and the developer reads the source,
/// escaped and highlighted.
pub async fn a_developer_is_offered_only_workspaces_they_may_install_into_and_reads_the_source(
    c: &Client,
) -> anyhow::Result<()> {
    wait_for(
        c,
        "the workspace picker",
        "const s = document.querySelector('#workspace-select'); \
         return !!s && [...s.options].map(o => o.value).join(',') === 'team'",
    )
    .await?;
    wait_for(
        c,
        "the source",
        "return !!document.querySelector('#source-panel pre.source .tok-str')",
    )
    .await?;
    wait_text(c, "#source-panel pre.source", "close_issue").await
}

/// Installing 1.0.0 (so 1.1.0 is an update) counts it everywhere on the page: the totals, the
/// adoption by version, today's bar, the author's record and the version's own count.
pub async fn installing_an_older_version_counts_it_everywhere(c: &Client) -> anyhow::Result<()> {
    c.find(Locator::Css("#version-select"))
        .await?
        .select_by_value("1.0.0")
        .await?;
    wait_text(c, "#install-button", "Install 1.0.0 into team").await?;
    wait_for(
        c,
        "the 1.0.0 source",
        "const p = document.querySelector('#source-panel pre.source'); return !!p && !p.textContent.includes('close_issue')",
    )
    .await?;
    click(c, "#install-button").await?;
    wait_text(
        c,
        "#install-status .message.success",
        "Installed Acme Issues 1.0.0 into team",
    )
    .await?;
    wait_text(c, "#total-installs", "1").await?;
    wait_text(c, "#active-installs", "1").await?;
    wait_text(c, "#recent-installs", "1").await?;
    wait_text(c, "#adoption", "1.0.0").await?;
    wait_for(
        c,
        "a bar for today's install",
        "return document.querySelectorAll('#daily-chart rect.bar').length === 1",
    )
    .await?;
    wait_text(c, "#copy-state", "not released yet").await?;
    wait_text(c, "#authors", "Installs, all listings1").await?;
    wait_text(
        c,
        "#versions li[data-version='1.0.0'] .active-count",
        "1 active install",
    )
    .await
}

/// A copy of an older version shows the update banner with the breaking note, and its preview
/// diff shows what the update adds.
pub async fn an_older_copy_is_offered_the_update_with_a_preview_diff(
    c: &Client,
) -> anyhow::Result<()> {
    wait_text(c, "#update-banner", "Update available: version 1.1.0").await?;
    wait_text(c, "#update-banner", "Issue ids are now strings.").await?;
    click(c, "#preview-button").await?;
    wait_text(c, "#update-preview pre.diff .diff-add", "close_issue").await?;
    wait_text(c, "#update-preview", "Actions added: close_issue").await
}

/// Once a copy exists, the panel offers release instead of a second install.
pub async fn a_workspace_with_a_copy_is_offered_release_not_a_second_install(
    c: &Client,
) -> anyhow::Result<()> {
    assert!(
        c.find_all(Locator::Css("#install-button"))
            .await?
            .is_empty()
    );
    Ok(())
}

/// Releasing the copy says so, and there is nothing more to release.
pub async fn releasing_the_copy_marks_it_released(c: &Client) -> anyhow::Result<()> {
    click(c, "#release-button").await?;
    wait_text(c, "#install-status .message.success", "Released").await?;
    wait_text(c, "#copy-state", "released version 1").await?;
    wait_for(
        c,
        "the release button to be disabled",
        "return document.querySelector('#release-button').disabled",
    )
    .await?;
    Ok(())
}

/// The whole listing page in one picture, in a window as tall as the page: nothing in it is wider
/// than the window.
pub async fn the_whole_listing_fits_the_window_width(c: &Client) -> anyhow::Result<()> {
    let height = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await?
        .as_u64()
        .unwrap_or(1100);
    c.set_window_size(1280, (height as u32 + 140).min(4000))
        .await?;
    assert_no_horizontal_overflow(c).await?;
    screenshot(c, "listing.png").await?;
    c.set_window_size(1280, 1100).await?;
    Ok(())
}
