//! An unlisted listing is reachable by slug only: no browse, search, category or count shows it,
//! until it is made public.

use super::*;

/// `hidden-gem`, unlisted in its own category, next to Postbox and other (see
/// `arrange_postbox`); ada's token.
async fn arrange_hidden_gem(app: &TestApp) -> anyhow::Result<String> {
    let (ada, source, _) = arrange_postbox(app).await?;
    create(
        app,
        &ada,
        json!({ "slug": "hidden-gem", "name": "Hidden Gem", "summary": "Secret",
                "category": "secret-things", "visibility": "UNLISTED", "version": "1.0.0",
                "source": source }),
    )
    .await?;
    Ok(ada)
}

async fn by_slug(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_hidden_gem(&app).await?;
    let gem = listing(&app, None, json!({ "slug": "hidden-gem" })).await?;
    assert_eq!(gem["visibility"], "UNLISTED");
    assert_eq!(gem["latestVersion"]["version"], "1.0.0");
    app.stop().await
}
tests::on_both_backends!(an_unlisted_listing_is_reachable_by_slug, super::by_slug);

async fn nowhere_else(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_hidden_gem(&app).await?;
    let browse = catalog(&app, json!({ "includeDeprecated": true })).await?;
    assert_eq!(slugs(&browse), vec!["other", "mailer"]);
    for query in ["hidden", "gem", "secret"] {
        let found = catalog(&app, json!({ "query": query })).await?;
        assert_eq!(found["connectors"]["totalCount"], 0, "{query}: {found}");
    }
    let in_category = catalog(&app, json!({ "category": "secret-things" })).await?;
    assert_eq!(in_category["connectors"]["totalCount"], 0);
    app.stop().await
}
tests::on_both_backends!(
    an_unlisted_listing_is_in_no_browse_search_or_category,
    super::nowhere_else
);

async fn not_counted(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_hidden_gem(&app).await?;
    let categories = app
        .data(None, "{ categories { category count } }", json!({}))
        .await?;
    assert_eq!(
        categories["categories"],
        json!([{ "category": "logistics", "count": 1 }, { "category": "messaging", "count": 1 }])
    );
    app.stop().await
}
tests::on_both_backends!(categories_count_no_unlisted_listing, super::not_counted);

async fn made_public(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = arrange_hidden_gem(&app).await?;
    let public = update(
        &app,
        &ada,
        json!({ "slug": "hidden-gem", "visibility": "PUBLIC" }),
    )
    .await?;
    assert_eq!(public["connector"]["visibility"], "PUBLIC");
    let found = catalog(&app, json!({ "query": "gem" })).await?;
    assert_eq!(slugs(&found), vec!["hidden-gem"]);
    app.stop().await
}
tests::on_both_backends!(
    making_an_unlisted_listing_public_puts_it_in_the_catalog,
    super::made_public
);
