//! A precise history over three listings, two authors and eight workspaces, recorded through the
//! ledger: every figure the server shows of it — per listing, per day, on the catalog page and in
//! the author records — is the one this file computes from the same events.

use entities::user;

use super::*;

/// When the authors joined.
const ADA_JOINED: (i32, u32, u32, u32, u32) = (2025, 3, 1, 9, 30);
const BOB_JOINED: (i32, u32, u32, u32, u32) = (2025, 6, 15, 12, 0);

/// Publications: (listing, version, publisher, days ago). The first of each listing creates it;
/// bob then makes ada a co-owner of `shared`.
const PUBLICATIONS: [(&str, &str, &str, i64); 6] = [
    ("metered", "1.0.0", "ada", 120),
    ("metered", "1.1.0", "ada", 60),
    ("metered", "2.0.0", "ada", 20),
    ("second", "1.0.0", "ada", 50),
    ("shared", "1.0.0", "bob", 200),
    ("shared", "1.1.0", "ada", 3),
];

/// Every listing and its owners.
const OWNERS: [(&str, &[&str]); 3] = [
    ("metered", &["ada"]),
    ("second", &["ada"]),
    ("shared", &["bob", "ada"]),
];

/// One recorded event: (listing, kind, version, from version, workspace index, days ago).
type Step = (
    &'static str,
    InstallKind,
    &'static str,
    Option<&'static str>,
    usize,
    i64,
);

use InstallKind::{Install, Uninstall, Update};

/// The install history, in the order it happened, over workspaces `w1`…`w8` (indexes 0…7).
const HISTORY: [Step; 23] = [
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

/// The arranged history: when it was recorded, the listings' ids, and what each listing's
/// figures should be.
struct History {
    /// Now, in whole seconds, so that every stored timestamp compares exactly.
    t: DateTime<Utc>,
    today: NaiveDate,
    listing_ids: HashMap<&'static str, i64>,
    expected: HashMap<&'static str, Expected>,
}

impl History {
    fn ago(&self, days: i64) -> DateTime<Utc> {
        self.t - Duration::days(days)
    }
}

fn utc(
    (year, month, day, hour, minute): (i32, u32, u32, u32, u32),
) -> anyhow::Result<DateTime<Utc>> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("bad date"))
}

/// Ada and bob, joined at `ADA_JOINED` and `BOB_JOINED`.
async fn arrange_authors(db: &sea_orm::DatabaseConnection) -> anyhow::Result<[user::Model; 2]> {
    let ada = api::auth::create_user(db, "ada", "Ada", "ada@example.test", utc(ADA_JOINED)?);
    let ada = service(ada.await)?;
    let bob = api::auth::create_user(db, "bob", "Bob", "bob@example.test", utc(BOB_JOINED)?);
    let bob = service(bob.await)?;
    Ok([ada, bob])
}

/// The listing and version ids of `PUBLICATIONS`, published `ago` their days.
type Published = (
    HashMap<&'static str, i64>,
    HashMap<(&'static str, &'static str), i64>,
);

async fn arrange_publications(
    db: &sea_orm::DatabaseConnection,
    runner: &api::debugger::Runner,
    authors: &[user::Model; 2],
    ago: impl Fn(i64) -> DateTime<Utc>,
) -> anyhow::Result<Published> {
    let source = connector_source("Metered", &[("ping", "Ping")]);
    let (mut listing_ids, mut version_ids) = Published::default();
    for (slug, version, handle, days) in PUBLICATIONS {
        let publisher = authors
            .iter()
            .find(|a| a.handle == handle)
            .ok_or_else(|| anyhow::anyhow!("no author {handle}"))?;
        let new = new_version(version, source.clone(), Some(ago(days)));
        let created = if listing_ids.contains_key(slug) {
            service(listings::publish_version(db, runner, publisher, slug, new).await)?
        } else {
            let listing = new_listing(slug, slug, "utilities");
            let (listing, v) =
                service(listings::create_listing(db, runner, publisher, listing, new).await)?;
            listing_ids.insert(slug, listing.id);
            if slug == "shared" {
                service(listings::add_owner(db, publisher, slug, "ada").await)?;
            }
            v
        };
        version_ids.insert((slug, version), created.id);
    }
    Ok((listing_ids, version_ids))
}

/// Workspaces `w1`…`w8` and `HISTORY` recorded in the ledger; the events of each listing, as
/// this file models them.
async fn record_history(
    db: &sea_orm::DatabaseConnection,
    (listing_ids, version_ids): &Published,
    ago: impl Fn(i64) -> DateTime<Utc>,
) -> anyhow::Result<HashMap<&'static str, Vec<Event>>> {
    let mut ws = Vec::new();
    for i in 1..=8 {
        ws.push(insert_workspace(db, &format!("w{i}")).await?);
    }
    let mut events: HashMap<&str, Vec<Event>> = HashMap::new();
    for (slug, kind, version, from, w, days) in HISTORY {
        let at = ago(days);
        let event = InstallEvent {
            connector_id: listing_ids[slug],
            version_id: version_ids[&(slug, version)],
            from_version_id: from.map(|f| version_ids[&(slug, f)]),
            workspace_id: ws[w],
            user_id: None,
            kind,
            at,
        };
        ledger::record(db, &event).await?;
        events.entry(slug).or_default().push(Event {
            kind,
            version: version.to_owned(),
            workspace: ws[w],
            at,
        });
    }
    Ok(events)
}

/// The version numbers of `slug`, oldest first.
fn versions_of(slug: &str) -> Vec<String> {
    PUBLICATIONS
        .iter()
        .filter(|p| p.0 == slug)
        .map(|p| p.1.to_owned())
        .collect()
}

/// The authors, their publications and the install history, with the figures expected of it.
async fn arrange_history(app: &TestApp) -> anyhow::Result<History> {
    let db = app.conn()?;
    let now = Utc::now();
    let t = Utc
        .timestamp_opt(now.timestamp(), 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("bad timestamp"))?;
    let ago = |days: i64| t - Duration::days(days);
    let authors = arrange_authors(db).await?;
    let published = arrange_publications(db, app.runner()?, &authors, ago).await?;
    let events = record_history(db, &published, ago).await?;
    let today = Utc::now().date_naive();
    let expected = OWNERS
        .iter()
        .map(|(slug, _)| {
            let events = events.get(slug).map(Vec::as_slice).unwrap_or(&[]);
            (*slug, expected_from(events, &versions_of(slug), today))
        })
        .collect();
    Ok(History {
        t,
        today,
        listing_ids: published.0,
        expected,
    })
}

async fn per_listing(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let h = arrange_history(&app).await?;
    for (slug, _) in OWNERS {
        let mut newest_first = versions_of(slug);
        newest_first.reverse();
        let data = app.data(None, METRICS, json!({ "slug": slug })).await?;
        check_listing(
            &data["connector"],
            &h.expected[slug],
            &newest_first,
            h.today,
        )?;
    }
    // Spot checks of the model itself, so that a mistake there cannot hide one in the server.
    let metered = &h.expected["metered"];
    assert_eq!(
        (metered.total, metered.active, metered.last_30_days),
        (9, 7, 4)
    );
    assert_eq!(metered.per_version["2.0.0"], (2, 4));
    assert_eq!(metered.per_version["1.1.0"], (3, 3));
    assert_eq!(metered.per_version["1.0.0"], (4, 0));
    app.stop().await
}
tests::on_both_backends!(metrics_follow_the_install_history, super::per_listing);

async fn windows(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let h = arrange_history(&app).await?;
    let (metered, today) = (&h.expected["metered"], h.today);
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
    app.stop().await
}
tests::on_both_backends!(
    daily_installs_cover_a_window_of_any_length_up_to_today,
    super::windows
);

async fn catalog_page(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let h = arrange_history(&app).await?;
    let query = format!(
        "{{ connectors(first: 10, sort: INSTALLS) {{ nodes {{ slug {PAGE_METRICS} }} }} }}"
    );
    let page = app.data(None, &query, json!({})).await?;
    let mut want_order: Vec<(&str, i64, i64)> = OWNERS
        .iter()
        .map(|(slug, _)| (*slug, h.expected[slug].total, h.listing_ids[slug]))
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
        assert_eq!(
            node["metrics"],
            h.expected[slug].on_the_page(),
            "{slug} on the catalog page"
        );
    }
    app.stop().await
}
tests::on_both_backends!(
    the_catalog_page_shows_the_same_figures_most_installed_first,
    super::catalog_page
);

const AUTHOR: &str = r#"
query($slug: String!) {
  connector(slug: $slug) {
    owners { handle memberSince authorStats { connectorsPublished totalInstalls activeInstalls versionsPublished lastPublishedAt memberSince } }
  }
}"#;

/// `handle`'s record, as an owner of `shared`, against the history: owned listings (co-owned
/// included), their installs, what they published, when they joined.
async fn check_author(app: &TestApp, h: &History, handle: &str) -> anyhow::Result<()> {
    let joined = utc(if handle == "ada" {
        ADA_JOINED
    } else {
        BOB_JOINED
    })?;
    let owned: Vec<&str> = OWNERS
        .iter()
        .filter(|(_, hs)| hs.contains(&handle))
        .map(|(slug, _)| *slug)
        .collect();
    let published: Vec<_> = PUBLICATIONS.iter().filter(|p| p.2 == handle).collect();
    let last = published.iter().map(|p| h.ago(p.3)).max();
    let want_total: i64 = owned.iter().map(|s| h.expected[s].total).sum();
    let want_active: i64 = owned.iter().map(|s| h.expected[s].active).sum();

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
        Some(timestamp(&stats["lastPublishedAt"])?),
        last,
        "{handle}: lastPublishedAt"
    );
    assert_eq!(
        timestamp(&stats["memberSince"])?,
        joined,
        "{handle}: memberSince"
    );
    assert_eq!(
        timestamp(&owner["memberSince"])?,
        joined,
        "{handle}: User.memberSince"
    );
    Ok(())
}

async fn author_records(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let h = arrange_history(&app).await?;
    for handle in ["ada", "bob"] {
        check_author(&app, &h, handle).await?;
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
tests::on_both_backends!(
    an_author_record_adds_up_the_listings_they_own_and_what_they_published,
    super::author_records
);
