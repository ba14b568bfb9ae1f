//! The install ledger: every install, uninstall and update is an event, and the counters the
//! catalog sorts and shows by are maintained with it, in the same transaction, by atomic
//! increments — exact under concurrency, never recounted per request.

use chrono::{DateTime, Utc};
use entities::{connector, connector_install_day, connector_version, install_event};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, OnConflict},
};

/// What happened to a workspace's copy of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallKind {
    Install,
    Uninstall,
    Update,
}

impl InstallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Uninstall => "uninstall",
            Self::Update => "update",
        }
    }
}

/// One entry for the ledger.
#[derive(Debug, Clone)]
pub struct InstallEvent {
    pub connector_id: i64,
    /// The version installed, updated to, or held when uninstalled.
    pub version_id: i64,
    /// For updates: the version the workspace left.
    pub from_version_id: Option<i64>,
    pub workspace_id: i64,
    pub user_id: Option<i64>,
    pub kind: InstallKind,
    pub at: DateTime<Utc>,
}

/// Append `event` to the ledger and apply it to the counters. Call inside the transaction that
/// makes the change it records.
pub async fn record(db: &impl ConnectionTrait, event: &InstallEvent) -> Result<(), DbErr> {
    install_event::ActiveModel {
        connector_id: Set(event.connector_id),
        version_id: Set(event.version_id),
        from_version_id: Set(event.from_version_id),
        workspace_id: Set(event.workspace_id),
        user_id: Set(event.user_id),
        kind: Set(event.kind.as_str().to_owned()),
        at: Set(event.at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    match event.kind {
        InstallKind::Install => {
            bump_listing(db, event.connector_id, 1, 1).await?;
            bump_version(db, event.version_id, 1, 1).await?;
            bump_day(db, event).await?;
        }
        InstallKind::Uninstall => {
            bump_listing(db, event.connector_id, 0, -1).await?;
            bump_version(db, event.version_id, 0, -1).await?;
        }
        InstallKind::Update => {
            if let Some(from) = event.from_version_id {
                bump_version(db, from, 0, -1).await?;
            }
            bump_version(db, event.version_id, 0, 1).await?;
        }
    }
    Ok(())
}

async fn bump_listing(
    db: &impl ConnectionTrait,
    id: i64,
    installs: i64,
    active: i64,
) -> Result<(), DbErr> {
    use connector::Column as C;
    connector::Entity::update_many()
        .col_expr(C::InstallCount, Expr::col(C::InstallCount).add(installs))
        .col_expr(C::ActiveInstalls, Expr::col(C::ActiveInstalls).add(active))
        .filter(C::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn bump_version(
    db: &impl ConnectionTrait,
    id: i64,
    installs: i64,
    active: i64,
) -> Result<(), DbErr> {
    use connector_version::Column as C;
    connector_version::Entity::update_many()
        .col_expr(C::InstallCount, Expr::col(C::InstallCount).add(installs))
        .col_expr(C::ActiveInstalls, Expr::col(C::ActiveInstalls).add(active))
        .filter(C::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn bump_day(db: &impl ConnectionTrait, event: &InstallEvent) -> Result<(), DbErr> {
    use connector_install_day::Column as C;
    connector_install_day::Entity::insert(connector_install_day::ActiveModel {
        connector_id: Set(event.connector_id),
        day: Set(event.at.date_naive()),
        installs: Set(1),
    })
    .on_conflict(
        OnConflict::columns([C::ConnectorId, C::Day])
            .value(
                C::Installs,
                Expr::col((connector_install_day::Entity, C::Installs)).add(1),
            )
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}
