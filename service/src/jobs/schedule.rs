//! Polling triggers: which running recipes are due, claiming one's poll, and recording what the
//! poll found as jobs together with the new cursor.

use chrono::{DateTime, Duration, Utc};
use entities::{job, recipe, recipe_trigger};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::Value;

use super::target::{self, Target};
use super::{Failure, JobStatus, capped, storable};
use crate::Service;
use crate::config::JobsConfig;
use crate::db;
use crate::error::ServiceResult;

/// Give every running recipe without a schedule one, due now (a recipe started through the API
/// or by an import, or running before this process's first look).
pub async fn ensure_schedules(db: &impl ConnectionTrait, now: DateTime<Utc>) -> ServiceResult<()> {
    let missing: Vec<i64> = recipe::Entity::find()
        .select_only()
        .column(recipe::Column::Id)
        .filter(recipe::Column::State.eq("running"))
        .filter(
            recipe::Column::Id.not_in_subquery(
                Query::select()
                    .column(recipe_trigger::Column::RecipeId)
                    .from(recipe_trigger::Entity)
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    if missing.is_empty() {
        return Ok(());
    }
    recipe_trigger::Entity::insert_many(missing.into_iter().map(|id| new_schedule(id, now)))
        .on_conflict_do_nothing()
        .exec(db)
        .await?;
    Ok(())
}

fn new_schedule(recipe_id: i64, now: DateTime<Utc>) -> recipe_trigger::ActiveModel {
    recipe_trigger::ActiveModel {
        recipe_id: Set(recipe_id),
        cursor: Set(None),
        next_poll_at: Set(now),
        lease_owner: Set(None),
        lease_until: Set(None),
        polls: Set(0),
        last_polled_at: Set(None),
        last_error_code: Set(None),
        last_error_message: Set(None),
    }
}

/// Make a recipe's trigger due now (it was just started); its cursor stays.
pub async fn poll_soon(db: &impl ConnectionTrait, recipe_id: i64) -> ServiceResult<()> {
    let now = Utc::now();
    recipe_trigger::Entity::insert(new_schedule(recipe_id, now))
        .on_conflict(
            OnConflict::column(recipe_trigger::Column::RecipeId)
                .update_column(recipe_trigger::Column::NextPollAt)
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// A recipe an import stopped and started again: due now, from a fresh cursor when the import
/// changed its trigger (the old cursor belongs to another trigger).
pub async fn restarted(
    db: &impl ConnectionTrait,
    recipe_id: i64,
    fresh_cursor: bool,
) -> ServiceResult<()> {
    if fresh_cursor {
        recipe_trigger::Entity::delete_by_id(recipe_id)
            .exec(db)
            .await?;
    }
    poll_soon(db, recipe_id).await
}

/// Up to `limit` due polls of running recipes that no live lease holds, soonest first.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> ServiceResult<Vec<i64>> {
    Ok(recipe_trigger::Entity::find()
        .select_only()
        .column(recipe_trigger::Column::RecipeId)
        .filter(recipe_trigger::Column::NextPollAt.lte(now))
        .filter(free_at(now))
        .filter(
            recipe_trigger::Column::RecipeId.in_subquery(
                Query::select()
                    .column(recipe::Column::Id)
                    .from(recipe::Entity)
                    .and_where(recipe::Column::State.eq("running"))
                    .to_owned(),
            ),
        )
        .order_by_asc(recipe_trigger::Column::NextPollAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

fn free_at(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(recipe_trigger::Column::LeaseUntil.is_null())
        .add(recipe_trigger::Column::LeaseUntil.lt(now))
}

/// Take the poll of `recipe_id` for `owner` until `until`, unless another live lease holds it.
pub async fn claim(
    db: &impl ConnectionTrait,
    recipe_id: i64,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> ServiceResult<bool> {
    let claimed = recipe_trigger::Entity::update_many()
        .col_expr(recipe_trigger::Column::LeaseOwner, Expr::value(owner))
        .col_expr(recipe_trigger::Column::LeaseUntil, Expr::value(until))
        .filter(recipe_trigger::Column::RecipeId.eq(recipe_id))
        .filter(recipe_trigger::Column::NextPollAt.lte(now))
        .filter(free_at(now))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// How long until a recipe's next poll: its definition's `trigger.interval_seconds`, or the
/// configured default, never below the configured minimum.
pub fn interval(definition: &Value, config: &JobsConfig) -> Duration {
    let asked = definition["trigger"]["interval_seconds"]
        .as_u64()
        .map_or(config.poll_interval_ms, |s| s.saturating_mul(1000));
    let ms = asked.max(config.min_poll_interval_ms).min(i64::MAX as u64);
    Duration::milliseconds(ms as i64)
}

/// Poll a claimed trigger once and record what it found. Returns how many jobs it queued.
pub async fn poll(service: &Service, owner: &str, recipe_id: i64) -> ServiceResult<usize> {
    let db = &service.db;
    let Some(found) = recipe::Entity::find_by_id(recipe_id).one(db).await? else {
        return Ok(0);
    };
    let Some(schedule) = recipe_trigger::Entity::find_by_id(recipe_id)
        .one(db)
        .await?
    else {
        return Ok(0);
    };
    let next = Utc::now() + interval(&found.definition, &service.config.jobs);
    if found.state != "running" {
        release(db, recipe_id, owner, next, None).await?;
        return Ok(0);
    }
    let trigger = &found.definition["trigger"];
    let target = match target::resolve(db, found.workspace_id, trigger).await? {
        Ok(target) => target,
        Err(failure) => {
            release(db, recipe_id, owner, next, Some(failure)).await?;
            return Ok(0);
        }
    };
    let events = match run_poll(service, &target, trigger, schedule.cursor.clone()).await? {
        Ok(found) => found,
        Err(failure) => {
            tracing::info!(recipe = recipe_id, code = %failure.code, "trigger poll failed");
            release(db, recipe_id, owner, next, Some(failure)).await?;
            return Ok(0);
        }
    };
    if !storable(&Value::Array(events.events.clone())) || !storable(&events.cursor) {
        let failure = Failure::new(
            "INVALID_OUTPUT",
            "the poll's events or cursor contain NUL characters, which cannot be stored",
        );
        release(db, recipe_id, owner, next, Some(failure)).await?;
        return Ok(0);
    }
    match record(db, &found, owner, events, next).await {
        Ok(count) => Ok(count),
        Err(err) => {
            tracing::warn!(recipe = recipe_id, error = %err.into_anyhow(), "recording a poll");
            let failure = Failure::new("RECORD", "the poll's events could not be recorded");
            release(db, recipe_id, owner, next, Some(failure)).await?;
            Ok(0)
        }
    }
}

/// What one poll found: its events and the cursor to poll from next.
struct Polled {
    events: Vec<Value>,
    cursor: Value,
}

async fn run_poll(
    service: &Service,
    target: &Target,
    trigger: &Value,
    cursor: Option<Value>,
) -> ServiceResult<Result<Polled, Failure>> {
    let invocation = sdk::Invocation::Trigger {
        name: trigger["trigger"].as_str().unwrap_or_default().to_owned(),
        input: trigger
            .get("input")
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default())),
        cursor,
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
    if let Some(bytes) = report.truncation.output_bytes {
        return Ok(Err(Failure::new(
            "LIMIT_EXCEEDED",
            format!(
                "one poll's events are {bytes} bytes of JSON, over the run's limit; return fewer at a time"
            ),
        )));
    }
    Ok(match report.outcome {
        Ok(mut output) => Ok(Polled {
            events: match output["events"].take() {
                Value::Array(events) => events,
                _ => Vec::new(),
            },
            cursor: output["next_cursor"].take(),
        }),
        Err(err) => Err(Failure::new(err.code(), err.to_string())),
    })
}

/// In one transaction: the events as queued jobs and the trigger's new cursor — only while the
/// lease is still `owner`'s (another process may have taken an expired one: then nothing is
/// written, and that process's poll records the same events).
async fn record(
    db: &sea_orm::DatabaseConnection,
    found: &recipe::Model,
    owner: &str,
    polled: Polled,
    next: DateTime<Utc>,
) -> ServiceResult<usize> {
    let now = Utc::now();
    let txn = db::begin_write(db).await?;
    let moved = recipe_trigger::Entity::update_many()
        .col_expr(recipe_trigger::Column::Cursor, Expr::value(polled.cursor))
        .col_expr(recipe_trigger::Column::NextPollAt, Expr::value(next))
        .col_expr(
            recipe_trigger::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            recipe_trigger::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            recipe_trigger::Column::Polls,
            sea_orm::sea_query::ExprTrait::add(Expr::col(recipe_trigger::Column::Polls), 1),
        )
        .col_expr(recipe_trigger::Column::LastPolledAt, Expr::value(now))
        .col_expr(
            recipe_trigger::Column::LastErrorCode,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            recipe_trigger::Column::LastErrorMessage,
            Expr::value(Option::<String>::None),
        )
        .filter(recipe_trigger::Column::RecipeId.eq(found.id))
        .filter(recipe_trigger::Column::LeaseOwner.eq(owner))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(0);
    }
    let count = polled.events.len();
    // In batches, so that a large poll stays under the databases' bind-parameter limits.
    let mut events = polled.events.into_iter().peekable();
    while events.peek().is_some() {
        let batch: Vec<Value> = events.by_ref().take(500).collect();
        job::Entity::insert_many(batch.into_iter().map(|event| job::ActiveModel {
            workspace_id: Set(found.workspace_id),
            recipe_id: Set(found.id),
            status: Set(JobStatus::Queued.as_str().to_owned()),
            event: Set(capped(event)),
            attempts: Set(0),
            run_after: Set(now),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(count)
}

/// Give up a claimed poll: due again at `next`, with the failure if there was one.
async fn release(
    db: &impl ConnectionTrait,
    recipe_id: i64,
    owner: &str,
    next: DateTime<Utc>,
    failure: Option<Failure>,
) -> ServiceResult<()> {
    let mut update = recipe_trigger::Entity::update_many()
        .col_expr(recipe_trigger::Column::NextPollAt, Expr::value(next))
        .col_expr(
            recipe_trigger::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            recipe_trigger::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    if let Some(failure) = failure {
        update = update
            .col_expr(
                recipe_trigger::Column::LastPolledAt,
                Expr::value(Utc::now()),
            )
            .col_expr(
                recipe_trigger::Column::LastErrorCode,
                Expr::value(failure.code),
            )
            .col_expr(
                recipe_trigger::Column::LastErrorMessage,
                Expr::value(failure.message),
            );
    }
    update
        .filter(recipe_trigger::Column::RecipeId.eq(recipe_id))
        .filter(recipe_trigger::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(())
}
