//! Running jobs: claiming queued ones (and ones whose process stopped renewing its lease), running
//! their steps in order, and recording each step as it ends.

use chrono::{DateTime, Duration, Utc};
use entities::{job, job_step, recipe};
use sea_orm::sea_query::{Expr, Func, LockBehavior, LockType, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

use super::mapping::{self, Scope};
use super::target::{self, Target};
use super::{Failure, JobStatus, capped, storable};
use crate::Service;
use crate::db;
use crate::error::ServiceResult;

/// Claim up to `limit` jobs for `owner` until `until`: running ones whose lease expired (their
/// process died), and queued ones that are due — for each recipe only its oldest, and none while
/// another of its jobs runs, so that a recipe's jobs run one at a time in the order of their
/// events. Other processes' claims are skipped, not waited for.
pub async fn claim(
    db: &sea_orm::DatabaseConnection,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> ServiceResult<Vec<job::Model>> {
    let txn = db::begin_write(db).await?;
    let mut query = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(job::Column::Status.eq(JobStatus::Queued.as_str()))
                        .add(job::Column::RunAfter.lte(now))
                        .add(job::Column::Id.in_subquery(oldest_queued()))
                        .add(job::Column::RecipeId.not_in_subquery(with_running()))
                        .add(job::Column::RecipeId.in_subquery(running_recipes())),
                )
                .add(
                    Condition::all()
                        .add(job::Column::Status.eq(JobStatus::Running.as_str()))
                        .add(job::Column::LeaseUntil.lt(now)),
                ),
        )
        .order_by_asc(job::Column::Id)
        .limit(limit);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let ids: Vec<i64> = query.into_tuple().all(&txn).await?;
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(Vec::new());
    }
    job::Entity::update_many()
        .col_expr(
            job::Column::Status,
            Expr::value(JobStatus::Running.as_str()),
        )
        .col_expr(job::Column::LeaseOwner, Expr::value(owner))
        .col_expr(job::Column::LeaseUntil, Expr::value(until))
        .col_expr(
            job::Column::Attempts,
            sea_orm::sea_query::ExprTrait::add(Expr::col(job::Column::Attempts), 1),
        )
        .col_expr(
            job::Column::StartedAt,
            sea_orm::sea_query::ExprTrait::if_null(Expr::col(job::Column::StartedAt), now),
        )
        .filter(job::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let claimed = job::Entity::find()
        .filter(job::Column::Id.is_in(ids))
        .order_by_asc(job::Column::Id)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(claimed)
}

/// The oldest queued job of each recipe.
fn oldest_queued() -> SelectStatement {
    Query::select()
        .expr(Func::min(Expr::col(job::Column::Id)))
        .from(job::Entity)
        .and_where(job::Column::Status.eq(JobStatus::Queued.as_str()))
        .group_by_col(job::Column::RecipeId)
        .to_owned()
}

/// The recipes that run: a stopped recipe's queued jobs wait until it is started again.
fn running_recipes() -> SelectStatement {
    Query::select()
        .column(recipe::Column::Id)
        .from(recipe::Entity)
        .and_where(recipe::Column::State.eq("running"))
        .to_owned()
}

/// The recipes with a job running (or held by a lease that expired: it is taken over first).
fn with_running() -> SelectStatement {
    Query::select()
        .column(job::Column::RecipeId)
        .from(job::Entity)
        .and_where(job::Column::Status.eq(JobStatus::Running.as_str()))
        .to_owned()
}

/// How many times a job may be started (a server died or failed while running it) before it
/// fails instead of being started again.
const MAX_STARTS: i32 = 5;

/// Run a claimed job's steps from the first that has not succeeded, and record how it ended.
/// Stops without finishing when the lease was lost (another process has the job).
pub async fn run(service: &Service, owner: &str, claimed: job::Model) -> ServiceResult<()> {
    let db = &service.db;
    let holder = Holder {
        owner: owner.to_owned(),
        job_id: claimed.id,
        attempt: claimed.attempts,
        lease: super::lease(&service.config.jobs),
    };
    // The lease is renewed while a step runs too, so a step longer than the lease is not taken
    // over by another process (or another claim of this one).
    let beat = tokio::spawn(heartbeat(db.clone(), holder.clone()));
    let _beat = AbortOnDrop(beat.abort_handle());
    if claimed.attempts > MAX_STARTS {
        let failure = Failure::new(
            "ABANDONED",
            format!(
                "the job was started {} times without finishing (its servers stopped or failed)",
                claimed.attempts - 1
            ),
        );
        return finish(db, &holder, Some(failure)).await;
    }
    let Some(found) = recipe::Entity::find_by_id(claimed.recipe_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let steps = found.definition["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let done = job_step::Entity::find()
        .filter(job_step::Column::JobId.eq(claimed.id))
        .order_by_asc(job_step::Column::Position)
        .all(db)
        .await?;
    let mut outputs: Vec<Value> = Vec::new();
    for (position, step) in steps.iter().enumerate() {
        let earlier = done.iter().find(|s| s.position as usize == position);
        if let Some(succeeded) = earlier.filter(|s| s.status == "succeeded") {
            outputs.push(succeeded.output.clone().unwrap_or(Value::Null));
            continue;
        }
        let scope = Scope {
            trigger: &claimed.event,
            steps: &outputs,
        };
        let outcome = run_step(service, &found, step, position, &scope).await?;
        let held = record_step(db, &holder, &claimed, earlier, step, position, &outcome).await?;
        if !held {
            return Ok(());
        }
        match outcome.result {
            Ok(output) => outputs.push(output),
            Err(failure) => return finish(db, &holder, Some(failure)).await,
        }
    }
    finish(db, &holder, None).await
}

/// One claim of a job: the process holding it, which attempt it is (a claim of the same
/// process after its own lease expired is another), and how long each renewal lasts.
#[derive(Clone)]
struct Holder {
    owner: String,
    job_id: i64,
    attempt: i32,
    lease: Duration,
}

impl Holder {
    /// The job's row while this claim holds it.
    fn held(&self) -> Condition {
        Condition::all()
            .add(job::Column::Id.eq(self.job_id))
            .add(job::Column::LeaseOwner.eq(self.owner.as_str()))
            .add(job::Column::Attempts.eq(self.attempt))
            .add(job::Column::Status.eq(JobStatus::Running.as_str()))
    }

    /// Extend the lease; `false` when this claim no longer holds the job.
    async fn renew(&self, db: &impl ConnectionTrait) -> ServiceResult<bool> {
        let renewed = job::Entity::update_many()
            .col_expr(
                job::Column::LeaseUntil,
                Expr::value(Utc::now() + self.lease),
            )
            .filter(self.held())
            .exec(db)
            .await?;
        Ok(renewed.rows_affected == 1)
    }
}

/// Renew `holder`'s lease every third of it until the claim is lost (or the task is aborted).
async fn heartbeat(db: sea_orm::DatabaseConnection, holder: Holder) {
    let every = (holder.lease / 3)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        match holder.renew(&db).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(job = holder.job_id, error = %err.into_anyhow(), "renewing a job's lease")
            }
        }
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How one step ended.
struct StepOutcome {
    input: Value,
    target: Option<(i32, Option<String>)>,
    result: Result<Value, Failure>,
    attempts: i32,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
}

async fn run_step(
    service: &Service,
    found: &recipe::Model,
    step: &Value,
    position: usize,
    scope: &Scope<'_>,
) -> ServiceResult<StepOutcome> {
    let started_at = Utc::now();
    let raw_input = step
        .get("input")
        .cloned()
        .unwrap_or_else(|| Value::Object(Default::default()));
    let ended = |input: Value, target, result, attempts| StepOutcome {
        input: capped(input),
        target,
        result,
        attempts,
        started_at,
        finished_at: Utc::now(),
    };
    let input = match mapping::resolve(&raw_input, scope, position) {
        Ok(input) => input,
        Err(err) => {
            let failure = Failure::new("MAPPING", err.to_string());
            return Ok(ended(raw_input, None, Err(failure), 0));
        }
    };
    let target = match target::resolve(&service.db, found.workspace_id, step).await? {
        Ok(target) => target,
        Err(failure) => return Ok(ended(input, None, Err(failure), 0)),
    };
    let action = step["action"].as_str().unwrap_or_default().to_owned();
    let (result, attempts) = run_action(service, &target, action, input.clone()).await?;
    let version = Some((target.number, target.community_version.clone()));
    Ok(ended(input, version, result, attempts))
}

/// Run the action, trying again after a wait that doubles when the upstream failed in a way
/// that may pass; returns the outcome and how many tries it took.
async fn run_action(
    service: &Service,
    target: &Target,
    action: String,
    input: Value,
) -> ServiceResult<(Result<Value, Failure>, i32)> {
    let config = &service.config.jobs;
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let invocation = sdk::Invocation::Action {
            name: action.clone(),
            input: input.clone(),
        };
        let report = service
            .runner
            .run(
                target.source.clone(),
                target.connection.clone(),
                target.secrets.clone(),
                invocation,
            )
            .await?;
        let tries = attempt as i32;
        match report.outcome {
            Ok(output) if !storable(&output) => {
                let failure = Failure::new(
                    "INVALID_OUTPUT",
                    "the action's output contains NUL characters, which cannot be stored",
                );
                return Ok((Err(failure), tries));
            }
            Ok(output) => return Ok((Ok(output), tries)),
            Err(err) if transient(&err) && attempt < config.step_attempts.max(1) => {
                let wait = config
                    .retry_backoff_ms
                    .saturating_mul(1 << (attempt - 1).min(16));
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            }
            Err(err) => return Ok((Err(Failure::new(err.code(), err.to_string())), tries)),
        }
    }
}

/// A failure that may pass on its own: the network, rate limiting, or the upstream's own error.
fn transient(err: &sdk::RunError) -> bool {
    match err {
        sdk::RunError::Network { .. } => true,
        sdk::RunError::Http { status, .. } => *status == 429 || *status >= 500,
        _ => false,
    }
}

/// Write the step's record (replacing an earlier attempt's failed one) and renew the job's lease;
/// `false` when the claim no longer holds the job.
#[allow(clippy::too_many_arguments)] // the job, the step and its place, what happened
async fn record_step(
    db: &sea_orm::DatabaseConnection,
    holder: &Holder,
    claimed: &job::Model,
    earlier: Option<&job_step::Model>,
    step: &Value,
    position: usize,
    outcome: &StepOutcome,
) -> ServiceResult<bool> {
    let txn = db::begin_write(db).await?;
    if !holder.renew(&txn).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    if let Some(earlier) = earlier {
        job_step::Entity::delete_by_id(earlier.id)
            .exec(&txn)
            .await?;
    }
    let (status, output, code, message) = match &outcome.result {
        Ok(output) => ("succeeded", Some(output.clone()), None, None),
        Err(f) => (
            "failed",
            None,
            Some(f.code.clone()),
            Some(f.message.clone()),
        ),
    };
    let elapsed = outcome.finished_at - outcome.started_at;
    job_step::ActiveModel {
        job_id: Set(claimed.id),
        position: Set(position as i32),
        connector: Set(step["connector"].as_str().unwrap_or_default().to_owned()),
        action: Set(step["action"].as_str().unwrap_or_default().to_owned()),
        version_number: Set(outcome.target.as_ref().map(|(n, _)| *n)),
        community_version: Set(outcome.target.as_ref().and_then(|(_, v)| v.clone())),
        status: Set(status.to_owned()),
        input: Set(outcome.input.clone()),
        output: Set(output),
        error_code: Set(code),
        error_message: Set(message),
        attempts: Set(outcome.attempts),
        started_at: Set(outcome.started_at),
        finished_at: Set(Some(outcome.finished_at)),
        duration_ms: Set(elapsed.num_milliseconds().max(0)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The job ends: succeeded, or failed with `failure` — while `holder` holds it; its process
/// stays on the record as the one that ran it.
async fn finish(
    db: &impl ConnectionTrait,
    holder: &Holder,
    failure: Option<Failure>,
) -> ServiceResult<()> {
    let status = if failure.is_some() {
        JobStatus::Failed
    } else {
        JobStatus::Succeeded
    };
    let (code, message) = match failure {
        Some(f) => (Some(f.code), Some(f.message)),
        None => (None, None),
    };
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(status.as_str()))
        .col_expr(job::Column::ErrorCode, Expr::value(code))
        .col_expr(job::Column::ErrorMessage, Expr::value(message))
        .col_expr(job::Column::FinishedAt, Expr::value(Utc::now()))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(holder.held())
        .exec(db)
        .await?;
    Ok(())
}
