//! Creating a listing with a token and publishing versions to it: the creator owns it, a
//! version's capabilities and checksum come from the source sent, and versions are listed newest
//! first, in pages.

use super::*;

/// The source of github-issues 1.0.0: two actions.
fn source_v1() -> String {
    connector_source(
        "GitHub Issues",
        &[("open_issue", "Open issue"), ("close_issue", "Close issue")],
    )
}

/// The source of 1.1.0: one action more.
fn source_v11() -> String {
    connector_source(
        "GitHub Issues",
        &[
            ("open_issue", "Open issue"),
            ("close_issue", "Close issue"),
            ("add_label", "Add label"),
        ],
    )
}

/// The source of 2.0.0: the actions renamed.
fn source_v2() -> String {
    connector_source("GitHub Issues", &[("create_issue", "Create issue")])
}

/// Ada's token and the `createConnector` payload of github-issues 1.0.0, created with a
/// description, keywords (repeated, in mixed case) and release notes.
async fn arrange_first_version(app: &TestApp) -> anyhow::Result<(String, Value)> {
    let ada = app.user_with_token("ada").await?;
    let created = create(
        app,
        &ada,
        json!({
            "slug": "github-issues",
            "name": "GitHub Issues",
            "summary": "Open and close issues",
            "description": "Works with **any** repository.",
            "category": "developer-tools",
            "keywords": ["GitHub", "issues", "github"],
            "version": "1.0.0",
            "source": source_v1(),
            "releaseNotes": "First release",
        }),
    )
    .await?;
    Ok((ada, created))
}

/// github-issues as 1.0.0, then 1.1.0 (an action added) and 2.0.0 (breaking); the
/// `publishVersion` versions of 1.1.0 and 2.0.0.
async fn arrange_three_versions(app: &TestApp) -> anyhow::Result<(Value, Value)> {
    let (ada, _) = arrange_first_version(app).await?;
    let v11 = publish(
        app,
        &ada,
        json!({ "slug": "github-issues", "version": "1.1.0", "source": source_v11(),
                "releaseNotes": "- New action **Add label**" }),
    )
    .await?;
    let v2 = publish(
        app,
        &ada,
        json!({ "slug": "github-issues", "version": "2.0.0", "source": source_v2(),
                "releaseNotes": "Renamed actions", "breaking": "open_issue is now create_issue" }),
    )
    .await?;
    Ok((v11, v2))
}

async fn owned_as_described(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, created) = arrange_first_version(&app).await?;
    let connector = &created["connector"];
    assert_eq!(connector["slug"], "github-issues");
    assert_eq!(connector["name"], "GitHub Issues");
    assert_eq!(connector["category"], "developer-tools");
    assert_eq!(handles(&connector["owners"]), vec!["ada"]);
    let before = listing(&app, None, json!({ "slug": "github-issues" })).await?;
    assert_eq!(before["description"], "Works with **any** repository.");
    assert_eq!(before["summary"], "Open and close issues");
    assert_eq!(before["visibility"], "PUBLIC");
    assert_eq!(before["status"], "PUBLISHED");
    app.stop().await
}
tests::on_both_backends!(
    the_creator_owns_a_new_listing_as_described,
    super::owned_as_described
);

async fn keywords(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, created) = arrange_first_version(&app).await?;
    assert_eq!(
        created["connector"]["keywords"],
        json!(["github", "issues"])
    );
    app.stop().await
}
tests::on_both_backends!(keywords_are_lower_cased_and_deduplicated, super::keywords);

async fn never_updated(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_first_version(&app).await?;
    let before = listing(&app, None, json!({ "slug": "github-issues" })).await?;
    assert_eq!(before["createdAt"], before["updatedAt"]);
    app.stop().await
}
tests::on_both_backends!(
    a_new_listing_was_last_updated_when_it_was_created,
    super::never_updated
);

async fn first_version(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, created) = arrange_first_version(&app).await?;
    let sha_v1 = sha256_hex(&source_v1());
    assert_eq!(
        created["connector"]["latestVersion"],
        json!({ "version": "1.0.0", "sha256": sha_v1 })
    );
    let version = &created["version"];
    assert_eq!(version["version"], "1.0.0");
    assert_eq!(version["sha256"], sha_v1.as_str());
    assert_eq!(
        version["capabilities"],
        json!({
            "actions": [
                { "name": "close_issue", "title": "Close issue" },
                { "name": "open_issue", "title": "Open issue" },
            ],
            "allowedHosts": ["api.example.com"],
        })
    );
    app.stop().await
}
tests::on_both_backends!(
    a_first_version_is_the_latest_with_its_source_s_checksum_and_capabilities,
    super::first_version
);

async fn first_notes(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_first_version(&app).await?;
    let before = listing(&app, None, json!({ "slug": "github-issues" })).await?;
    let first = &before["versions"]["edges"][0]["node"];
    assert_eq!(first["releaseNotes"], "First release");
    assert_eq!(first["publishedBy"]["handle"], "ada");
    assert_eq!(first["breaking"], false);
    assert_eq!(first["breakingMessage"], Value::Null);
    app.stop().await
}
tests::on_both_backends!(
    a_first_version_keeps_its_notes_and_publisher_and_is_not_breaking,
    super::first_notes
);

async fn later_checksums(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (v11, v2) = arrange_three_versions(&app).await?;
    assert_eq!(v11["version"], "1.1.0");
    assert_eq!(v11["sha256"], sha256_hex(&source_v11()).as_str());
    assert_eq!(
        v11["capabilities"]["actions"],
        json!([
            { "name": "add_label", "title": "Add label" },
            { "name": "close_issue", "title": "Close issue" },
            { "name": "open_issue", "title": "Open issue" },
        ])
    );
    assert_eq!(v2["version"], "2.0.0");
    assert_eq!(v2["sha256"], sha256_hex(&source_v2()).as_str());
    app.stop().await
}
tests::on_both_backends!(
    a_new_version_has_its_own_source_s_checksum_and_capabilities,
    super::later_checksums
);

async fn breaking(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (v11, v2) = arrange_three_versions(&app).await?;
    assert_eq!(v11["releaseNotes"], "- New action **Add label**");
    assert_eq!(v11["breaking"], false);
    assert_eq!(v11["breakingMessage"], Value::Null);
    assert_eq!(v2["breaking"], true);
    assert_eq!(v2["breakingMessage"], "open_issue is now create_issue");
    assert_eq!(v2["releaseNotes"], "Renamed actions");
    app.stop().await
}
tests::on_both_backends!(a_version_is_breaking_only_when_it_says_why, super::breaking);

async fn pages(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_three_versions(&app).await?;
    let page1 = listing(&app, None, json!({ "slug": "github-issues", "first": 2 })).await?;
    assert_eq!(page1["latestVersion"]["version"], "2.0.0");
    assert_eq!(page1["versions"]["totalCount"], 3);
    assert_eq!(versions_of(&page1), vec!["2.0.0", "1.1.0"]);
    assert_eq!(page1["versions"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(page1["versions"]["pageInfo"]["hasPreviousPage"], false);
    let after = page1["versions"]["pageInfo"]["endCursor"].clone();
    assert_eq!(after, page1["versions"]["edges"][1]["cursor"]);
    let page2 = listing(
        &app,
        None,
        json!({ "slug": "github-issues", "first": 2, "after": after }),
    )
    .await?;
    assert_eq!(page2["versions"]["totalCount"], 3);
    assert_eq!(versions_of(&page2), vec!["1.0.0"]);
    assert_eq!(page2["versions"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(page2["versions"]["pageInfo"]["hasPreviousPage"], true);
    let all = listing(&app, None, json!({ "slug": "github-issues" })).await?;
    assert_eq!(versions_of(&all), vec!["2.0.0", "1.1.0", "1.0.0"]);
    app.stop().await
}
tests::on_both_backends!(versions_are_listed_newest_first_in_pages, super::pages);

/// "When the listing or its versions last changed".
async fn updated_at(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_three_versions(&app).await?;
    let all = listing(&app, None, json!({ "slug": "github-issues" })).await?;
    let latest_published = timestamp(&all["versions"]["edges"][0]["node"]["publishedAt"])?;
    assert!(
        timestamp(&all["updatedAt"])? >= latest_published,
        "updatedAt {} is older than the last published version ({latest_published})",
        all["updatedAt"]
    );
    app.stop().await
}
tests::on_both_backends!(
    a_listing_s_updated_at_follows_its_newest_version,
    super::updated_at
);
