//! A deprecated listing leaves browse and search unless asked for, and is still found by slug;
//! un-deprecating puts it back.

use super::*;

/// Postbox (see `arrange_postbox`) deprecated by ada; ada's token and the `updateConnector`
/// payload.
async fn arrange_deprecated(app: &TestApp) -> anyhow::Result<(String, Value)> {
    let (ada, _, _) = arrange_postbox(app).await?;
    let deprecated = update(app, &ada, json!({ "slug": "mailer", "deprecated": true })).await?;
    Ok((ada, deprecated))
}

async fn keeps_metadata(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, deprecated) = arrange_deprecated(&app).await?;
    assert_eq!(deprecated["userErrors"], json!([]), "{deprecated}");
    assert_eq!(deprecated["connector"]["status"], "DEPRECATED");
    assert_eq!(deprecated["connector"]["name"], "Postbox");
    app.stop().await
}
tests::on_both_backends!(
    deprecating_a_listing_sets_its_status_and_keeps_its_name,
    super::keeps_metadata
);

async fn leaves_the_catalog(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_deprecated(&app).await?;
    let browse = catalog(&app, json!({})).await?;
    assert_eq!(browse["connectors"]["totalCount"], 1);
    assert_eq!(slugs(&browse), vec!["other"]);
    let search = catalog(&app, json!({ "query": "postbox" })).await?;
    assert_eq!(search["connectors"]["totalCount"], 0);
    app.stop().await
}
tests::on_both_backends!(
    a_deprecated_listing_leaves_browse_and_search,
    super::leaves_the_catalog
);

async fn asked_for(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_deprecated(&app).await?;
    let with_deprecated = catalog(&app, json!({ "includeDeprecated": true })).await?;
    assert_eq!(with_deprecated["connectors"]["totalCount"], 2);
    assert_eq!(slugs(&with_deprecated), vec!["other", "mailer"]);
    app.stop().await
}
tests::on_both_backends!(
    a_deprecated_listing_is_listed_when_asked_for,
    super::asked_for
);

async fn by_slug(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_deprecated(&app).await?;
    let direct = listing(&app, None, json!({ "slug": "mailer" })).await?;
    assert_eq!(direct["status"], "DEPRECATED");
    app.stop().await
}
tests::on_both_backends!(a_deprecated_listing_is_still_found_by_slug, super::by_slug);

async fn undeprecate(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (ada, _) = arrange_deprecated(&app).await?;
    let restored = update(&app, &ada, json!({ "slug": "mailer", "deprecated": false })).await?;
    assert_eq!(restored["connector"]["status"], "PUBLISHED");
    assert_eq!(
        slugs(&catalog(&app, json!({})).await?),
        vec!["other", "mailer"]
    );
    app.stop().await
}
tests::on_both_backends!(
    un_deprecating_puts_a_listing_back_in_the_catalog,
    super::undeprecate
);
