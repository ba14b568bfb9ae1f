//! Recipes that run. A running recipe's trigger is polled on its schedule, at the version of its
//! connector released to recipes, with its connection; each event becomes a **job** whose steps
//! run in order, each action at its connector's released version, its input mapped from the
//! event and the earlier steps' outputs ([`mapping`]).
//!
//! The work is shared through the database, so that several server processes on one PostgreSQL
//! database run each poll and each job once:
//! - a trigger's poll is claimed by a compare-and-set on its `recipe_triggers` row (a lease);
//!   the events become jobs and the cursor advances in one transaction that first checks the
//!   lease is still this process's — a restart neither loses nor repeats an event;
//! - a job is claimed with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite's write
//!   transactions are exclusive) and leased; a process that dies stops renewing, the lease
//!   expires and another process runs the job again, keeping the steps that had succeeded.
//!
//! [`engine`] is the loop a server runs; [`schedule`] and [`execute`] are its two halves, and the
//! reads for GraphQL are below.

pub mod engine;
mod execute;
pub mod mapping;
mod schedule;
mod target;

use std::collections::HashMap;

use entities::{job, job_step, recipe};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::auth::Principal;
use crate::authz::{Authorizer, Permission, WorkspaceAccess};
use crate::error::{ServiceError, ServiceResult};
use crate::recipes::open_recipe;

pub use engine::Engine;
pub(crate) use schedule::{poll_soon, restarted};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Why a poll or a step did not succeed: a stable upper-case code and a message with no secret
/// in it (the SDK redacts the connection's secrets in every text of a run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    /// A NUL in the message (an upstream's text) becomes U+FFFD: PostgreSQL stores no NUL.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into().replace('\0', "\u{FFFD}"),
        }
    }
}

/// The most JSON a job keeps of one event or one step's input, as compact text; the SDK holds a
/// step's output to the same size.
pub const MAX_RECORDED_BYTES: usize = 256 * 1024;

/// How long a claimed poll or job is this process's before another may take it over.
fn lease(config: &crate::config::JobsConfig) -> chrono::Duration {
    chrono::Duration::milliseconds(config.lease_ms.min(i64::MAX as u64) as i64)
}

/// Whether `value` can be stored: PostgreSQL's JSON holds no NUL character in any text.
pub fn storable(value: &Value) -> bool {
    crate::domain::json_without_nul(&[], value).is_ok()
}

/// `value`, or a note of its size when its JSON is larger than [`MAX_RECORDED_BYTES`].
pub fn capped(value: Value) -> Value {
    let bytes = value.to_string().len();
    if bytes > MAX_RECORDED_BYTES {
        serde_json::json!({ "truncated": true, "bytes": bytes })
    } else {
        value
    }
}

/// A job and its steps, in order.
#[derive(Debug, Clone)]
pub struct JobRecord {
    pub job: job::Model,
    pub steps: Vec<job_step::Model>,
}

/// One page of a recipe's jobs, newest first.
#[derive(Debug, Clone)]
pub struct JobPage {
    pub jobs: Vec<JobRecord>,
    pub total: u64,
    pub has_next: bool,
}

/// A recipe's jobs, newest first: `first` of them after the job `after` (its id), of `status`
/// if given. Needs `recipe.read`. Three statements whatever the page's size.
pub async fn recipe_jobs(
    db: &impl ConnectionTrait,
    authorizer: &Authorizer,
    principal: &Principal,
    recipe_id: i64,
    status: Option<JobStatus>,
    after: Option<i64>,
    first: u64,
) -> ServiceResult<JobPage> {
    let (_, recipe) =
        open_recipe(db, authorizer, principal, recipe_id, Permission::RecipeRead).await?;
    let mut query = job::Entity::find().filter(job::Column::RecipeId.eq(recipe.id));
    if let Some(status) = status {
        query = query.filter(job::Column::Status.eq(status.as_str()));
    }
    let total = query.clone().count(db).await?;
    if let Some(after) = after {
        query = query.filter(job::Column::Id.lt(after));
    }
    let mut rows = query
        .order_by_desc(job::Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok(JobPage {
        jobs: with_steps(db, rows).await?,
        total,
        has_next,
    })
}

/// A job of the workspace by id, with its steps. Needs `recipe.read`.
pub async fn workspace_job(
    db: &impl ConnectionTrait,
    access: &WorkspaceAccess,
    job_id: i64,
) -> ServiceResult<Option<JobRecord>> {
    access.require(Permission::RecipeRead)?;
    let found = job::Entity::find_by_id(job_id)
        .filter(job::Column::WorkspaceId.eq(access.workspace.id))
        .one(db)
        .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    Ok(with_steps(db, vec![found]).await?.pop())
}

/// The recipe a job belongs to (for its GraphQL `recipe` field).
pub async fn recipe_of(
    db: &impl ConnectionTrait,
    job: &job::Model,
) -> ServiceResult<recipe::Model> {
    recipe::Entity::find_by_id(job.recipe_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("recipe".into()))
}

/// `jobs` with their steps, read in one statement.
async fn with_steps(
    db: &impl ConnectionTrait,
    jobs: Vec<job::Model>,
) -> ServiceResult<Vec<JobRecord>> {
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    let steps = job_step::Entity::find()
        .filter(job_step::Column::JobId.is_in(ids))
        .order_by_asc(job_step::Column::Position)
        .all(db)
        .await?;
    let mut by_job: HashMap<i64, Vec<job_step::Model>> = HashMap::new();
    for step in steps {
        by_job.entry(step.job_id).or_default().push(step);
    }
    Ok(jobs
        .into_iter()
        .map(|job| {
            let steps = by_job.remove(&job.id).unwrap_or_default();
            JobRecord { job, steps }
        })
        .collect())
}
