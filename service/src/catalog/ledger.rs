//! The install ledger: every install, uninstall and update is an event, and the counters the
//! catalog sorts and shows by are maintained with it, in the same transaction, by atomic
//! increments — exact under concurrency, never recounted per request.

use chrono::{DateTime, Utc};
use entities::{connector, connector_install_day, connector_version, install_event};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement, Value,
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
/// makes the change it records. On PostgreSQL this is one statement (data-modifying CTEs), on
/// SQLite — where a statement costs no network round trip — one per table.
pub async fn record(db: &impl ConnectionTrait, event: &InstallEvent) -> Result<(), DbErr> {
    let changes = Changes::of(event);
    if db.get_database_backend() == DbBackend::Postgres {
        return record_in_one_statement(db, event, &changes).await;
    }
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
    if let Some((installs, active)) = changes.listing {
        bump_listing(db, event.connector_id, installs, active).await?;
    }
    for &(id, installs, active) in &changes.versions {
        bump_version(db, id, installs, active).await?;
    }
    if changes.day {
        bump_day(db, event).await?;
    }
    Ok(())
}

/// What an event changes: (installs, active installs) deltas for the listing and for versions,
/// and whether it is an install of the day.
struct Changes {
    listing: Option<(i64, i64)>,
    versions: Vec<(i64, i64, i64)>,
    day: bool,
}

impl Changes {
    fn of(event: &InstallEvent) -> Self {
        match event.kind {
            InstallKind::Install => Self {
                listing: Some((1, 1)),
                versions: vec![(event.version_id, 1, 1)],
                day: true,
            },
            InstallKind::Uninstall => Self {
                listing: Some((0, -1)),
                versions: vec![(event.version_id, 0, -1)],
                day: false,
            },
            InstallKind::Update => Self {
                listing: None,
                versions: match event.from_version_id {
                    Some(from) if from == event.version_id => vec![],
                    Some(from) => vec![(from, 0, -1), (event.version_id, 0, 1)],
                    None => vec![(event.version_id, 0, 1)],
                },
                day: false,
            },
        }
    }
}

async fn record_in_one_statement(
    db: &impl ConnectionTrait,
    event: &InstallEvent,
    changes: &Changes,
) -> Result<(), DbErr> {
    let mut values: Vec<Value> = vec![
        event.connector_id.into(),
        event.version_id.into(),
        event.from_version_id.into(),
        event.workspace_id.into(),
        event.user_id.into(),
        event.kind.as_str().into(),
        event.at.into(),
    ];
    let mut sql = String::from(
        "WITH event AS (INSERT INTO install_events \
         (connector_id, version_id, from_version_id, workspace_id, user_id, kind, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id)",
    );
    if let Some((installs, active)) = changes.listing {
        values.extend([installs.into(), active.into()]);
        let n = values.len();
        sql.push_str(&format!(
            ", listing AS (UPDATE connectors SET install_count = install_count + ${a}, \
             active_installs = active_installs + ${n} WHERE id = $1 RETURNING id)",
            a = n - 1
        ));
    }
    for (k, &(id, installs, active)) in changes.versions.iter().enumerate() {
        values.extend([id.into(), installs.into(), active.into()]);
        let n = values.len();
        sql.push_str(&format!(
            ", version_{k} AS (UPDATE connector_versions \
             SET install_count = install_count + ${i}, active_installs = active_installs + ${n} \
             WHERE id = ${v} RETURNING id)",
            v = n - 2,
            i = n - 1
        ));
    }
    if changes.day {
        values.push(event.at.date_naive().into());
        let n = values.len();
        sql.push_str(&format!(
            ", day AS (INSERT INTO connector_install_days (connector_id, day, installs) \
             VALUES ($1, ${n}, 1) ON CONFLICT (connector_id, day) \
             DO UPDATE SET installs = connector_install_days.installs + 1 RETURNING 1)"
        ));
    }
    sql.push_str(" SELECT id FROM event");
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await?;
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
