//! The audit log: every workspace mutation records who did what to which object, and how it ended.

use chrono::Utc;
use entities::audit_event;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};
use serde_json::Value;

/// How an attempted mutation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Denied => "denied",
        }
    }
}

/// One entry.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub workspace_id: Option<i64>,
    pub actor_id: Option<i64>,
    /// What was attempted, e.g. `connector.install`.
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub outcome: Outcome,
    pub detail: Value,
}

/// Record a change that succeeded, done by the holder of `access` in its workspace: the one
/// way every service writes its success entries.
pub async fn success(
    db: &impl ConnectionTrait,
    access: &crate::authz::WorkspaceAccess,
    action: &str,
    object: (&str, String),
    detail: Value,
) -> Result<(), DbErr> {
    record(
        db,
        AuditEntry {
            workspace_id: Some(access.workspace.id),
            actor_id: Some(access.user.id),
            action,
            object_type: object.0,
            object_id: object.1,
            outcome: Outcome::Success,
            detail,
        },
    )
    .await
}

/// Record `entry`; call it inside the transaction of the change it describes, so that the log
/// and the change commit or roll back together.
pub async fn record(db: &impl ConnectionTrait, entry: AuditEntry<'_>) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        workspace_id: Set(entry.workspace_id),
        actor_id: Set(entry.actor_id),
        action: Set(entry.action.to_owned()),
        object_type: Set(entry.object_type.to_owned()),
        object_id: Set(entry.object_id),
        outcome: Set(entry.outcome.as_str().to_owned()),
        detail: Set(entry.detail),
        at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The newest `limit` entries of a workspace's log, newest first. Needs `audit.read`.
pub async fn log(
    db: &impl ConnectionTrait,
    access: &crate::authz::WorkspaceAccess,
    limit: u64,
) -> crate::error::ServiceResult<Vec<audit_event::Model>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    access.require(crate::authz::Permission::AuditRead)?;
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::WorkspaceId.eq(access.workspace.id))
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
