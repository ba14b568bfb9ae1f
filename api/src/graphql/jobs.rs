//! A recipe's jobs over GraphQL: what each event of its trigger did, step by step.

use ::service::jobs::{self as service, JobRecord};
use ::service::model::JobStep as StepRecord;
use async_graphql::{Context, Enum, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::context::{principal, state};
use super::errors::{GqlResult, graphql_error};
use super::ids::{self, Kind};
use super::pagination::{PageInfo, page_size};
use crate::error::ErrorCode;

/// Where a job is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Recorded, waiting for a server to run it.
    Queued,
    /// A server is running its steps.
    Running,
    /// Every step succeeded.
    Succeeded,
    /// A step failed; the steps after it did not run.
    Failed,
}

impl JobStatus {
    fn from_service(status: service::JobStatus) -> Self {
        match status {
            service::JobStatus::Queued => Self::Queued,
            service::JobStatus::Running => Self::Running,
            service::JobStatus::Succeeded => Self::Succeeded,
            service::JobStatus::Failed => Self::Failed,
        }
    }

    fn to_service(self) -> service::JobStatus {
        match self {
            Self::Queued => service::JobStatus::Queued,
            Self::Running => service::JobStatus::Running,
            Self::Succeeded => service::JobStatus::Succeeded,
            Self::Failed => service::JobStatus::Failed,
        }
    }
}

/// Why a job or a step failed.
#[derive(SimpleObject)]
pub struct JobError {
    /// A stable upper-case code: the SDK's (`HTTP`, `TIMEOUT`, `RUNTIME`, …) or the job's own
    /// (`MAPPING`, `NOT_RELEASED`, `CONNECTION_AMBIGUOUS`, …).
    pub code: String,
    /// What happened, with the connection's secrets redacted.
    pub message: String,
}

fn error_of(code: &Option<String>, message: &Option<String>) -> Option<JobError> {
    code.as_ref().map(|code| JobError {
        code: code.clone(),
        message: message.clone().unwrap_or_default(),
    })
}

/// One trigger event run through a recipe's steps.
pub struct Job(pub JobRecord);

/// One trigger event run through a recipe's steps.
#[Object]
impl Job {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::Job, self.0.job.id)
    }
    /// Where it is.
    async fn status(&self) -> JobStatus {
        JobStatus::from_service(
            service::JobStatus::parse(&self.0.job.status).unwrap_or(service::JobStatus::Failed),
        )
    }
    /// The trigger's event that started it.
    async fn event(&self) -> Json<Value> {
        Json(self.0.job.event.clone())
    }
    /// How many times a server started it (more than one when a server stopped mid-job).
    async fn attempts(&self) -> i32 {
        self.0.job.attempts
    }
    /// Why it failed.
    async fn error(&self) -> Option<JobError> {
        error_of(&self.0.job.error_code, &self.0.job.error_message)
    }
    /// When the event was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.job.created_at
    }
    /// When a server first started it.
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.job.started_at
    }
    /// When it ended.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.job.finished_at
    }
    /// The steps that ran, in order.
    async fn steps(&self) -> Vec<JobStep> {
        self.0.steps.iter().cloned().map(JobStep).collect()
    }
}

/// One step of a job.
pub struct JobStep(pub StepRecord);

/// One step of a job.
#[Object]
impl JobStep {
    /// Its place in the recipe, from 0.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// The listing slug of the connector it ran.
    async fn connector(&self) -> &str {
        &self.0.connector
    }
    /// The action it ran.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The workspace version of the connector that ran: the one released when the step started.
    async fn version_number(&self) -> Option<i32> {
        self.0.version_number
    }
    /// The community version that workspace version descends from.
    async fn community_version(&self) -> Option<&str> {
        self.0.community_version.as_deref()
    }
    /// Whether it succeeded.
    async fn succeeded(&self) -> bool {
        self.0.status == "succeeded"
    }
    /// The input it was given, after mapping (at most 256 KiB of JSON).
    async fn input(&self) -> Json<Value> {
        Json(self.0.input.clone())
    }
    /// What the action returned, secrets redacted (at most 256 KiB of JSON).
    async fn output(&self) -> Option<Json<Value>> {
        self.0.output.clone().map(Json)
    }
    /// Why it failed.
    async fn error(&self) -> Option<JobError> {
        error_of(&self.0.error_code, &self.0.error_message)
    }
    /// How many tries it took (an upstream that may recover is tried again).
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// How long it ran, in milliseconds.
    async fn duration_ms(&self) -> i64 {
        self.0.duration_ms
    }
}

/// A page of jobs, newest first.
#[derive(SimpleObject)]
pub struct JobConnection {
    /// The jobs of this page.
    pub edges: Vec<JobEdge>,
    /// Where the page sits.
    pub page_info: PageInfo,
    /// How many jobs match, on every page.
    pub total_count: u64,
}

/// A job and its cursor.
#[derive(SimpleObject)]
pub struct JobEdge {
    /// Pass as `after` for the jobs after this one.
    pub cursor: String,
    /// The job.
    pub node: Job,
}

/// A recipe's jobs, for [`super::recipes::Recipe::jobs`].
pub async fn recipe_jobs(
    ctx: &Context<'_>,
    recipe_id: i64,
    first: Option<i32>,
    after: Option<String>,
    status: Option<JobStatus>,
) -> GqlResult<JobConnection> {
    let svc = state(ctx)?;
    let first = page_size(first, 20, svc.config.limits.max_page_size)?;
    let after = match after {
        Some(cursor) => Some(
            ids::decode_as(Kind::Job, &cursor)
                .ok_or_else(|| graphql_error(ErrorCode::BadUserInput, "invalid `after` cursor"))?,
        ),
        None => None,
    };
    let page = service::recipe_jobs(
        &svc.db,
        &svc.authz,
        principal(ctx)?,
        recipe_id,
        status.map(JobStatus::to_service),
        after,
        first,
    )
    .await?;
    let edges: Vec<JobEdge> = page
        .jobs
        .into_iter()
        .map(|record| JobEdge {
            cursor: ids::encode(Kind::Job, record.job.id).to_string(),
            node: Job(record),
        })
        .collect();
    Ok(JobConnection {
        page_info: PageInfo {
            has_next_page: page.has_next,
            has_previous_page: after.is_some(),
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        edges,
        total_count: page.total,
    })
}
