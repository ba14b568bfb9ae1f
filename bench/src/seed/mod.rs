//! A catalog at scale, for benchmarks: `patchbay seed --scale N`.
//!
//! N listings (the full size is 100,000) built on the example connectors' sources, their
//! authors, N/10 workspaces, about 10 × N install events over the last year with a long tail, and
//! everything derived from the events — the listing and version counters, the daily summary and
//! the full-text index — exactly as the ledger and the search index would have maintained them.
//!
//! Unlike the demo seed this does not go through the per-row services: it simulates the history
//! in memory, then writes each table with large multi-row INSERTs inside transactions (minutes,
//! not hours, at full size). Only the small benchmark fixtures (a `bench` user, 64 workspaces it
//! administers, and a workspace holding 100 released connectors and 1,000 recipes for package
//! export and import) go through the services.
//!
//! What it does not write: workspace copies for the simulated history (the ledger says which
//! workspaces hold a listing; 700,000 copies of connector source would only make the database
//! larger). The benchmark workspaces hold real copies.
//!
//! Deterministic for a given N (a fixed random seed), apart from timestamps relative to now.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use include_dir::{Dir, include_dir};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::{self, Principal};
use crate::db;
use crate::error::ServiceError;
use crate::{lifecycle, recipes, workspaces};

static EXAMPLES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../examples/connectors");

/// A word that about a quarter of the listings contain (in their summary), for "common term"
/// searches. No other generated text, and no example connector, contains it.
pub const COMMON_TERM: &str = "nebula";
/// A word that one listing in 10,000 contains (at least one), for "rare term" searches.
pub const RARE_TERM: &str = "quasar";
/// The benchmark user: admin of the benchmark workspaces.
pub const BENCH_USER: &str = "bench";
/// Benchmark workspaces `bench-01` … `bench-64` for install/uninstall load.
pub const BENCH_WORKSPACES: usize = 64;
/// The workspace with 100 released connectors and 1,000 recipes, to export.
pub const PACKAGE_SOURCE: &str = "pkg-src";
/// An empty workspace to import the package into.
pub const PACKAGE_TARGET: &str = "pkg-dst";
const PACKAGE_CONNECTORS: usize = 100;
const PACKAGE_RECIPES: usize = 1_000;

/// What a scale seed wrote, and how long each phase took.
#[derive(Debug, Default, Clone)]
pub struct ScaleReport {
    pub authors: usize,
    pub listings: usize,
    pub versions: usize,
    pub workspaces: usize,
    pub install_events: usize,
    pub install_days: usize,
    pub rare_listings: usize,
    pub common_listings: usize,
    pub phases: Vec<(String, std::time::Duration)>,
}

#[derive(Debug, Deserialize)]
struct ExampleListing {
    category: String,
    versions: Vec<ExampleVersion>,
}

#[derive(Debug, Deserialize)]
struct ExampleVersion {
    version: String,
    #[serde(default)]
    notes: String,
    breaking: Option<String>,
}

/// One example version, parsed once and reused by every listing built on it.
struct SourceVersion {
    version: String,
    source: String,
    sha256: String,
    notes: String,
    breaking: Option<String>,
    capabilities: serde_json::Value,
    /// The capabilities as the search index writes them.
    search_text: String,
    has_trigger: bool,
    first_trigger: Option<String>,
    actions: Vec<String>,
}

struct Family {
    category: String,
    versions: Vec<SourceVersion>,
}

fn load_families() -> anyhow::Result<Vec<Family>> {
    let mut dirs: Vec<&Dir<'_>> = EXAMPLES.dirs().collect();
    dirs.sort_by_key(|d| d.path().to_path_buf());
    let mut families = Vec::new();
    for dir in dirs {
        let slug = dir.path().display().to_string();
        let text = |path: &str| -> anyhow::Result<&'static str> {
            EXAMPLES
                .get_file(path)
                .and_then(|f| f.contents_utf8())
                .with_context(|| format!("examples/connectors/{path} is missing"))
        };
        let listing: ExampleListing = serde_json::from_str(text(&format!("{slug}/listing.json"))?)
            .with_context(|| format!("parsing {slug}/listing.json"))?;
        let mut versions = Vec::new();
        for v in listing.versions {
            let source = crate::seed::version_source(&slug, &v.version)?.to_owned();
            let caps =
                sdk::parse(&source).map_err(|e| anyhow::anyhow!("{slug} {}: {e}", v.version))?;
            let search_text = caps
                .actions
                .iter()
                .chain(caps.triggers.iter())
                .map(|op| format!("{} {}", op.title, op.name.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(" ");
            versions.push(SourceVersion {
                sha256: hex::encode(Sha256::digest(source.as_bytes())),
                version: v.version,
                notes: v.notes,
                breaking: v.breaking,
                capabilities: serde_json::to_value(&caps)?,
                search_text,
                has_trigger: !caps.triggers.is_empty(),
                first_trigger: caps.triggers.first().map(|t| t.name.clone()),
                actions: caps.actions.iter().map(|a| a.name.clone()).collect(),
                source,
            });
        }
        families.push(Family {
            category: listing.category,
            versions,
        });
    }
    anyhow::ensure!(!families.is_empty(), "no example connectors");
    Ok(families)
}

const ADJECTIVES: &[&str] = &[
    "Swift", "Bright", "Quiet", "Solid", "Open", "Clear", "Rapid", "Simple", "Smart", "Steady",
    "Bold", "Lucid", "Prime", "Silver", "Amber", "Cobalt", "Crimson", "Golden", "Polar", "Urban",
];
const NOUNS: &[&str] = &[
    "Invoice",
    "Ticket",
    "Calendar",
    "Inventory",
    "Payroll",
    "Survey",
    "Shipment",
    "Lead",
    "Contract",
    "Expense",
    "Feedback",
    "Order",
    "Catalog",
    "Campaign",
    "Document",
    "Timesheet",
    "Warehouse",
    "Booking",
    "Subscription",
    "Analytics",
    "Support",
    "Recruiting",
    "Billing",
    "Forecast",
    "Asset",
    "Compliance",
    "Marketing",
    "Chat",
    "Storage",
    "Weather",
];
const KINDS: &[&str] = &[
    "Sync", "Bridge", "Hub", "Connect", "Relay", "Link", "Gateway", "Pipe", "Flow", "Port",
];
const TOPICS: &[&str] = &[
    "records",
    "contacts",
    "files",
    "events",
    "messages",
    "payments",
    "reports",
    "tasks",
    "orders",
    "customers",
    "projects",
    "invoices",
    "alerts",
    "metrics",
    "users",
    "tickets",
];
const VERBS: &[&str] = &[
    "Create", "Update", "Find", "Archive", "Export", "Import", "Watch", "Tag", "Merge", "Route",
];
const CATEGORIES: &[&str] = &[
    "communication",
    "crm",
    "data",
    "developer-tools",
    "email",
    "erp",
    "finance",
    "marketing",
    "payments",
    "productivity",
    "storage",
    "support",
    "utilities",
    "analytics",
];
const KEYWORDS: &[&str] = &[
    "api",
    "sync",
    "automation",
    "webhooks",
    "reports",
    "crm",
    "email",
    "files",
    "chat",
    "billing",
    "tickets",
    "calendar",
    "inventory",
    "analytics",
    "forms",
    "sales",
    "hr",
    "devops",
    "alerts",
    "storage",
];

fn pick<'a>(rng: &mut StdRng, words: &[&'a str]) -> &'a str {
    words[rng.random_range(0..words.len())]
}

struct GenListing {
    id: i64,
    slug: String,
    name: String,
    summary: String,
    description: String,
    category: String,
    keywords: Vec<String>,
    owners: Vec<usize>,
    created_at: DateTime<Utc>,
    family: usize,
    /// (version id, index into the family's versions, published at)
    versions: Vec<(i64, usize, DateTime<Utc>)>,
    install_count: i64,
    active_installs: i64,
}

struct GenEvent {
    listing: u32,
    version_id: i64,
    from_version_id: Option<i64>,
    workspace: u32,
    kind: u8,
    at: DateTime<Utc>,
}

const KIND_NAMES: [&str; 3] = ["install", "uninstall", "update"];

/// Inserts rows in large multi-row statements. `row` is one row's VALUES tuple with `?` for each
/// bound value (rewritten to `$n` on PostgreSQL).
struct BulkInsert<'a> {
    backend: DbBackend,
    head: String,
    row: &'a str,
    per_row: usize,
    rows_per_statement: usize,
    sql: String,
    values: Vec<Value>,
    rows: usize,
    written: usize,
}

impl<'a> BulkInsert<'a> {
    fn new(backend: DbBackend, table: &str, columns: &str, row: &'a str, max_rows: usize) -> Self {
        let per_row = row.matches('?').count();
        // SQLite allows 32,766 bound values a statement, PostgreSQL 65,535.
        let rows_per_statement = (30_000 / per_row.max(1)).clamp(1, max_rows);
        Self {
            backend,
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            row,
            per_row,
            rows_per_statement,
            sql: String::new(),
            values: Vec::new(),
            rows: 0,
            written: 0,
        }
    }

    async fn push(
        &mut self,
        db: &impl ConnectionTrait,
        values: impl IntoIterator<Item = Value>,
    ) -> anyhow::Result<()> {
        if self.rows == 0 {
            self.sql.clear();
            self.sql.push_str(&self.head);
        } else {
            self.sql.push(',');
        }
        let before = self.values.len();
        self.values.extend(values);
        debug_assert_eq!(self.values.len() - before, self.per_row);
        match self.backend {
            DbBackend::Postgres => {
                let mut n = before;
                for part in self.row.split('?').enumerate() {
                    if part.0 > 0 {
                        n += 1;
                        self.sql.push('$');
                        self.sql.push_str(&n.to_string());
                    }
                    self.sql.push_str(part.1);
                }
            }
            _ => self.sql.push_str(self.row),
        }
        self.rows += 1;
        if self.rows >= self.rows_per_statement {
            self.flush(db).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, db: &impl ConnectionTrait) -> anyhow::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let sql = std::mem::take(&mut self.sql);
        let values = std::mem::take(&mut self.values);
        db.execute_raw(Statement::from_sql_and_values(self.backend, sql, values))
            .await
            .with_context(|| format!("bulk insert: {}", self.head))?;
        self.written += self.rows;
        self.rows = 0;
        Ok(())
    }
}

async fn scalar(db: &impl ConnectionTrait, sql: &str) -> anyhow::Result<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0))
}

struct Phases {
    started: Instant,
    report: Vec<(String, std::time::Duration)>,
}

impl Phases {
    fn done(&mut self, name: &str, detail: String) {
        let took = self.started.elapsed();
        println!("  {name:<28} {:>8.2} s  {detail}", took.as_secs_f64());
        self.report.push((name.to_owned(), took));
        self.started = Instant::now();
    }
}

/// Fill an empty catalog with `n` listings and everything that goes with them.
pub async fn seed_scale(db: &DatabaseConnection, n: usize) -> anyhow::Result<ScaleReport> {
    anyhow::ensure!(n >= 100, "--scale needs at least 100 listings");
    let backend = db.get_database_backend();
    let existing = scalar(db, "SELECT COUNT(*) FROM connectors").await?;
    anyhow::ensure!(
        existing == 0,
        "seed --scale fills an empty catalog, and this one has {existing} listings; use a fresh database"
    );
    let total = Instant::now();
    let mut phases = Phases {
        started: Instant::now(),
        report: Vec::new(),
    };
    let mut report = ScaleReport::default();
    let mut rng = StdRng::seed_from_u64(0x7061_7463_6862_6179);
    let now = Utc::now();

    // --- generate in memory -------------------------------------------------------------
    let families = load_families()?;
    let n_authors = (n / 20).max(5);
    let n_workspaces = (n / 10).max(10);
    let target_events = n * 10;
    let user_base = scalar(db, "SELECT MAX(id) FROM users").await?;
    let ws_base = scalar(db, "SELECT MAX(id) FROM workspaces").await?;
    let listing_base = scalar(db, "SELECT MAX(id) FROM connectors").await?;
    let version_base = scalar(db, "SELECT MAX(id) FROM connector_versions").await?;

    let mut listings: Vec<GenListing> = Vec::with_capacity(n);
    let mut next_version = version_base;
    for i in 0..n {
        let family = i % families.len();
        let fam = &families[family];
        let (adj, noun, kind) = (
            pick(&mut rng, ADJECTIVES),
            pick(&mut rng, NOUNS),
            pick(&mut rng, KINDS),
        );
        let name = format!("{adj} {noun} {kind} {i}");
        let slug = format!(
            "{}-{}-{}-{i}",
            adj.to_lowercase(),
            noun.to_lowercase(),
            kind.to_lowercase()
        );
        let topic = pick(&mut rng, TOPICS);
        let mut summary = format!(
            "{} and sync {topic} between {noun} tools and your workspace.",
            pick(&mut rng, VERBS)
        );
        if i % 4 == 1 {
            summary.push_str(&format!(" Built on the {COMMON_TERM} framework."));
        }
        let mut description = format!(
            "## {name}\n\n{name} connects {noun} systems to your recipes. {} {topic}, {} {} \
             and react when {} change. Works with the {} API; authenticate with an API key or \
             OAuth.\n\nMaintained by its authors; issues and ideas are welcome.",
            pick(&mut rng, VERBS),
            pick(&mut rng, VERBS).to_lowercase(),
            pick(&mut rng, TOPICS),
            pick(&mut rng, TOPICS),
            noun
        );
        if i % 10_000 == 7 {
            description.push_str(&format!(" Includes the {RARE_TERM} extension."));
            report.rare_listings += 1;
        }
        if i % 4 == 1 {
            report.common_listings += 1;
        }
        let category = if rng.random_bool(0.5) {
            fam.category.clone()
        } else {
            pick(&mut rng, CATEGORIES).to_owned()
        };
        let mut keywords: Vec<String> = Vec::new();
        for _ in 0..rng.random_range(2..=5) {
            let k = pick(&mut rng, KEYWORDS).to_owned();
            if !keywords.contains(&k) {
                keywords.push(k);
            }
        }
        // Authors: a long tail — a few publish hundreds of listings, most publish a handful.
        let u: f64 = rng.random();
        let mut owners = vec![((u * u) * n_authors as f64) as usize % n_authors];
        if rng.random_bool(0.1) {
            let second = rng.random_range(0..n_authors);
            if second != owners[0] {
                owners.push(second);
            }
        }
        let created_at = now - Duration::minutes(rng.random_range(30 * 1440..730 * 1440));
        let count = rng.random_range(2..=4).min(fam.versions.len());
        let span = (now - created_at).num_minutes();
        let mut versions = Vec::with_capacity(count);
        for v in 0..count {
            next_version += 1;
            let at = if v == 0 {
                created_at
            } else {
                created_at
                    + Duration::minutes(span * v as i64 / count as i64)
                    + Duration::minutes(rng.random_range(0..1440))
            };
            versions.push((next_version, v, at));
        }
        listings.push(GenListing {
            id: listing_base + 1 + i as i64,
            slug,
            name,
            summary,
            description,
            category,
            keywords,
            owners,
            created_at,
            family,
            versions,
            install_count: 0,
            active_installs: 0,
        });
    }
    report.listings = n;
    report.authors = n_authors;
    report.workspaces = n_workspaces;
    report.versions = listings.iter().map(|l| l.versions.len()).sum();

    // The install history: popularity follows a Zipf-like long tail over a random order of the
    // listings; within a listing, installs grow towards the present.
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let harmonic: f64 = (0..n).map(|r| 1.0 / (r as f64 + 10.0)).sum();
    let mut events: Vec<GenEvent> = Vec::with_capacity(target_events + target_events / 8);
    let mut version_counts: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut days: HashMap<(u32, NaiveDate), i64> = HashMap::new();
    let year_ago = now - Duration::days(365);
    for (rank, &li) in order.iter().enumerate() {
        let listing = &mut listings[li];
        let share = (1.0 / (rank as f64 + 10.0)) / harmonic;
        let attempts = (share * target_events as f64 * 1.08).round() as usize;
        let start = listing.created_at.max(year_ago);
        let span = (now - start).num_seconds().max(1) as f64;
        let mut times: Vec<DateTime<Utc>> = (0..attempts)
            .map(|_| start + Duration::seconds((rng.random::<f64>().powf(0.6) * span) as i64))
            .collect();
        times.sort_unstable();
        let mut held: HashMap<u32, usize> = HashMap::new();
        for at in times {
            let available = listing
                .versions
                .iter()
                .rposition(|v| v.2 <= at)
                .unwrap_or(0);
            let ws = rng.random_range(0..n_workspaces) as u32;
            let (kind, index, from) = match held.get(&ws).copied() {
                None => {
                    held.insert(ws, available);
                    (0u8, available, None)
                }
                Some(current) if current < available && rng.random_bool(0.7) => {
                    held.insert(ws, available);
                    (2u8, available, Some(current))
                }
                Some(current) if rng.random_bool(0.3) => {
                    held.remove(&ws);
                    (1u8, current, None)
                }
                Some(_) => continue,
            };
            let version_id = listing.versions[index].0;
            let from_version_id = from.map(|f| listing.versions[f].0);
            match kind {
                0 => {
                    listing.install_count += 1;
                    listing.active_installs += 1;
                    let c = version_counts.entry(version_id).or_default();
                    c.0 += 1;
                    c.1 += 1;
                    *days.entry((li as u32, at.date_naive())).or_default() += 1;
                }
                1 => {
                    listing.active_installs -= 1;
                    version_counts.entry(version_id).or_default().1 -= 1;
                }
                _ => {
                    if let Some(from) = from_version_id {
                        version_counts.entry(from).or_default().1 -= 1;
                    }
                    version_counts.entry(version_id).or_default().1 += 1;
                }
            }
            events.push(GenEvent {
                listing: li as u32,
                version_id,
                from_version_id,
                workspace: ws,
                kind,
                at,
            });
        }
    }
    events.sort_unstable_by_key(|e| e.at);
    report.install_events = events.len();
    report.install_days = days.len();
    phases.done(
        "generate (in memory)",
        format!(
            "{} listings, {} versions, {} events",
            n,
            report.versions,
            events.len()
        ),
    );

    // --- write -----------------------------------------------------------------------------
    let txn = db::begin_write(db).await?;
    let mut ins = BulkInsert::new(
        backend,
        "users",
        "id, handle, display_name, email, created_at",
        "(?, ?, ?, ?, ?)",
        2_000,
    );
    for a in 0..n_authors {
        ins.push(
            &txn,
            [
                (user_base + 1 + a as i64).into(),
                format!("author-{a:05}").into(),
                format!("Author {a}").into(),
                format!("author-{a:05}@example.com").into(),
                (now - Duration::days(800)).into(),
            ],
        )
        .await?;
    }
    ins.flush(&txn).await?;
    let mut ins = BulkInsert::new(
        backend,
        "workspaces",
        "id, slug, name, environment, created_at",
        "(?, ?, ?, ?, ?)",
        2_000,
    );
    for w in 0..n_workspaces {
        ins.push(
            &txn,
            [
                (ws_base + 1 + w as i64).into(),
                format!("ws-{w:05}").into(),
                format!("Workspace {w}").into(),
                ["development", "test", "production"][w % 3].into(),
                (now - Duration::days(400)).into(),
            ],
        )
        .await?;
    }
    ins.flush(&txn).await?;
    txn.commit().await?;
    phases.done(
        "authors and workspaces",
        format!("{n_authors} authors, {n_workspaces} workspaces"),
    );

    let latest_of = |l: &GenListing| l.versions.last().map(|v| v.0);
    let txn = db::begin_write(db).await?;
    let pg_row = "(?, ?, ?, ?, ?, ?, ?, 'public', false, 'published', ?, ?, ?, ?, ?, \
                  setweight(to_tsvector('english', ?), 'A') || \
                  setweight(to_tsvector('english', ?), 'A') || \
                  setweight(to_tsvector('english', ?), 'B') || \
                  setweight(to_tsvector('english', ?), 'B') || \
                  setweight(to_tsvector('english', ?), 'C'))";
    let (columns, row) = match backend {
        DbBackend::Postgres => (
            "id, slug, name, summary, description, category, keywords, visibility, source_hidden, \
             status, latest_version_id, install_count, active_installs, created_at, updated_at, \
             search_vector",
            pg_row,
        ),
        _ => (
            "id, slug, name, summary, description, category, keywords, visibility, source_hidden, \
             status, latest_version_id, install_count, active_installs, created_at, updated_at",
            "(?, ?, ?, ?, ?, ?, ?, 'public', false, 'published', ?, ?, ?, ?, ?)",
        ),
    };
    let mut ins = BulkInsert::new(backend, "connectors", columns, row, 1_000);
    let mut fts = BulkInsert::new(
        backend,
        "connector_search",
        "rowid, name, summary, description, keywords, capabilities",
        "(?, ?, ?, ?, ?, ?)",
        1_000,
    );
    for l in &listings {
        let updated = l.versions.last().map_or(l.created_at, |v| v.2).min(now);
        let mut values: Vec<Value> = vec![
            l.id.into(),
            l.slug.clone().into(),
            l.name.clone().into(),
            l.summary.clone().into(),
            l.description.clone().into(),
            l.category.clone().into(),
            json!(l.keywords).into(),
            latest_of(l).into(),
            l.install_count.into(),
            l.active_installs.into(),
            l.created_at.into(),
            updated.into(),
        ];
        // The search document, as `catalog::search_index` writes it.
        let doc_name = format!("{} {}", l.name, l.slug.replace('-', " "));
        let doc_keywords = l.keywords.join(" ");
        let latest_caps = l
            .versions
            .last()
            .map(|v| families[l.family].versions[v.1].search_text.clone())
            .unwrap_or_default();
        if backend == DbBackend::Postgres {
            values.extend([
                doc_name.into(),
                doc_keywords.into(),
                l.summary.clone().into(),
                latest_caps.into(),
                l.description.clone().into(),
            ]);
            ins.push(&txn, values).await?;
        } else {
            ins.push(&txn, values).await?;
            fts.push(
                &txn,
                [
                    l.id.into(),
                    doc_name.into(),
                    l.summary.clone().into(),
                    l.description.clone().into(),
                    doc_keywords.into(),
                    latest_caps.into(),
                ],
            )
            .await?;
        }
    }
    ins.flush(&txn).await?;
    fts.flush(&txn).await?;
    let mut ins = BulkInsert::new(
        backend,
        "connector_owners",
        "connector_id, user_id, added_at",
        "(?, ?, ?)",
        5_000,
    );
    for l in &listings {
        for (k, owner) in l.owners.iter().enumerate() {
            ins.push(
                &txn,
                [
                    l.id.into(),
                    (user_base + 1 + *owner as i64).into(),
                    (l.created_at + Duration::days(k as i64)).min(now).into(),
                ],
            )
            .await?;
        }
    }
    ins.flush(&txn).await?;
    txn.commit().await?;
    phases.done(
        "listings, owners, search index",
        format!(
            "{n} listings ({} match {COMMON_TERM:?}, {} match {RARE_TERM:?})",
            report.common_listings, report.rare_listings
        ),
    );

    let txn = db::begin_write(db).await?;
    let mut ins = BulkInsert::new(
        backend,
        "connector_versions",
        "id, connector_id, version, source, sha256, release_notes, breaking, breaking_message, \
         capabilities, published_at, published_by, yanked, yanked_at, install_count, active_installs",
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, NULL, ?, ?)",
        250,
    );
    for l in &listings {
        for &(id, index, at) in &l.versions {
            let v = &families[l.family].versions[index];
            let (installs, active) = version_counts.get(&id).copied().unwrap_or_default();
            ins.push(
                &txn,
                [
                    id.into(),
                    l.id.into(),
                    v.version.clone().into(),
                    v.source.clone().into(),
                    v.sha256.clone().into(),
                    v.notes.clone().into(),
                    v.breaking.is_some().into(),
                    v.breaking.clone().into(),
                    v.capabilities.clone().into(),
                    at.into(),
                    (user_base + 1 + l.owners[0] as i64).into(),
                    installs.into(),
                    active.into(),
                ],
            )
            .await?;
        }
    }
    ins.flush(&txn).await?;
    txn.commit().await?;
    phases.done("versions", format!("{} versions", report.versions));

    let txn = db::begin_write(db).await?;
    let mut ins = BulkInsert::new(
        backend,
        "install_events",
        "connector_id, version_id, from_version_id, workspace_id, user_id, kind, at",
        "(?, ?, ?, ?, NULL, ?, ?)",
        5_000,
    );
    for e in &events {
        ins.push(
            &txn,
            [
                listings[e.listing as usize].id.into(),
                e.version_id.into(),
                e.from_version_id.into(),
                (ws_base + 1 + i64::from(e.workspace)).into(),
                KIND_NAMES[e.kind as usize].into(),
                e.at.into(),
            ],
        )
        .await?;
    }
    ins.flush(&txn).await?;
    let mut ins = BulkInsert::new(
        backend,
        "connector_install_days",
        "connector_id, day, installs",
        "(?, ?, ?)",
        10_000,
    );
    let mut day_rows: Vec<(&(u32, NaiveDate), &i64)> = days.iter().collect();
    day_rows.sort_unstable();
    for ((li, day), installs) in day_rows {
        ins.push(
            &txn,
            [
                listings[*li as usize].id.into(),
                (*day).into(),
                (*installs).into(),
            ],
        )
        .await?;
    }
    ins.flush(&txn).await?;
    txn.commit().await?;
    phases.done(
        "install events, daily summary",
        format!(
            "{} events, {} listing-days",
            events.len(),
            report.install_days
        ),
    );

    // --- housekeeping ----------------------------------------------------------------------
    match backend {
        DbBackend::Postgres => {
            for table in [
                "users",
                "workspaces",
                "connectors",
                "connector_versions",
                "install_events",
            ] {
                db.execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                ))
                .await?;
            }
            // What autovacuum would do shortly after a bulk load.
            db.execute_unprepared("ANALYZE").await?;
        }
        _ => {
            db.execute_unprepared(
                "INSERT INTO connector_search(connector_search) VALUES ('optimize')",
            )
            .await?;
        }
    }
    phases.done("sequences / index upkeep", String::new());

    seed_bench_fixtures(db, &listings, &families).await?;
    phases.done(
        "benchmark fixtures",
        format!(
            "user {BENCH_USER}, {BENCH_WORKSPACES} workspaces, {PACKAGE_SOURCE} with \
             {PACKAGE_CONNECTORS} connectors and {PACKAGE_RECIPES} recipes, {PACKAGE_TARGET}"
        ),
    );
    if backend == DbBackend::Sqlite {
        // Move the bulk load out of the write-ahead log into the database file now: otherwise
        // the server starts with gigabytes of WAL and its first write pays for the checkpoint.
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
        phases.done("WAL checkpoint", String::new());
    }
    println!("  {:<28} {:>8.2} s", "total", total.elapsed().as_secs_f64());
    report.phases = phases.report;
    Ok(report)
}

/// The small, service-made fixtures the benchmark harness needs.
async fn seed_bench_fixtures(
    db: &DatabaseConnection,
    listings: &[GenListing],
    families: &[Family],
) -> anyhow::Result<()> {
    let svc = |e: ServiceError| e.into_anyhow();
    let user = auth::create_user(db, BENCH_USER, "Benchmark", "bench@example.com", Utc::now())
        .await
        .map_err(svc)?;
    let principal = Principal {
        user: Some(user.clone()),
    };
    for i in 1..=BENCH_WORKSPACES {
        workspaces::create_workspace(
            db,
            &user,
            &format!("bench-{i:02}"),
            &format!("Bench {i}"),
            "development",
        )
        .await
        .map_err(svc)?;
    }
    workspaces::create_workspace(db, &user, PACKAGE_SOURCE, "Package source", "development")
        .await
        .map_err(svc)?;
    workspaces::create_workspace(db, &user, PACKAGE_TARGET, "Package target", "production")
        .await
        .map_err(svc)?;

    // 100 listings whose latest version has a trigger and actions, installed and released.
    let mut chosen: Vec<(&GenListing, &SourceVersion)> = Vec::new();
    for l in listings.iter().step_by((listings.len() / 500).max(1)) {
        let Some(&(_, index, _)) = l.versions.last() else {
            continue;
        };
        let v = &families[l.family].versions[index];
        if v.has_trigger && !v.actions.is_empty() {
            chosen.push((l, v));
        }
        if chosen.len() == PACKAGE_CONNECTORS {
            break;
        }
    }
    anyhow::ensure!(
        chosen.len() == PACKAGE_CONNECTORS,
        "only {} listings have a trigger and actions",
        chosen.len()
    );
    // The service path decides through an authorizer of its own.
    let authorizer = crate::authz::Authorizer::new().await?;
    let mut copy_ids = Vec::with_capacity(chosen.len());
    for (l, _) in &chosen {
        let copy = lifecycle::install(db, &authorizer, &principal, PACKAGE_SOURCE, &l.slug, None)
            .await
            .map_err(svc)?;
        lifecycle::release(db, &authorizer, &principal, copy.id)
            .await
            .map_err(svc)?;
        copy_ids.push(copy.id);
    }
    let workspace_id = scalar(
        db,
        &format!("SELECT id FROM workspaces WHERE slug = '{PACKAGE_SOURCE}'"),
    )
    .await?;

    // 1,000 recipes, each a trigger of one connector and three actions of others.
    let backend = db.get_database_backend();
    let mut rng = StdRng::seed_from_u64(1000);
    let now = Utc::now();
    let recipe_base = scalar(db, "SELECT MAX(id) FROM recipes").await?;
    let txn = db::begin_write(db).await?;
    let mut ins = BulkInsert::new(
        backend,
        "recipes",
        "id, workspace_id, asset_id, folder, name, description, definition, state, created_at, updated_at",
        "(?, ?, ?, ?, ?, ?, ?, 'stopped', ?, ?)",
        1_000,
    );
    let mut uses = BulkInsert::new(
        backend,
        "recipe_connectors",
        "recipe_id, workspace_connector_id",
        "(?, ?)",
        5_000,
    );
    for r in 0..PACKAGE_RECIPES {
        let id = recipe_base + 1 + r as i64;
        let t = rng.random_range(0..chosen.len());
        let mut used = vec![t];
        let mut steps = Vec::new();
        for _ in 0..3 {
            let a = rng.random_range(0..chosen.len());
            let (l, v) = chosen[a];
            let action = &v.actions[rng.random_range(0..v.actions.len())];
            steps.push(json!({ "connector": l.slug, "action": action }));
            if !used.contains(&a) {
                used.push(a);
            }
        }
        let (tl, tv) = chosen[t];
        let definition = json!({
            "trigger": { "connector": tl.slug, "trigger": tv.first_trigger },
            "steps": steps,
        });
        ins.push(
            &txn,
            [
                id.into(),
                workspace_id.into(),
                recipes::new_asset_id().into(),
                format!("bench/group-{:02}", r % 10).into(),
                format!("Recipe {r:04}").into(),
                format!("Benchmark recipe {r}").into(),
                definition.into(),
                now.into(),
                now.into(),
            ],
        )
        .await?;
        for u in used {
            uses.push(&txn, [id.into(), copy_ids[u].into()]).await?;
        }
    }
    ins.flush(&txn).await?;
    uses.flush(&txn).await?;
    txn.commit().await?;
    if backend == DbBackend::Postgres {
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('recipes', 'id'), (SELECT MAX(id) FROM recipes))",
        )
        .await?;
    }
    Ok(())
}
