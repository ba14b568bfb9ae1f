//! The demo seed's figures are arithmetic over its raw events; seeding twice adds nothing.

use entities::{connector, connector_version, install_event, user, workspace};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::*;

/// Everything the seed wrote, by listing, recomputed from raw rows.
async fn from_raw_events(app: &TestApp) -> anyhow::Result<Vec<(String, Expected, Vec<String>)>> {
    let db = app.conn()?;
    let today = Utc::now().date_naive();
    let listings = connector::Entity::find()
        .order_by_asc(connector::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for listing in listings {
        let versions = connector_version::Entity::find()
            .filter(connector_version::Column::ConnectorId.eq(listing.id))
            .order_by_asc(connector_version::Column::Id)
            .all(db)
            .await?;
        let number: HashMap<i64, String> =
            versions.iter().map(|v| (v.id, v.version.clone())).collect();
        let rows = install_event::Entity::find()
            .filter(install_event::Column::ConnectorId.eq(listing.id))
            .order_by_asc(install_event::Column::At)
            .order_by_asc(install_event::Column::Id)
            .all(db)
            .await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let kind = match row.kind.as_str() {
                "install" => InstallKind::Install,
                "uninstall" => InstallKind::Uninstall,
                "update" => InstallKind::Update,
                other => anyhow::bail!("unknown event kind {other:?}"),
            };
            let version = number
                .get(&row.version_id)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("event {} names a foreign version", row.id))?;
            events.push(Event {
                kind,
                version,
                workspace: row.workspace_id,
                at: row.at,
            });
        }
        let all: Vec<String> = versions.iter().map(|v| v.version.clone()).collect();
        let mut newest_first = all.clone();
        newest_first.reverse();
        out.push((
            listing.slug,
            expected_from(&events, &all, today),
            newest_first,
        ));
    }
    Ok(out)
}

/// Raw row counts: (users, workspaces, listings, versions, install events).
async fn row_counts(app: &TestApp) -> anyhow::Result<[u64; 5]> {
    let db = app.conn()?;
    Ok([
        user::Entity::find().count(db).await?,
        workspace::Entity::find().count(db).await?,
        connector::Entity::find().count(db).await?,
        connector_version::Entity::find().count(db).await?,
        install_event::Entity::find().count(db).await?,
    ])
}

/// The demo seed's figures are arithmetic over its raw events; seeding twice adds nothing.
async fn seeded_figures(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let first = api::seed::seed_demo(app.conn()?, app.runner()?).await?;

    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/connectors");
    let listing_dirs = std::fs::read_dir(examples)?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .count();
    let authors: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(format!(
        "{examples}/authors.json"
    ))?)?;
    let [users, workspaces, listings, versions, events] = row_counts(&app).await?;
    assert_eq!(first.authors_created, authors.len());
    assert_eq!(users as usize, authors.len());
    assert_eq!(first.listings_created, listing_dirs);
    assert_eq!(listings as usize, listing_dirs);
    assert_eq!(first.versions_published as u64, versions);
    assert_eq!(first.workspaces_created as u64, workspaces);
    assert_eq!(first.install_events as u64, events);
    assert!(events > 0, "the seed wrote no history");

    let today = Utc::now().date_naive();
    let expected = from_raw_events(&app).await?;
    assert_eq!(expected.len(), listing_dirs);
    let mut before = Vec::new();
    for (slug, e, newest_first) in &expected {
        let data = app.data(None, METRICS, json!({ "slug": slug })).await?;
        check_listing(&data["connector"], e, newest_first, today)?;
        before.push(data);
    }
    // The catalog page's batched figures agree too.
    let page = app
        .data(
            None,
            &format!("{{ connectors(first: 50, includeDeprecated: true) {{ totalCount nodes {{ slug {PAGE_METRICS} }} }} }}"),
            json!({}),
        )
        .await?;
    assert_eq!(page["connectors"]["totalCount"], listing_dirs);
    for node in page["connectors"]["nodes"].as_array().into_iter().flatten() {
        let slug = node["slug"].as_str().unwrap_or_default();
        let (_, e, _) = expected
            .iter()
            .find(|(s, _, _)| s == slug)
            .ok_or_else(|| anyhow::anyhow!("unexpected listing {slug}"))?;
        assert_eq!(
            node["metrics"],
            e.on_the_page(),
            "{slug} on the catalog page"
        );
    }

    // Again: nothing new, nothing changed.
    let second = api::seed::seed_demo(app.conn()?, app.runner()?).await?;
    assert_eq!(second, api::seed::SeedReport::default());
    assert_eq!(
        row_counts(&app).await?,
        [users, workspaces, listings, versions, events]
    );
    for ((slug, _, _), was) in expected.iter().zip(&before) {
        let now = app.data(None, METRICS, json!({ "slug": slug })).await?;
        assert_eq!(&now, was, "{slug} changed after seeding again");
    }
    app.stop().await
}
tests::on_both_backends!(
    seeded_figures_match_raw_events_and_seeding_is_idempotent,
    super::seeded_figures
);
