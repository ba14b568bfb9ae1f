//! `updateConnector` edits a listing's metadata, and the catalog follows: the new category, the
//! new words in search, the old words no longer.

use super::*;

async fn edits(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, _, updated) = arrange_postbox(&app).await?;
    assert_eq!(updated["userErrors"], json!([]), "{updated}");
    assert_eq!(
        updated["connector"],
        json!({ "slug": "mailer", "name": "Postbox", "summary": "Letters by API",
                "description": "", "category": "logistics", "keywords": ["post", "letters"],
                "visibility": "PUBLIC", "status": "PUBLISHED" })
    );
    app.stop().await
}
tests::on_both_backends!(update_connector_edits_the_metadata, super::edits);

async fn new_category(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_postbox(&app).await?;
    let in_logistics = catalog(&app, json!({ "category": "logistics" })).await?;
    assert_eq!(slugs(&in_logistics), vec!["mailer"]);
    let in_messaging = catalog(&app, json!({ "category": "messaging" })).await?;
    assert_eq!(slugs(&in_messaging), vec!["other"]);
    app.stop().await
}
tests::on_both_backends!(
    the_catalog_files_an_edited_listing_under_its_new_category,
    super::new_category
);

async fn new_words(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_postbox(&app).await?;
    let by_word = catalog(&app, json!({ "query": "letters" })).await?;
    assert_eq!(slugs(&by_word), vec!["mailer"]);
    let by_name = catalog(&app, json!({ "query": "postbox" })).await?;
    assert_eq!(slugs(&by_name), vec!["mailer"]);
    app.stop().await
}
tests::on_both_backends!(
    search_finds_an_edited_listing_by_its_new_words,
    super::new_words
);

/// The old summary ("Mailer for tests") is no longer indexed; the other listing's still is.
async fn old_words(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_postbox(&app).await?;
    let by_old_summary = catalog(&app, json!({ "query": "tests" })).await?;
    assert_eq!(slugs(&by_old_summary), vec!["other"]);
    app.stop().await
}
tests::on_both_backends!(
    search_forgets_an_edited_listing_s_old_words,
    super::old_words
);
