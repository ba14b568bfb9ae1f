//! The loop a server runs: every tick (or as soon as a poll queued jobs), give new running
//! recipes a schedule, poll the due triggers this process can claim, and start the jobs it can
//! claim, up to `jobs.concurrent_jobs` at once. Stopping ends the claiming at once and waits for
//! the polls and jobs in flight.

use std::sync::Arc;

use chrono::{Duration, Utc};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::{execute, schedule};
use crate::Service;
use crate::error::ServiceResult;

/// A running engine; [`Engine::stop`] ends it.
pub struct Engine {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Engine {
    /// Start the loop over `service` when its configuration enables jobs.
    pub fn start(service: Service) -> Option<Self> {
        if !service.config.jobs.enabled {
            return None;
        }
        let owner = format!("{}-{}", std::process::id(), crate::recipes::new_asset_id());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(service, owner, stopped));
        Some(Self { stop, task })
    }

    /// Stop claiming; return once the polls and jobs in flight have ended.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "the jobs engine ended badly");
        }
    }
}

async fn run(service: Service, owner: String, mut stopped: watch::Receiver<bool>) {
    let config = service.config.jobs.clone();
    let tick = std::time::Duration::from_millis(config.tick_ms.max(10));
    let wake = Arc::new(Notify::new());
    let mut jobs: JoinSet<()> = JoinSet::new();
    loop {
        while jobs.try_join_next().is_some() {}
        if let Err(err) = poll_due(&service, &owner, &wake).await {
            tracing::warn!(error = %err.into_anyhow(), "polling triggers");
        }
        let free = config.concurrent_jobs.max(1).saturating_sub(jobs.len());
        if free > 0 {
            match start_jobs(&service, &owner, free as u64, &mut jobs).await {
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err.into_anyhow(), "claiming jobs"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = wake.notified() => {}
            Some(_) = jobs.join_next(), if !jobs.is_empty() => {}
            _ = stopped.changed() => break,
        }
    }
    while jobs.join_next().await.is_some() {}
}

fn lease(service: &Service) -> Duration {
    super::lease(&service.config.jobs)
}

/// Poll every due trigger this process can claim, one after another; wake the loop when a poll
/// queued jobs.
async fn poll_due(service: &Service, owner: &str, wake: &Notify) -> ServiceResult<()> {
    let now = Utc::now();
    schedule::ensure_schedules(&service.db, now).await?;
    for recipe_id in schedule::due(&service.db, now, 50).await? {
        // Polls run one after another: each claim's lease starts when it is taken.
        let now = Utc::now();
        if !schedule::claim(&service.db, recipe_id, owner, now, now + lease(service)).await? {
            continue;
        }
        match schedule::poll(service, owner, recipe_id).await {
            Ok(0) => {}
            Ok(_) => wake.notify_one(),
            Err(err) => {
                tracing::warn!(recipe = recipe_id, error = %err.into_anyhow(), "recording a poll")
            }
        }
    }
    Ok(())
}

/// Claim up to `limit` jobs and run each in its own task.
async fn start_jobs(
    service: &Service,
    owner: &str,
    limit: u64,
    jobs: &mut JoinSet<()>,
) -> ServiceResult<usize> {
    let now = Utc::now();
    let claimed = execute::claim(&service.db, owner, now, now + lease(service), limit).await?;
    let count = claimed.len();
    for job in claimed {
        let (service, owner) = (service.clone(), owner.to_owned());
        jobs.spawn(async move {
            let id = job.id;
            if let Err(err) = execute::run(&service, &owner, job).await {
                tracing::warn!(job = id, error = %err.into_anyhow(), "running a job");
            }
        });
    }
    Ok(count)
}
