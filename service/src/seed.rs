//! The demo catalog: the example connectors under `examples/connectors/`, their authors, a set of
//! demo workspaces and a year of install history, all written through the same services and
//! ledger as real use — so every number a newcomer sees is arithmetic over real rows.
//!
//! Idempotent: authors, listings, versions and workspaces that exist are left alone, and history
//! is generated only for listings created by this run.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entities::{
    connector, connector_version, user, workspace, workspace_connector, workspace_connector_version,
};
use include_dir::{Dir, include_dir};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Deserialize;

use crate::auth;
use crate::catalog::ledger::{self, InstallEvent, InstallKind};
use crate::catalog::{NewListing, NewVersion, Visibility, listings};
use crate::db;
use crate::debugger::Runner;
use crate::error::ServiceError;

static EXAMPLES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../examples/connectors");

/// How many demo workspaces install the demo listings.
const DEMO_WORKSPACES: usize = 240;

#[derive(Debug, Deserialize)]
struct Author {
    handle: String,
    name: String,
    email: String,
    joined: NaiveDate,
}

#[derive(Debug, Deserialize)]
struct Listing {
    slug: String,
    name: String,
    summary: String,
    category: String,
    keywords: Vec<String>,
    owners: Vec<String>,
    #[serde(default)]
    source_hidden: bool,
    versions: Vec<ListingVersion>,
}

#[derive(Debug, Deserialize)]
struct ListingVersion {
    version: String,
    published: NaiveDate,
    #[serde(default)]
    notes: String,
    breaking: Option<String>,
}

/// What a seed run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub authors_created: usize,
    pub listings_created: usize,
    pub versions_published: usize,
    pub workspaces_created: usize,
    pub install_events: usize,
}

/// The source of an example's version: `versions/<version>.js`.
pub fn version_source(slug: &str, version: &str) -> anyhow::Result<&'static str> {
    file_text(&format!("{slug}/versions/{version}.js"))
}

fn file_text(path: &str) -> anyhow::Result<&'static str> {
    EXAMPLES
        .get_file(path)
        .and_then(|f| f.contents_utf8())
        .with_context(|| format!("examples/connectors/{path} is missing or not UTF-8"))
}

fn midday(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(12, 0, 0).unwrap_or_default())
}

/// Load the demo catalog into `db`; `runner` parses each version's source as a publish does.
pub async fn seed_demo(db: &DatabaseConnection, runner: &Runner) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    let authors: Vec<Author> = serde_json::from_str(file_text("authors.json")?)
        .context("parsing examples/connectors/authors.json")?;
    let mut users: HashMap<String, user::Model> = HashMap::new();
    for author in authors {
        let user = match auth::find_user(db, &author.handle).await {
            Ok(user) => user,
            Err(ServiceError::NotFound(_)) => {
                report.authors_created += 1;
                auth::create_user(
                    db,
                    &author.handle,
                    &author.name,
                    &author.email,
                    midday(author.joined),
                )
                .await
                .map_err(|e| {
                    e.into_anyhow()
                        .context(format!("creating demo author {}", author.handle))
                })?
            }
            Err(other) => return Err(other.into_anyhow()),
        };
        users.insert(author.handle, user);
    }
    let workspaces = ensure_workspaces(db, &mut report).await?;

    let mut dirs: Vec<&Dir<'_>> = EXAMPLES.dirs().collect();
    dirs.sort_by_key(|d| d.path().to_path_buf());
    for (rank, dir) in dirs.into_iter().enumerate() {
        let slug = dir.path().display().to_string();
        let listing: Listing = serde_json::from_str(file_text(&format!("{slug}/listing.json"))?)
            .with_context(|| format!("parsing {slug}/listing.json"))?;
        let created = seed_listing(db, runner, &listing, &users, &mut report).await?;
        if created {
            report.install_events += seed_history(db, &listing.slug, rank, &workspaces).await?;
        }
    }
    Ok(report)
}

async fn ensure_workspaces(
    db: &DatabaseConnection,
    report: &mut SeedReport,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(DEMO_WORKSPACES);
    let txn = db::begin_write(db).await?;
    for i in 1..=DEMO_WORKSPACES {
        let slug = format!("demo-{i:03}");
        let existing = workspace::Entity::find()
            .filter(workspace::Column::Slug.eq(&slug))
            .one(&txn)
            .await?;
        let id = match existing {
            Some(ws) => ws.id,
            None => {
                report.workspaces_created += 1;
                let environment = ["development", "test", "production"][i % 3];
                workspace::ActiveModel {
                    slug: Set(slug),
                    name: Set(format!("Demo workspace {i:03}")),
                    environment: Set(environment.to_owned()),
                    created_at: Set(Utc::now() - Duration::days(400)),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
                .id
            }
        };
        ids.push(id);
    }
    txn.commit().await?;
    Ok(ids)
}

/// Create the listing and publish its versions; returns whether the listing is new.
async fn seed_listing(
    db: &DatabaseConnection,
    runner: &Runner,
    listing: &Listing,
    users: &HashMap<String, user::Model>,
    report: &mut SeedReport,
) -> anyhow::Result<bool> {
    let owner_of = |handle: &String| {
        users
            .get(handle)
            .with_context(|| format!("{}: owner {handle} is not in authors.json", listing.slug))
    };
    let first_owner = owner_of(listing.owners.first().context("a listing needs an owner")?)?;
    let description = file_text(&format!("{}/README.md", listing.slug)).unwrap_or_default();
    let version_of = |v: &ListingVersion| -> anyhow::Result<NewVersion> {
        Ok(NewVersion {
            version: v.version.clone(),
            source: version_source(&listing.slug, &v.version)?.to_owned(),
            release_notes: v.notes.clone(),
            breaking: v.breaking.clone(),
            published_at: Some(midday(v.published)),
        })
    };
    let service = |e: ServiceError| e.into_anyhow().context(format!("seeding {}", listing.slug));

    let existing = listings::find_by_slug(db, &listing.slug).await;
    let (created, published): (bool, Vec<String>) = match existing {
        Ok(found) => {
            let versions: Vec<String> = connector_version::Entity::find()
                .filter(connector_version::Column::ConnectorId.eq(found.id))
                .all(db)
                .await?
                .into_iter()
                .map(|v| v.version)
                .collect();
            (false, versions)
        }
        Err(ServiceError::NotFound(_)) => {
            let first = listing
                .versions
                .first()
                .context("a listing needs a version")?;
            let new = NewListing {
                slug: listing.slug.clone(),
                name: listing.name.clone(),
                summary: listing.summary.clone(),
                description: description.to_owned(),
                category: listing.category.clone(),
                keywords: listing.keywords.clone(),
                visibility: Visibility::Public,
                source_hidden: listing.source_hidden,
            };
            listings::create_listing(db, runner, first_owner, new, version_of(first)?)
                .await
                .map_err(service)?;
            report.listings_created += 1;
            report.versions_published += 1;
            for handle in listing.owners.iter().skip(1) {
                listings::add_owner(db, first_owner, &listing.slug, &owner_of(handle)?.handle)
                    .await
                    .map_err(service)?;
            }
            (true, vec![first.version.clone()])
        }
        Err(other) => return Err(service(other)),
    };
    for version in &listing.versions {
        if published.contains(&version.version) {
            continue;
        }
        listings::publish_version(db, runner, first_owner, &listing.slug, version_of(version)?)
            .await
            .map_err(service)?;
        report.versions_published += 1;
    }
    Ok(created)
}

/// One step of a simulated install history: what workspace `ws` does with a listing when
/// `available` is the index of its newest version and `held` says which version each workspace
/// holds. It installs when it holds none, updates (7 times in 10) when it holds an older one,
/// otherwise uninstalls (3 times in 10) or does nothing (`None`). Returns the kind, the version's
/// index and the index it updates from. The demo seed and the bench crate's scale seed both
/// simulate with it.
pub fn next_install_step<K: std::hash::Hash + Eq>(
    rng: &mut impl Rng,
    held: &mut HashMap<K, usize>,
    ws: K,
    available: usize,
) -> Option<(InstallKind, usize, Option<usize>)> {
    match held.get(&ws).copied() {
        None => {
            held.insert(ws, available);
            Some((InstallKind::Install, available, None))
        }
        Some(current) if current < available && rng.random_bool(0.7) => {
            held.insert(ws, available);
            Some((InstallKind::Update, available, Some(current)))
        }
        Some(current) if rng.random_bool(0.3) => {
            held.remove(&ws);
            Some((InstallKind::Uninstall, current, None))
        }
        Some(_) => None,
    }
}

/// A year of plausible install history for one listing: growth towards the present, a long tail
/// across listings (`rank`), some uninstalls, and updates to newer versions as they appear.
/// Deterministic for a given slug and rank.
async fn seed_history(
    db: &DatabaseConnection,
    slug: &str,
    rank: usize,
    workspaces: &[i64],
) -> anyhow::Result<usize> {
    let listing = listings::find_by_slug(db, slug)
        .await
        .map_err(ServiceError::into_anyhow)?;
    let versions = connector_version::Entity::find()
        .filter(connector_version::Column::ConnectorId.eq(listing.id))
        .order_by_asc(connector_version::Column::Id)
        .all(db)
        .await?;
    let Some(first) = versions.first() else {
        return Ok(0);
    };
    let seed = slug.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Utc::now();
    let start = first.published_at.max(now - Duration::days(365));
    let times = attempt_times(&mut rng, start, now, rank);
    let history = History {
        listing_id: listing.id,
        versions: &versions,
        workspaces,
    };
    let (events, held) = history.simulate(&mut rng, times);
    let txn = db::begin_write(db).await?;
    for event in &events {
        ledger::record(&txn, event).await?;
    }
    // The workspaces still holding the listing at the end hold a real copy of the version they
    // follow, so that active installs and workspace copies agree.
    let mut holders: Vec<(i64, usize)> = held.into_iter().collect();
    holders.sort_unstable();
    for (workspace_id, index) in holders {
        hold_copy(&txn, &listing, workspace_id, &versions[index], now).await?;
    }
    txn.commit().await?;
    Ok(events.len())
}

/// When the workspaces try something with a listing, oldest first: more often towards the
/// present, and fewer the lower its `rank`.
fn attempt_times(
    rng: &mut StdRng,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    rank: usize,
) -> Vec<DateTime<Utc>> {
    let span = (now - start).num_seconds().max(1) as f64;
    // Long tail: the most popular listing gets ~600 attempts, the tenth ~60.
    let attempts = (600.0 / (1.0 + rank as f64 * 0.9)) as usize + rng.random_range(0..20);
    let mut times: Vec<DateTime<Utc>> = (0..attempts)
        .map(|_| {
            let u: f64 = rng.random::<f64>().powf(0.6);
            start + Duration::seconds((u * span) as i64)
        })
        .collect();
    times.sort();
    times
}

/// One listing's simulated history across the demo workspaces.
struct History<'a> {
    listing_id: i64,
    /// Oldest first.
    versions: &'a [connector_version::Model],
    workspaces: &'a [i64],
}

impl History<'_> {
    /// The ledger events of attempts at `times`, and which version (by index) each workspace
    /// holds at the end.
    fn simulate(
        &self,
        rng: &mut StdRng,
        times: Vec<DateTime<Utc>>,
    ) -> (Vec<InstallEvent>, HashMap<i64, usize>) {
        let mut held: HashMap<i64, usize> = HashMap::new();
        let mut events = Vec::new();
        for at in times {
            let available = self
                .versions
                .iter()
                .rposition(|v| v.published_at <= at)
                .unwrap_or(0);
            let ws = self.workspaces[rng.random_range(0..self.workspaces.len())];
            let event = next_install_step(rng, &mut held, ws, available);
            if let Some((kind, index, from)) = event {
                events.push(InstallEvent {
                    connector_id: self.listing_id,
                    version_id: self.versions[index].id,
                    from_version_id: from.map(|i| self.versions[i].id),
                    workspace_id: ws,
                    user_id: None,
                    kind,
                    at,
                });
            }
        }
        (events, held)
    }
}

/// A workspace's copy of `version`, installed and released, by nobody in particular.
async fn hold_copy(
    txn: &DatabaseTransaction,
    listing: &connector::Model,
    workspace_id: i64,
    version: &connector_version::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let copy = workspace_connector::ActiveModel {
        workspace_id: Set(workspace_id),
        connector_id: Set(Some(listing.id)),
        name: Set(listing.name.clone()),
        parent_version_id: Set(Some(version.id)),
        latest_number: Set(1),
        released_number: Set(Some(1)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    workspace_connector_version::ActiveModel {
        workspace_connector_id: Set(copy.id),
        number: Set(1),
        source: Set(version.source.clone()),
        sha256: Set(version.sha256.clone()),
        origin: Set("installed".to_owned()),
        author_id: Set(None),
        base_version_id: Set(Some(version.id)),
        capabilities: Set(version.capabilities.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Is the catalog empty? `serve --demo` seeds only then.
pub async fn catalog_is_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Ok(entities::connector::Entity::find().count(db).await? == 0)
}
