//! Yanking moves `latestVersion` back and keeps the version listed; un-yanking restores it; a
//! pre-release never displaces a stable version, but is the latest when nothing stable exists.

use super::*;

/// The source of every version here.
fn yanky_source() -> String {
    connector_source("Yanky", &[("ping", "Ping")])
}

/// Ada's token and the source of yanky, published as 1.0.0, 1.1.0 and 2.0.0.
async fn arrange_yanky(app: &TestApp) -> anyhow::Result<(String, String)> {
    let ada = app.user_with_token("ada").await?;
    let source = yanky_source();
    arrange_listing(app, &ada, "yanky", "Yanky", "utilities", &source).await?;
    for version in ["1.1.0", "2.0.0"] {
        publish(
            app,
            &ada,
            json!({ "slug": "yanky", "version": version, "source": source }),
        )
        .await?;
    }
    Ok((ada, source))
}

/// yanky with its newest version, 2.0.0, yanked; the `yankVersion` version.
async fn arrange_yanked(app: &TestApp) -> anyhow::Result<(String, Value)> {
    let (ada, _) = arrange_yanky(app).await?;
    let yanked = yank(app, &ada, "yanky", "2.0.0", true).await?;
    Ok((ada, yanked))
}

/// yanky with 3.0.0-beta.1 published after its stable versions.
async fn arrange_beta(app: &TestApp) -> anyhow::Result<(String, Value)> {
    let (ada, source) = arrange_yanky(app).await?;
    let beta = publish(
        app,
        &ada,
        json!({ "slug": "yanky", "version": "3.0.0-beta.1", "source": source }),
    )
    .await?;
    Ok((ada, beta))
}

async fn yanked_when(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, yanked) = arrange_yanked(&app).await?;
    assert_eq!(yanked["version"], "2.0.0");
    assert_eq!(yanked["yanked"], true);
    assert!(timestamp(&yanked["yankedAt"]).is_ok(), "{yanked}");
    app.stop().await
}
tests::on_both_backends!(a_yanked_version_says_when_it_was_yanked, super::yanked_when);

async fn still_listed(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_yanked(&app).await?;
    let after_yank = listing(&app, None, json!({ "slug": "yanky" })).await?;
    assert_eq!(after_yank["latestVersion"]["version"], "1.1.0");
    assert_eq!(after_yank["versions"]["totalCount"], 3);
    assert_eq!(versions_of(&after_yank), vec!["2.0.0", "1.1.0", "1.0.0"]);
    let flags: Vec<&Value> = after_yank["versions"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["node"]["yanked"])
        .collect();
    assert_eq!(flags, vec![&json!(true), &json!(false), &json!(false)]);
    app.stop().await
}
tests::on_both_backends!(
    a_yanked_version_is_no_longer_the_latest_but_stays_listed,
    super::still_listed
);

async fn installable(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_yanked(&app).await?;
    let installable = listing(
        &app,
        None,
        json!({ "slug": "yanky", "includeYanked": false }),
    )
    .await?;
    assert_eq!(installable["versions"]["totalCount"], 2);
    assert_eq!(versions_of(&installable), vec!["1.1.0", "1.0.0"]);
    app.stop().await
}
tests::on_both_backends!(
    the_installable_versions_leave_the_yanked_out,
    super::installable
);

async fn unyank(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (ada, _) = arrange_yanked(&app).await?;
    let restored = yank(&app, &ada, "yanky", "2.0.0", false).await?;
    assert_eq!(restored["yanked"], false);
    assert_eq!(restored["yankedAt"], Value::Null);
    let after_unyank = listing(&app, None, json!({ "slug": "yanky" })).await?;
    assert_eq!(after_unyank["latestVersion"]["version"], "2.0.0");
    assert_eq!(
        after_unyank["versions"]["edges"][0]["node"]["yanked"],
        false
    );
    app.stop().await
}
tests::on_both_backends!(un_yanking_restores_the_latest_version, super::unyank);

async fn beta_behind_stable(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, beta) = arrange_beta(&app).await?;
    assert_eq!(beta["version"], "3.0.0-beta.1");
    let with_beta = listing(&app, None, json!({ "slug": "yanky" })).await?;
    assert_eq!(with_beta["latestVersion"]["version"], "2.0.0");
    assert_eq!(
        versions_of(&with_beta),
        vec!["3.0.0-beta.1", "2.0.0", "1.1.0", "1.0.0"]
    );
    app.stop().await
}
tests::on_both_backends!(
    a_pre_release_never_displaces_a_stable_version,
    super::beta_behind_stable
);

async fn only_beta(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (ada, _) = arrange_beta(&app).await?;
    for version in ["2.0.0", "1.1.0", "1.0.0"] {
        yank(&app, &ada, "yanky", version, true).await?;
    }
    let only_beta = listing(&app, None, json!({ "slug": "yanky" })).await?;
    assert_eq!(only_beta["latestVersion"]["version"], "3.0.0-beta.1");
    app.stop().await
}
tests::on_both_backends!(
    a_pre_release_is_the_latest_once_every_stable_version_is_yanked,
    super::only_beta
);

async fn early(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;
    let source = yanky_source();
    let created = create(
        &app,
        &ada,
        json!({ "slug": "early", "name": "Early", "summary": "Not yet stable",
                "category": "utilities", "version": "0.1.0-alpha.1", "source": source }),
    )
    .await?;
    assert_eq!(
        created["connector"]["latestVersion"]["version"],
        "0.1.0-alpha.1"
    );
    app.stop().await
}
tests::on_both_backends!(
    a_listing_whose_first_version_is_a_pre_release_has_it_as_its_latest,
    super::early
);
