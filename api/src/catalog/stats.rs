//! Reading install metrics and author records, batched: every function takes all the ids a page
//! needs and answers in one statement, so a page costs the same number of statements whatever
//! its size.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{connector, connector_install_day, connector_owner, connector_version, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
    sea_query::{Expr, ExprTrait},
};

use super::search::TRENDING_DAYS;

/// An author's record across the listings they own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthorStats {
    pub connectors_published: i64,
    pub total_installs: i64,
    pub active_installs: i64,
    pub versions_published: i64,
    pub last_published_at: Option<DateTime<Utc>>,
}

/// Installs in the last 30 days (today included) per listing.
pub async fn installs_last_30_days(
    db: &impl ConnectionTrait,
    listing_ids: &[i64],
) -> Result<HashMap<i64, i64>, DbErr> {
    use connector_install_day::Column as C;
    let since = (Utc::now() - Duration::days(TRENDING_DAYS - 1)).date_naive();
    let rows: Vec<(i64, i64)> = connector_install_day::Entity::find()
        .select_only()
        .column(C::ConnectorId)
        .column_as(Expr::col(C::Installs).sum().cast_as("BIGINT"), "installs")
        .filter(C::ConnectorId.is_in(listing_ids.iter().copied()))
        .filter(C::Day.gte(since))
        .group_by(C::ConnectorId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Installs per day for the last `days` days (oldest first), zero-filled.
pub async fn daily_installs(
    db: &impl ConnectionTrait,
    listing_id: i64,
    days: i64,
) -> Result<Vec<(NaiveDate, i64)>, DbErr> {
    use connector_install_day::Column as C;
    let today = Utc::now().date_naive();
    let since = today - Duration::days(days - 1);
    let rows: Vec<(NaiveDate, i64)> = connector_install_day::Entity::find()
        .select_only()
        .column(C::Day)
        .column(C::Installs)
        .filter(C::ConnectorId.eq(listing_id))
        .filter(C::Day.gte(since))
        .order_by_asc(C::Day)
        .into_tuple()
        .all(db)
        .await?;
    let by_day: HashMap<NaiveDate, i64> = rows.into_iter().collect();
    Ok((0..days)
        .map(|i| {
            let day = since + Duration::days(i);
            (day, by_day.get(&day).copied().unwrap_or(0))
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct OwnedTotals {
    user_id: i64,
    connectors: i64,
    installs: i64,
    active: i64,
}

#[derive(Debug, FromQueryResult)]
struct PublishedTotals {
    published_by: i64,
    versions: i64,
    last_published_at: Option<DateTime<Utc>>,
}

/// Author records for several users, in two statements.
pub async fn author_stats(
    db: &impl ConnectionTrait,
    user_ids: &[i64],
) -> Result<HashMap<i64, AuthorStats>, DbErr> {
    let owned: Vec<OwnedTotals> = connector_owner::Entity::find()
        .select_only()
        .column(connector_owner::Column::UserId)
        .column_as(
            Expr::col((connector::Entity, connector::Column::Id))
                .count()
                .cast_as("BIGINT"),
            "connectors",
        )
        .column_as(
            Expr::col((connector::Entity, connector::Column::InstallCount))
                .sum()
                .cast_as("BIGINT"),
            "installs",
        )
        .column_as(
            Expr::col((connector::Entity, connector::Column::ActiveInstalls))
                .sum()
                .cast_as("BIGINT"),
            "active",
        )
        .join(
            JoinType::InnerJoin,
            connector_owner::Relation::Connector.def(),
        )
        .filter(connector_owner::Column::UserId.is_in(user_ids.iter().copied()))
        .group_by(connector_owner::Column::UserId)
        .into_model()
        .all(db)
        .await?;
    let published: Vec<PublishedTotals> = connector_version::Entity::find()
        .select_only()
        .column(connector_version::Column::PublishedBy)
        .column_as(
            Expr::col(connector_version::Column::Id)
                .count()
                .cast_as("BIGINT"),
            "versions",
        )
        .column_as(
            ExprTrait::max(Expr::col(connector_version::Column::PublishedAt)),
            "last_published_at",
        )
        .filter(connector_version::Column::PublishedBy.is_in(user_ids.iter().copied()))
        .group_by(connector_version::Column::PublishedBy)
        .into_model()
        .all(db)
        .await?;

    let mut stats: HashMap<i64, AuthorStats> = user_ids
        .iter()
        .map(|id| (*id, AuthorStats::default()))
        .collect();
    for row in owned {
        let entry = stats.entry(row.user_id).or_default();
        entry.connectors_published = row.connectors;
        entry.total_installs = row.installs;
        entry.active_installs = row.active;
    }
    for row in published {
        let entry = stats.entry(row.published_by).or_default();
        entry.versions_published = row.versions;
        entry.last_published_at = row.last_published_at;
    }
    Ok(stats)
}

/// Owners of several listings, in two statements: listing id → owners, oldest owner first.
pub async fn owners(
    db: &impl ConnectionTrait,
    listing_ids: &[i64],
) -> Result<HashMap<i64, Vec<user::Model>>, DbErr> {
    let links = connector_owner::Entity::find()
        .filter(connector_owner::Column::ConnectorId.is_in(listing_ids.iter().copied()))
        .order_by_asc(connector_owner::Column::AddedAt)
        .order_by_asc(connector_owner::Column::UserId)
        .all(db)
        .await?;
    let mut user_ids: Vec<i64> = links.iter().map(|l| l.user_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut out: HashMap<i64, Vec<user::Model>> = HashMap::new();
    for link in links {
        if let Some(user) = users.get(&link.user_id) {
            out.entry(link.connector_id).or_default().push(user.clone());
        }
    }
    Ok(out)
}
