//! The install history, simulated in memory: popularity follows a Zipf-like long tail over a
//! random order of the listings; within a listing, installs grow towards the present. The
//! counters are added up from the same events, as the ledger would have kept them.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use service::catalog::ledger::InstallKind;
use service::seed::next_install_step;

use super::Plan;
use super::catalog::GenListing;

pub(super) struct GenEvent {
    /// Index into the listings.
    pub(super) listing: u32,
    pub(super) version_id: i64,
    pub(super) from_version_id: Option<i64>,
    /// Index into the generated workspaces.
    pub(super) workspace: u32,
    pub(super) kind: InstallKind,
    pub(super) at: DateTime<Utc>,
}

/// The events in time order and the counters derived from them (the listings' own counters
/// are added up on the listings).
pub(super) struct History {
    pub(super) events: Vec<GenEvent>,
    /// version id → (installs, active installs)
    pub(super) version_counts: HashMap<i64, (i64, i64)>,
    /// (listing index, day) → installs that day
    pub(super) days: HashMap<(u32, NaiveDate), i64>,
}

/// About `plan.target_events` events over the last year, and the counters on `listings`.
pub(super) fn simulate(rng: &mut StdRng, plan: &Plan, listings: &mut [GenListing]) -> History {
    let n = listings.len();
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let harmonic: f64 = (0..n).map(|r| 1.0 / (r as f64 + 10.0)).sum();
    let mut history = History {
        events: Vec::with_capacity(plan.target_events + plan.target_events / 8),
        version_counts: HashMap::new(),
        days: HashMap::new(),
    };
    let year_ago = plan.now - Duration::days(365);
    for (rank, &li) in order.iter().enumerate() {
        let share = (1.0 / (rank as f64 + 10.0)) / harmonic;
        let attempts = (share * plan.target_events as f64 * 1.08).round() as usize;
        let start = listings[li].created_at.max(year_ago);
        let times = event_times(rng, start, plan.now, attempts);
        let workspaces = plan.n_workspaces;
        listing_history(rng, workspaces, li, &mut listings[li], times, &mut history);
    }
    history.events.sort_unstable_by_key(|e| e.at);
    history
}

/// `attempts` moments between `start` and `now`, denser towards the present, in order.
fn event_times(
    rng: &mut StdRng,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    attempts: usize,
) -> Vec<DateTime<Utc>> {
    let span = (now - start).num_seconds().max(1) as f64;
    let mut times: Vec<DateTime<Utc>> = (0..attempts)
        .map(|_| start + Duration::seconds((rng.random::<f64>().powf(0.6) * span) as i64))
        .collect();
    times.sort_unstable();
    times
}

/// At each moment a random workspace installs the listing's newest version, updates its copy
/// to it, uninstalls it, or does nothing (`service::seed::next_install_step`, the demo seed's
/// rule).
fn listing_history(
    rng: &mut StdRng,
    workspaces: usize,
    li: usize,
    listing: &mut GenListing,
    times: Vec<DateTime<Utc>>,
    history: &mut History,
) {
    // workspace → the index of the version it holds
    let mut held: HashMap<u32, usize> = HashMap::new();
    for at in times {
        let available = listing
            .versions
            .iter()
            .rposition(|v| v.2 <= at)
            .unwrap_or(0);
        let ws = rng.random_range(0..workspaces) as u32;
        let Some((kind, index, from)) = next_install_step(rng, &mut held, ws, available) else {
            continue;
        };
        let event = GenEvent {
            listing: li as u32,
            version_id: listing.versions[index].0,
            from_version_id: from.map(|f| listing.versions[f].0),
            workspace: ws,
            kind,
            at,
        };
        history.count(listing, &event);
        history.events.push(event);
    }
}

impl History {
    /// Add `event` to the counters, as the ledger does when it records one.
    fn count(&mut self, listing: &mut GenListing, event: &GenEvent) {
        match event.kind {
            InstallKind::Install => {
                listing.install_count += 1;
                listing.active_installs += 1;
                let c = self.version_counts.entry(event.version_id).or_default();
                c.0 += 1;
                c.1 += 1;
                *self
                    .days
                    .entry((event.listing, event.at.date_naive()))
                    .or_default() += 1;
            }
            InstallKind::Uninstall => {
                listing.active_installs -= 1;
                self.version_counts.entry(event.version_id).or_default().1 -= 1;
            }
            InstallKind::Update => {
                if let Some(from) = event.from_version_id {
                    self.version_counts.entry(from).or_default().1 -= 1;
                }
                self.version_counts.entry(event.version_id).or_default().1 += 1;
            }
        }
    }
}
