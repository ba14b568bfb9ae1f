//! Install metrics and author records over HTTP, checked against figures this file computes on
//! its own: from the list of events it recorded, or from the raw `install_events` rows after the
//! demo seed.

use std::collections::{BTreeMap, HashMap};

use api::catalog::ledger::{self, InstallEvent, InstallKind};
use api::catalog::listings;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entities::{connector, connector_version, install_event, user, workspace};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tests::{Backend, TestApp};

use crate::fixtures::{connector_source, insert_workspace, new_listing, new_version, service};

const METRICS: &str = r#"
query($slug: String!) {
  connector(slug: $slug) {
    slug
    metrics {
      totalInstalls activeInstalls installsLast30Days
      dailyInstalls(days: 90) { date installs }
      adoption { version activeInstalls installs share }
    }
    versions(first: 50) { edges { node { version installs activeInstalls } } }
  }
}"#;

const AUTHOR: &str = r#"
query($slug: String!) {
  connector(slug: $slug) {
    owners { handle memberSince authorStats { connectorsPublished totalInstalls activeInstalls versionsPublished lastPublishedAt memberSince } }
  }
}"#;

/// What one listing's figures should be, computed from events alone.
#[derive(Debug, Default)]
struct Expected {
    total: i64,
    active: i64,
    last_30_days: i64,
    /// Installs per UTC day.
    per_day: BTreeMap<NaiveDate, i64>,
    /// Per version number: (installs that chose it, workspaces on it now).
    per_version: BTreeMap<String, (i64, i64)>,
}

/// One event as this file models it: `(kind, version, workspace, when)`; `version` is the one
/// installed, updated to, or held when uninstalled.
#[derive(Debug, Clone)]
struct Event {
    kind: InstallKind,
    version: String,
    workspace: i64,
    at: DateTime<Utc>,
}

/// Replay `events` (in order) the way a reader of the ledger would.
fn expected_from(events: &[Event], versions: &[String], today: NaiveDate) -> Expected {
    let mut out = Expected::default();
    for v in versions {
        out.per_version.insert(v.clone(), (0, 0));
    }
    let mut holding: HashMap<i64, String> = HashMap::new();
    for e in events {
        match e.kind {
            InstallKind::Install => {
                out.total += 1;
                *out.per_day.entry(e.at.date_naive()).or_default() += 1;
                if e.at.date_naive() >= today - Duration::days(29) {
                    out.last_30_days += 1;
                }
                out.per_version.entry(e.version.clone()).or_default().0 += 1;
                holding.insert(e.workspace, e.version.clone());
            }
            InstallKind::Update => {
                holding.insert(e.workspace, e.version.clone());
            }
            InstallKind::Uninstall => {
                holding.remove(&e.workspace);
            }
        }
    }
    out.active = holding.len() as i64;
    for version in holding.values() {
        out.per_version.entry(version.clone()).or_default().1 += 1;
    }
    out
}

/// Compare a listing's GraphQL figures with `expected`. `versions_newest_first` gives the
/// adoption order.
fn check_listing(
    listing: &Value,
    expected: &Expected,
    versions_newest_first: &[String],
    today: NaiveDate,
) -> anyhow::Result<()> {
    let slug = listing["slug"].as_str().unwrap_or_default().to_owned();
    let m = &listing["metrics"];
    assert_eq!(m["totalInstalls"], expected.total, "{slug}: totalInstalls");
    assert_eq!(
        m["activeInstalls"], expected.active,
        "{slug}: activeInstalls"
    );
    assert_eq!(
        m["installsLast30Days"], expected.last_30_days,
        "{slug}: installsLast30Days"
    );

    let daily = m["dailyInstalls"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("{slug}: no dailyInstalls"))?;
    assert_eq!(daily.len(), 90, "{slug}: dailyInstalls length");
    let want_daily: Vec<Value> = (0..90)
        .map(|i| {
            let day = today - Duration::days(89 - i);
            json!({
                "date": day.format("%Y-%m-%d").to_string(),
                "installs": expected.per_day.get(&day).copied().unwrap_or(0),
            })
        })
        .collect();
    assert_eq!(daily, &want_daily, "{slug}: dailyInstalls");

    let adoption = m["adoption"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("{slug}: no adoption"))?;
    let order: Vec<&str> = adoption
        .iter()
        .filter_map(|a| a["version"].as_str())
        .collect();
    assert_eq!(order, versions_newest_first, "{slug}: adoption order");
    for row in adoption {
        let version = row["version"].as_str().unwrap_or_default();
        let (installs, active) = expected.per_version.get(version).copied().unwrap_or((0, 0));
        assert_eq!(
            row["activeInstalls"], active,
            "{slug} {version}: adoption activeInstalls"
        );
        assert_eq!(
            row["installs"], installs,
            "{slug} {version}: adoption installs"
        );
        let share = row["share"].as_f64().unwrap_or(-1.0);
        let want = if expected.active > 0 {
            active as f64 / expected.active as f64
        } else {
            0.0
        };
        assert!(
            (share - want).abs() < 1e-9,
            "{slug} {version}: share {share}, want {want}"
        );
    }
    for edge in listing["versions"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let node = &edge["node"];
        let version = node["version"].as_str().unwrap_or_default();
        let (installs, active) = expected.per_version.get(version).copied().unwrap_or((0, 0));
        assert_eq!(
            node["installs"], installs,
            "{slug} {version}: version installs"
        );
        assert_eq!(
            node["activeInstalls"], active,
            "{slug} {version}: version activeInstalls"
        );
    }
    Ok(())
}

fn time(value: &Value) -> anyhow::Result<DateTime<Utc>> {
    let text = value
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("not a timestamp: {value}"))?;
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

/// One recorded event: (listing, kind, version, from version, workspace index, days ago).
type Step = (
    &'static str,
    InstallKind,
    &'static str,
    Option<&'static str>,
    usize,
    i64,
);

/// A precise history over three listings, two authors and eight workspaces.
async fn arranged_history(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let db = app.conn()?;
    let now = Utc::now();
    // Whole seconds, so that every stored timestamp compares exactly.
    let t = Utc
        .timestamp_opt(now.timestamp(), 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("bad timestamp"))?;
    let ago = |days: i64| t - Duration::days(days);

    let ada_joined = Utc
        .with_ymd_and_hms(2025, 3, 1, 9, 30, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("bad date"))?;
    let bob_joined = Utc
        .with_ymd_and_hms(2025, 6, 15, 12, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("bad date"))?;
    let ada =
        service(api::auth::create_user(db, "ada", "Ada", "ada@example.test", ada_joined).await)?;
    let bob =
        service(api::auth::create_user(db, "bob", "Bob", "bob@example.test", bob_joined).await)?;

    // Publications: (listing, version, publisher, days ago). The first of each listing creates it.
    let source = connector_source("Metered", &[("ping", "Ping")]);
    let publications: [(&str, &str, &user::Model, i64); 6] = [
        ("metered", "1.0.0", &ada, 120),
        ("metered", "1.1.0", &ada, 60),
        ("metered", "2.0.0", &ada, 20),
        ("second", "1.0.0", &ada, 50),
        ("shared", "1.0.0", &bob, 200),
        ("shared", "1.1.0", &ada, 3),
    ];
    let mut listing_ids: HashMap<&str, i64> = HashMap::new();
    let mut version_ids: HashMap<(&str, &str), i64> = HashMap::new();
    for (slug, version, publisher, days) in publications {
        let new = new_version(version, source.clone(), Some(ago(days)));
        let created = match listing_ids.get(slug) {
            Some(_) => service(listings::publish_version(db, publisher, slug, new).await)?,
            None => {
                let (listing, v) = service(
                    listings::create_listing(
                        db,
                        publisher,
                        new_listing(slug, slug, "utilities"),
                        new,
                    )
                    .await,
                )?;
                listing_ids.insert(slug, listing.id);
                if slug == "shared" {
                    service(listings::add_owner(db, &bob, slug, "ada").await)?;
                }
                v
            }
        };
        version_ids.insert((slug, version), created.id);
    }
    let owners: [(&str, &[&str]); 3] = [
        ("metered", &["ada"]),
        ("second", &["ada"]),
        ("shared", &["bob", "ada"]),
    ];

    let mut ws = Vec::new();
    for i in 1..=8 {
        ws.push(insert_workspace(db, &format!("w{i}")).await?);
    }
    use InstallKind::{Install, Uninstall, Update};
    // In the order they happened.
    let history: Vec<Step> = vec![
        ("metered", Install, "1.0.0", None, 0, 100),
        ("metered", Install, "1.0.0", None, 1, 90),
        ("metered", Install, "1.0.0", None, 2, 89),
        ("metered", Install, "1.0.0", None, 3, 45),
        ("metered", Update, "1.1.0", Some("1.0.0"), 0, 45),
        ("metered", Uninstall, "1.0.0", None, 1, 45),
        ("metered", Install, "1.1.0", None, 4, 30),
        ("metered", Install, "1.1.0", None, 5, 29),
        ("metered", Install, "1.1.0", None, 1, 10),
        ("metered", Update, "1.1.0", Some("1.0.0"), 2, 10),
        ("metered", Update, "2.0.0", Some("1.0.0"), 3, 10),
        ("metered", Install, "2.0.0", None, 6, 0),
        ("metered", Install, "2.0.0", None, 7, 0),
        ("metered", Uninstall, "1.1.0", None, 4, 0),
        ("metered", Update, "2.0.0", Some("1.1.0"), 0, 0),
        ("second", Install, "1.0.0", None, 1, 100),
        ("second", Uninstall, "1.0.0", None, 1, 45),
        ("second", Install, "1.0.0", None, 2, 10),
        ("second", Install, "1.0.0", None, 0, 0),
        ("shared", Install, "1.0.0", None, 3, 45),
        ("shared", Install, "1.0.0", None, 4, 29),
        ("shared", Update, "1.1.0", Some("1.0.0"), 3, 0),
        ("shared", Install, "1.1.0", None, 5, 0),
    ];
    let mut events: HashMap<&str, Vec<Event>> = HashMap::new();
    for (slug, kind, version, from, w, days) in history {
        let at = ago(days);
        ledger::record(
            db,
            &InstallEvent {
                connector_id: listing_ids[slug],
                version_id: version_ids[&(slug, version)],
                from_version_id: from.map(|f| version_ids[&(slug, f)]),
                workspace_id: ws[w],
                user_id: None,
                kind,
                at,
            },
        )
        .await?;
        events.entry(slug).or_default().push(Event {
            kind,
            version: version.to_owned(),
            workspace: ws[w],
            at,
        });
    }

    let today = Utc::now().date_naive();
    let mut expected: HashMap<&str, Expected> = HashMap::new();
    for (slug, _) in owners {
        let versions: Vec<String> = publications
            .iter()
            .filter(|p| p.0 == slug)
            .map(|p| p.1.to_owned())
            .collect();
        let mut newest_first = versions.clone();
        newest_first.reverse();
        let e = expected_from(
            events.get(slug).map(Vec::as_slice).unwrap_or(&[]),
            &versions,
            today,
        );
        let data = app.data(None, METRICS, json!({ "slug": slug })).await?;
        check_listing(&data["connector"], &e, &newest_first, today)?;
        expected.insert(slug, e);
    }
    // Spot checks of the model itself, so that a mistake there cannot hide one in the server.
    let metered = &expected["metered"];
    assert_eq!(
        (metered.total, metered.active, metered.last_30_days),
        (9, 7, 4)
    );
    assert_eq!(metered.per_version["2.0.0"], (2, 4));
    assert_eq!(metered.per_version["1.1.0"], (3, 3));
    assert_eq!(metered.per_version["1.0.0"], (4, 0));

    // Shorter and longer windows.
    for days in [1_i64, 7, 365] {
        let data = app
            .data(
                None,
                "query($d: Int!) { connector(slug: \"metered\") { metrics { dailyInstalls(days: $d) { date installs } } } }",
                json!({ "d": days }),
            )
            .await?;
        let daily = data["connector"]["metrics"]["dailyInstalls"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(daily.len() as i64, days);
        assert_eq!(
            daily.last().map(|d| d["date"].clone()),
            Some(json!(today.format("%Y-%m-%d").to_string()))
        );
        let sum: i64 = daily.iter().filter_map(|d| d["installs"].as_i64()).sum();
        let want: i64 = metered
            .per_day
            .iter()
            .filter(|(day, _)| **day > today - Duration::days(days))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(sum, want, "dailyInstalls(days: {days})");
    }

    // The catalog page shows the same figures (batched), ordered by installs.
    let page = app
        .data(
            None,
            "{ connectors(first: 10, sort: INSTALLS) { nodes { slug metrics { totalInstalls activeInstalls installsLast30Days } } } }",
            json!({}),
        )
        .await?;
    let mut want_order: Vec<(&str, i64, i64)> = owners
        .iter()
        .map(|(slug, _)| (*slug, expected[slug].total, listing_ids[slug]))
        .collect();
    want_order.sort_by_key(|(_, total, id)| (-total, *id));
    let nodes = page["connectors"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let got_order: Vec<&str> = nodes.iter().filter_map(|n| n["slug"].as_str()).collect();
    let want_slugs: Vec<&str> = want_order.iter().map(|w| w.0).collect();
    assert_eq!(got_order, want_slugs);
    for node in &nodes {
        let slug = node["slug"].as_str().unwrap_or_default();
        let e = &expected[slug];
        assert_eq!(
            node["metrics"],
            json!({ "totalInstalls": e.total, "activeInstalls": e.active, "installsLast30Days": e.last_30_days }),
            "{slug} on the catalog page"
        );
    }

    // Author records: owned listings (co-owned included), their installs, what they published.
    for (handle, joined) in [("ada", ada_joined), ("bob", bob_joined)] {
        let owned: Vec<&str> = owners
            .iter()
            .filter(|(_, hs)| hs.contains(&handle))
            .map(|(slug, _)| *slug)
            .collect();
        let published: Vec<&(&str, &str, &user::Model, i64)> = publications
            .iter()
            .filter(|p| p.2.handle == handle)
            .collect();
        let last = published.iter().map(|p| ago(p.3)).max();
        let want_total: i64 = owned.iter().map(|s| expected[s].total).sum();
        let want_active: i64 = owned.iter().map(|s| expected[s].active).sum();

        let data = app.data(None, AUTHOR, json!({ "slug": "shared" })).await?;
        let owner = data["connector"]["owners"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["handle"] == handle)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("{handle} is not an owner of shared: {data}"))?;
        let stats = &owner["authorStats"];
        assert_eq!(stats["connectorsPublished"], owned.len() as i64, "{handle}");
        assert_eq!(stats["totalInstalls"], want_total, "{handle}");
        assert_eq!(stats["activeInstalls"], want_active, "{handle}");
        assert_eq!(
            stats["versionsPublished"],
            published.len() as i64,
            "{handle}"
        );
        assert_eq!(
            Some(time(&stats["lastPublishedAt"])?),
            last,
            "{handle}: lastPublishedAt"
        );
        assert_eq!(
            time(&stats["memberSince"])?,
            joined,
            "{handle}: memberSince"
        );
        assert_eq!(
            time(&owner["memberSince"])?,
            joined,
            "{handle}: User.memberSince"
        );
    }
    // The figures the loop compared, written out.
    let ada_stats = app.data(None, AUTHOR, json!({ "slug": "metered" })).await?;
    let stats = &ada_stats["connector"]["owners"][0]["authorStats"];
    assert_eq!(stats["connectorsPublished"], 3);
    assert_eq!(stats["totalInstalls"], 9 + 3 + 3);
    assert_eq!(stats["activeInstalls"], 7 + 2 + 3);
    assert_eq!(stats["versionsPublished"], 5);
    app.stop().await
}
tests::on_both_backends!(metrics_follow_the_install_history, super::arranged_history);

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
    let first = api::seed::seed_demo(app.conn()?).await?;

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
            "{ connectors(first: 50, includeDeprecated: true) { totalCount nodes { slug metrics { totalInstalls activeInstalls installsLast30Days } } } }",
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
            json!({ "totalInstalls": e.total, "activeInstalls": e.active, "installsLast30Days": e.last_30_days }),
            "{slug} on the catalog page"
        );
    }

    // Again: nothing new, nothing changed.
    let second = api::seed::seed_demo(app.conn()?).await?;
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
