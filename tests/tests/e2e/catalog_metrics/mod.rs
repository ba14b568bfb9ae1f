//! Install metrics and author records over HTTP, checked against figures these tests compute on
//! their own: from the list of events they recorded (`history`), or from the raw
//! `install_events` rows after the demo seed (`seeded`). The model of the figures and the check
//! of one listing's answer are here.
mod history;
mod seeded;

use std::collections::{BTreeMap, HashMap};

use api::catalog::ledger::{self, InstallEvent, InstallKind};
use api::catalog::listings;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use tests::{Backend, TestApp};

use crate::fixtures::{
    connector_source, insert_workspace, new_listing, new_version, service, timestamp,
};

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

/// The catalog page's figures of every listing.
const PAGE_METRICS: &str = "metrics { totalInstalls activeInstalls installsLast30Days }";

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

impl Expected {
    /// (installs that chose `version`, workspaces on it now).
    fn of_version(&self, version: &str) -> (i64, i64) {
        self.per_version.get(version).copied().unwrap_or((0, 0))
    }

    /// The figures the catalog page shows of a listing (`PAGE_METRICS`).
    fn on_the_page(&self) -> Value {
        json!({ "totalInstalls": self.total, "activeInstalls": self.active,
                "installsLast30Days": self.last_30_days })
    }
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
    check_daily(&slug, m, expected, today)?;
    check_adoption(&slug, m, expected, versions_newest_first)?;
    check_versions(&slug, listing, expected);
    Ok(())
}

/// `dailyInstalls(days: 90)`: one entry a day up to today, with that day's installs.
fn check_daily(slug: &str, m: &Value, expected: &Expected, today: NaiveDate) -> anyhow::Result<()> {
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
    Ok(())
}

/// `adoption`: every version, newest first, with its installs, the workspaces on it and their
/// share of the active installs.
fn check_adoption(
    slug: &str,
    m: &Value,
    expected: &Expected,
    versions_newest_first: &[String],
) -> anyhow::Result<()> {
    let adoption = m["adoption"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("{slug}: no adoption"))?;
    let order: Vec<&str> = adoption
        .iter()
        .filter_map(|a| a["version"].as_str())
        .collect();
    assert_eq!(order, versions_newest_first, "{slug}: adoption order");
    for row in adoption {
        let (version, (_, active)) = check_version_figures(slug, "adoption", row, expected);
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
    Ok(())
}

/// Each version's own `installs` and `activeInstalls`.
fn check_versions(slug: &str, listing: &Value, expected: &Expected) {
    for edge in listing["versions"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
    {
        check_version_figures(slug, "version", &edge["node"], expected);
    }
}

/// `row` (a version's figures, in `what`) has the `installs` and `activeInstalls` expected of
/// its version; the version and those figures.
fn check_version_figures<'a>(
    slug: &str,
    what: &str,
    row: &'a Value,
    expected: &Expected,
) -> (&'a str, (i64, i64)) {
    let version = row["version"].as_str().unwrap_or_default();
    let (installs, active) = expected.of_version(version);
    assert_eq!(
        row["installs"], installs,
        "{slug} {version}: {what} installs"
    );
    assert_eq!(
        row["activeInstalls"], active,
        "{slug} {version}: {what} activeInstalls"
    );
    (version, (installs, active))
}
