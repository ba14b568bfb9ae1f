//! Notices to workspaces: when an author publishes a version newer than the one a workspace's copy
//! follows, that workspace is told, with the release notes and any breaking note.

use chrono::Utc;
use entities::{connector, connector_version, notification, workspace_connector};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

pub const UPDATE_AVAILABLE: &str = "connector_update_available";

/// Notify every workspace holding a copy of `listing` whose parent version is older than
/// `version`. Call inside the publishing transaction. Returns the workspaces notified.
pub async fn notify_update(
    txn: &impl ConnectionTrait,
    listing: &connector::Model,
    version: &connector_version::Model,
) -> Result<Vec<i64>, DbErr> {
    let Ok(new) = semver::Version::parse(&version.version) else {
        return Ok(Vec::new());
    };
    // A pre-release is news only to a listing that has no stable version: elsewhere nothing would
    // install or update to it by default.
    if !new.pre.is_empty() {
        let has_stable = connector_version::Entity::find()
            .select_only()
            .column(connector_version::Column::Version)
            .filter(connector_version::Column::ConnectorId.eq(listing.id))
            .into_tuple::<String>()
            .all(txn)
            .await?
            .iter()
            .filter_map(|v| semver::Version::parse(v).ok())
            .any(|v| v.pre.is_empty());
        if has_stable {
            return Ok(Vec::new());
        }
    }
    let copies = workspace_connector::Entity::find()
        .filter(workspace_connector::Column::ConnectorId.eq(listing.id))
        .all(txn)
        .await?;
    let parent_ids: Vec<i64> = copies.iter().filter_map(|c| c.parent_version_id).collect();
    let parents: std::collections::HashMap<i64, String> = connector_version::Entity::find()
        .select_only()
        .column(connector_version::Column::Id)
        .column(connector_version::Column::Version)
        .filter(connector_version::Column::Id.is_in(parent_ids))
        .into_tuple::<(i64, String)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let older = |copy: &workspace_connector::Model| {
        copy.parent_version_id
            .and_then(|id| parents.get(&id))
            .and_then(|v| semver::Version::parse(v).ok())
            .is_none_or(|parent| parent < new)
    };
    let now = Utc::now();
    let rows: Vec<notification::ActiveModel> = copies
        .iter()
        .filter(|c| older(c))
        .map(|copy| notification::ActiveModel {
            workspace_id: Set(copy.workspace_id),
            kind: Set(UPDATE_AVAILABLE.to_owned()),
            workspace_connector_id: Set(Some(copy.id)),
            connector_id: Set(Some(listing.id)),
            version_id: Set(Some(version.id)),
            title: Set(format!("{} {} is available", listing.name, version.version)),
            message: Set(version.release_notes.clone()),
            breaking_message: Set(version.breaking_message.clone()),
            created_at: Set(now),
            read_at: Set(None),
            ..Default::default()
        })
        .collect();
    let workspaces = rows
        .iter()
        .filter_map(|r| r.workspace_id.clone().take())
        .collect();
    if !rows.is_empty() {
        notification::Entity::insert_many(rows).exec(txn).await?;
    }
    Ok(workspaces)
}

/// A workspace's notices, newest first, after the notice with id `after` (exclusive).
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    unread_only: bool,
    before_id: Option<i64>,
    limit: u64,
) -> Result<Vec<notification::Model>, DbErr> {
    let mut query =
        notification::Entity::find().filter(notification::Column::WorkspaceId.eq(workspace_id));
    if unread_only {
        query = query.filter(notification::Column::ReadAt.is_null());
    }
    if let Some(before) = before_id {
        query = query.filter(notification::Column::Id.lt(before));
    }
    query
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Notices newer than `after_id`, oldest first (for the subscription).
pub async fn since(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    after_id: i64,
) -> Result<Vec<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::WorkspaceId.eq(workspace_id))
        .filter(notification::Column::Id.gt(after_id))
        .order_by_asc(notification::Column::Id)
        .limit(100)
        .all(db)
        .await
}

/// The id of the newest notice of a workspace (0 when there is none).
pub async fn newest_id(db: &impl ConnectionTrait, workspace_id: i64) -> Result<i64, DbErr> {
    let newest = notification::Entity::find()
        .filter(notification::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(notification::Column::Id)
        .one(db)
        .await?;
    Ok(newest.map(|n| n.id).unwrap_or(0))
}

pub async fn unread_count(db: &impl ConnectionTrait, workspace_id: i64) -> Result<u64, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::WorkspaceId.eq(workspace_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await
}

/// Mark notices read: the given ones, or all of the workspace's when `ids` is `None`; recorded
/// in the audit log with the number marked.
pub async fn mark_read(
    db: &sea_orm::DatabaseConnection,
    access: &crate::authz::WorkspaceAccess,
    ids: Option<Vec<i64>>,
) -> Result<u64, DbErr> {
    let workspace_id = access.workspace.id;
    let txn = crate::db::begin_write(db).await?;
    let marked = mark_read_in(&txn, workspace_id, ids).await?;
    crate::audit::record(
        &txn,
        crate::audit::AuditEntry {
            workspace_id: Some(workspace_id),
            actor_id: Some(access.user.id),
            action: "notification.read",
            object_type: "workspace",
            object_id: access.workspace.slug.clone(),
            outcome: crate::audit::Outcome::Success,
            detail: serde_json::json!({ "marked": marked }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(marked)
}

async fn mark_read_in(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    ids: Option<Vec<i64>>,
) -> Result<u64, DbErr> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notification::Column::WorkspaceId.eq(workspace_id))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(ids) = ids {
        update = update.filter(notification::Column::Id.is_in(ids));
    }
    Ok(update.exec(db).await?.rows_affected)
}
