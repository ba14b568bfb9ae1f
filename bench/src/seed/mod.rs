//! A catalog at scale, for benchmarks: `patchbay-bench seed --scale N`.
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

mod bulk;
mod catalog;
mod fixtures;
mod history;
mod sources;
mod write;

use std::time::Instant;

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

use bulk::scalar;

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
/// How many released connectors the package source holds.
pub const PACKAGE_CONNECTORS: usize = 100;
/// How many recipes the package source holds.
pub const PACKAGE_RECIPES: usize = 1_000;

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

/// The sizes one scale seed works to, its clock, and the largest ids already in the tables
/// (generated ids follow them).
pub(crate) struct Plan {
    pub(crate) n: usize,
    pub(crate) n_authors: usize,
    pub(crate) n_workspaces: usize,
    pub(crate) target_events: usize,
    pub(crate) now: DateTime<Utc>,
    pub(crate) user_base: i64,
    pub(crate) ws_base: i64,
    pub(crate) listing_base: i64,
    pub(crate) version_base: i64,
}

impl Plan {
    async fn new(db: &DatabaseConnection, n: usize) -> anyhow::Result<Self> {
        Ok(Self {
            n,
            n_authors: (n / 20).max(5),
            n_workspaces: (n / 10).max(10),
            target_events: n * 10,
            now: Utc::now(),
            user_base: scalar(db, "SELECT MAX(id) FROM users").await?,
            ws_base: scalar(db, "SELECT MAX(id) FROM workspaces").await?,
            listing_base: scalar(db, "SELECT MAX(id) FROM connectors").await?,
            version_base: scalar(db, "SELECT MAX(id) FROM connector_versions").await?,
        })
    }
}

/// Each phase's time, printed as it ends.
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
    let mut rng = StdRng::seed_from_u64(0x7061_7463_6862_6179);
    let plan = Plan::new(db, n).await?;
    let families = sources::load_families()?;
    let mut listings = catalog::generate_listings(&mut rng, &plan, &families);
    let history = history::simulate(&mut rng, &plan, &mut listings);
    let mut report = ScaleReport {
        authors: plan.n_authors,
        listings: n,
        versions: listings.iter().map(|l| l.versions.len()).sum(),
        workspaces: plan.n_workspaces,
        install_events: history.events.len(),
        install_days: history.days.len(),
        rare_listings: listings
            .iter()
            .filter(|l| l.description.contains(RARE_TERM))
            .count(),
        common_listings: listings
            .iter()
            .filter(|l| l.summary.contains(COMMON_TERM))
            .count(),
        phases: Vec::new(),
    };
    let what = format!(
        "{n} listings, {} versions, {} events",
        report.versions, report.install_events
    );
    phases.done("generate (in memory)", what);

    write::people(db, &plan).await?;
    let what = format!(
        "{} authors, {} workspaces",
        plan.n_authors, plan.n_workspaces
    );
    phases.done("authors and workspaces", what);
    write::listings(db, &plan, &listings, &families).await?;
    let (common, rare) = (report.common_listings, report.rare_listings);
    let what = format!("{n} listings ({common} match {COMMON_TERM:?}, {rare} match {RARE_TERM:?})");
    phases.done("listings, owners, search index", what);
    write::versions(db, &plan, &listings, &families, &history).await?;
    phases.done("versions", format!("{} versions", report.versions));
    write::events(db, &plan, &listings, &history).await?;
    let what = format!(
        "{} events, {} listing-days",
        report.install_events, report.install_days
    );
    phases.done("install events, daily summary", what);
    write::upkeep(db).await?;
    phases.done("sequences / index upkeep", String::new());

    fixtures::seed_bench_fixtures(db, &listings, &families).await?;
    phases.done(
        "benchmark fixtures",
        format!(
            "user {BENCH_USER}, {BENCH_WORKSPACES} workspaces, {PACKAGE_SOURCE} with \
             {PACKAGE_CONNECTORS} connectors and {PACKAGE_RECIPES} recipes, {PACKAGE_TARGET}"
        ),
    );
    if db.get_database_backend() == DbBackend::Sqlite {
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
