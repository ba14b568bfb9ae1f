//! SQL statements per request stay fixed whatever the page size: no N+1.

use api::catalog::ledger::{self, InstallEvent, InstallKind};
use api::catalog::{NewListing, Visibility, listings};
use chrono::{Duration, Utc};
use serde_json::json;
use tests::{Backend, TestApp};

use crate::fixtures::{connector_source, insert_workspace, new_version, service, user_model};

const CATALOG_PAGE: &str = r#"
query($first: Int!) {
  connectors(first: $first, sort: INSTALLS) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      slug name summary category keywords
      metrics { totalInstalls activeInstalls installsLast30Days }
      latestVersion { version capabilities { actions { name title } } }
      owners { handle displayName authorStats { connectorsPublished totalInstalls activeInstalls versionsPublished lastPublishedAt memberSince } }
    } }
  }
}"#;

const LISTING_PAGE: &str = r#"
query($slug: String!, $versions: Int!) {
  connector(slug: $slug) {
    slug name description
    owners { handle authorStats { connectorsPublished totalInstalls versionsPublished } }
    latestVersion { version }
    versions(first: $versions) { totalCount edges { node { version releaseNotes breaking breakingMessage installs activeInstalls publishedBy { handle } capabilities { actions { name } triggers { name } allowedHosts } } } }
    metrics { totalInstalls activeInstalls installsLast30Days dailyInstalls(days: 90) { date installs } adoption { version activeInstalls share } }
  }
}"#;

/// Five authors (`author-0` to `author-4`) and a workspace, then 25 listings spread over the
/// authors and three categories, each installed once, a day apart; the first also has versions
/// 1.1.0 to 1.5.0 and a second owner.
async fn arrange_catalog(app: &TestApp) -> anyhow::Result<()> {
    let db = app.conn()?;
    let runner = app.runner()?;
    let mut authors = Vec::new();
    for i in 0..5 {
        app.user_with_token(&format!("author-{i}")).await?;
        authors.push(user_model(db, &format!("author-{i}")).await?);
    }
    let ws = insert_workspace(db, "ws").await?;
    for i in 0..25 {
        let author = &authors[i % authors.len()];
        let v1 = new_version("1.0.0", connector_source("T", &[("do_it", "Do it")]), None);
        let (listing, v1) =
            service(listings::create_listing(db, runner, author, catalog_listing(i), v1).await)?;
        if i == 0 {
            for minor in 1..6 {
                let mut version = new_version(
                    &format!("1.{minor}.0"),
                    connector_source("T", &[("do_it", "Do it")]),
                    None,
                );
                version.release_notes = "more".into();
                service(
                    listings::publish_version(db, runner, author, &listing.slug, version).await,
                )?;
            }
            let second = &authors[1].handle;
            service(listings::add_owner(db, author, &listing.slug, second).await)?;
        }
        let install = InstallEvent {
            connector_id: listing.id,
            version_id: v1.id,
            from_version_id: None,
            workspace_id: ws,
            user_id: None,
            kind: InstallKind::Install,
            at: Utc::now() - Duration::days(i as i64),
        };
        ledger::record(db, &install).await?;
    }
    Ok(())
}

/// The `i`th listing of the arranged catalog: `listing-00` to `listing-24`, in `cat-0` to `cat-2`.
fn catalog_listing(i: usize) -> NewListing {
    NewListing {
        slug: format!("listing-{i:02}"),
        name: format!("Listing {i}"),
        summary: "A listing".into(),
        description: String::new(),
        category: format!("cat-{}", i % 3),
        keywords: vec!["test".into()],
        visibility: Visibility::Public,
        source_hidden: false,
    }
}

async fn catalog_page_statements(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_catalog(&app).await?;
    let mut catalog_costs = Vec::new();
    for first in [1, 5, 20] {
        let before = app.sql_statements().await?;
        let data = app
            .data(None, CATALOG_PAGE, json!({ "first": first }))
            .await?;
        catalog_costs.push(app.sql_statements().await? - before);
        assert_eq!(
            data["connectors"]["edges"].as_array().map(Vec::len),
            Some(first)
        );
    }
    assert!(
        catalog_costs.windows(2).all(|w| w[0] == w[1]),
        "catalog page cost varies with page size: {catalog_costs:?}"
    );
    // The page, its total, owners, author totals, 30-day installs, latest versions, and (asked
    // for here) the latest versions' capabilities.
    assert!(
        catalog_costs[0] <= 7,
        "catalog page costs {} statements",
        catalog_costs[0]
    );
    app.stop().await
}
tests::on_both_backends!(
    a_catalog_page_costs_fixed_statements_whatever_its_size,
    super::catalog_page_statements
);

async fn listing_page_statements(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_catalog(&app).await?;
    let mut listing_costs = Vec::new();
    for versions in [1, 6] {
        let before = app.sql_statements().await?;
        let data = app
            .data(
                None,
                LISTING_PAGE,
                json!({ "slug": "listing-00", "versions": versions }),
            )
            .await?;
        listing_costs.push(app.sql_statements().await? - before);
        assert_eq!(
            data["connector"]["versions"]["edges"]
                .as_array()
                .map(Vec::len),
            Some(versions)
        );
    }
    assert_eq!(
        listing_costs[0], listing_costs[1],
        "listing page cost varies with versions shown: {listing_costs:?}"
    );
    // The listing, owners, author totals, latest version, the versions page with its total,
    // publishers, 30-day installs, the daily trend, adoption.
    assert!(
        listing_costs[0] <= 9,
        "listing page costs {} statements",
        listing_costs[0]
    );
    app.stop().await
}
tests::on_both_backends!(
    a_listing_page_costs_fixed_statements_whatever_versions_it_shows,
    super::listing_page_statements
);

/// An install and an uninstall cost a fixed, small number of statements: the ledger is one
/// statement on PostgreSQL and the duplicate check is the unique index, not a read.
async fn install_statements(backend: Backend) -> anyhow::Result<()> {
    use crate::fixtures::payload;
    use crate::lifecycle::{INSTALL, UNINSTALL, create_listing, create_workspace};

    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        "counted",
        "Counted",
        &connector_source("Counted", &[("send", "Send")]),
    )
    .await?;
    let mut costs = Vec::new();
    for ws in ["ws-1", "ws-2"] {
        create_workspace(&app, &admin, ws).await?;
        let before = app.sql_statements().await?;
        let body = app
            .graphql(
                Some(&admin),
                INSTALL,
                json!({ "input": { "workspace": ws, "connector": "counted" } }),
            )
            .await?;
        let installed = payload(&body, "installConnector")?;
        assert_eq!(installed["userErrors"], json!([]), "{body}");
        let install = app.sql_statements().await? - before;
        let before = app.sql_statements().await?;
        let body = app
            .graphql(
                Some(&admin),
                UNINSTALL,
                json!({ "input": { "workspaceConnectorId": installed["workspaceConnector"]["id"] } }),
            )
            .await?;
        assert_eq!(
            payload(&body, "uninstallWorkspaceConnector")?["userErrors"],
            json!([]),
            "{body}"
        );
        costs.push((install, app.sql_statements().await? - before));
    }
    assert_eq!(costs[0], costs[1], "installs cost the same each time");
    let (install, uninstall) = costs[0];
    // As measured when the ledger became one statement on PostgreSQL (13 for an install there;
    // SQLite spends four statements on the ledger instead of one): a guard against growth.
    let ledger_extra = if backend == Backend::Sqlite { 3 } else { 0 };
    assert!(
        install <= 13 + ledger_extra,
        "an install costs {install} statements"
    );
    assert!(
        uninstall <= 13 + ledger_extra,
        "an uninstall costs {uninstall} statements"
    );
    app.stop().await
}
tests::on_both_backends!(installs_cost_fixed_statements, super::install_statements);

/// A workspace of someone else and one that does not exist cost the same statements, so that
/// neither the answer nor the work behind it (its time) tells them apart.
async fn foreign_and_missing_cost_the_same(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let owner = app.user_with_token("owner").await?;
    let stranger = app.user_with_token("stranger").await?;
    let create = "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { userErrors { code } } }";
    let input =
        json!({ "input": { "slug": "theirs", "name": "Theirs", "environment": "DEVELOPMENT" } });
    app.data(Some(&owner), create, input).await?;
    let query = "query($ws: String!) { workspace(slug: $ws) { slug } }";
    let mut costs = Vec::new();
    for ws in ["theirs", "never-made"] {
        // Warm the token's last-used time first, so it is not written during the measurement.
        app.data(Some(&stranger), "{ viewer { user { handle } } }", json!({}))
            .await?;
        let before = app.sql_statements().await?;
        let body = app
            .graphql(Some(&stranger), query, json!({ "ws": ws }))
            .await?;
        assert_eq!(tests::error_code(&body), Some("NOT_FOUND"), "{body}");
        costs.push(app.sql_statements().await? - before);
    }
    assert_eq!(costs[0], costs[1], "foreign vs missing: {costs:?}");
    app.stop().await
}
tests::on_both_backends!(
    a_foreign_workspace_costs_what_a_missing_one_does,
    super::foreign_and_missing_cost_the_same
);
