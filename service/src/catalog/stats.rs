//! Reading install metrics and author records, batched: every function takes all the ids a page
//! needs and answers in one statement, so a page costs the same number of statements whatever
//! its size.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{author_total, connector_install_day, connector_owner, connector_version, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Iterable,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::{Expr, ExprTrait},
};

use super::search::TRENDING_DAYS;

/// Versions as catalog pages show them: every column but `source` (about 5 KB a version, read
/// only by the source resolver, on its own), which comes back empty. Without
/// `with_capabilities`, `capabilities` (JSON, about 8 KB a version) comes back as JSON `null`
/// too, for the capabilities resolver to load in a batch when a query asks for it.
pub fn versions_shown(
    backend: DbBackend,
    with_capabilities: bool,
) -> Select<connector_version::Entity> {
    use connector_version::Column as C;
    let query = connector_version::Entity::find()
        .select_only()
        .columns(C::iter().filter(|c| match c {
            C::Source => false,
            C::Capabilities => with_capabilities,
            _ => true,
        }))
        .column_as(Expr::val(""), "source");
    if with_capabilities {
        return query;
    }
    let null = match backend {
        DbBackend::Postgres => "'null'::jsonb",
        _ => "'null'",
    };
    query.column_as(Expr::cust(null), "capabilities")
}

/// The capabilities of several versions, in one statement.
pub async fn capabilities(
    db: &impl ConnectionTrait,
    version_ids: &[i64],
) -> Result<Vec<(i64, serde_json::Value)>, DbErr> {
    connector_version::Entity::find()
        .select_only()
        .column(connector_version::Column::Id)
        .column(connector_version::Column::Capabilities)
        .filter(connector_version::Column::Id.is_in(version_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await
}

/// The versions page of a listing, newest first, and how many versions it has in all, in one
/// statement.
pub async fn versions_page(
    db: &impl ConnectionTrait,
    listing_id: i64,
    include_yanked: bool,
    offset: u64,
    limit: u64,
) -> Result<(Vec<connector_version::Model>, u64), DbErr> {
    use connector_version::Column as C;
    let shown = |query: Select<connector_version::Entity>| {
        let query = query.filter(C::ConnectorId.eq(listing_id));
        if include_yanked {
            query
        } else {
            query.filter(C::Yanked.eq(false))
        }
    };
    let statement = shown(versions_shown(db.get_database_backend(), true))
        .column_as(Expr::cust("COUNT(*) OVER ()"), "total_count")
        .order_by_desc(C::Id)
        .offset(offset)
        .limit(limit)
        .build(db.get_database_backend());
    let rows = db.query_all_raw(statement).await?;
    let mut total = 0;
    let mut versions = Vec::with_capacity(rows.len());
    for row in &rows {
        total = row.try_get::<i64>("", "total_count")?;
        versions.push(connector_version::Model::from_query_result(row, "")?);
    }
    if rows.is_empty() && offset > 0 {
        // Past the end there is no row to carry the count.
        return Ok((
            versions,
            shown(connector_version::Entity::find()).count(db).await?,
        ));
    }
    Ok((versions, u64::try_from(total).unwrap_or(0)))
}

/// The source of one version.
pub async fn version_source(db: &impl ConnectionTrait, version_id: i64) -> Result<String, DbErr> {
    let source: Option<String> = connector_version::Entity::find_by_id(version_id)
        .select_only()
        .column(connector_version::Column::Source)
        .into_tuple()
        .one(db)
        .await?;
    source.ok_or_else(|| DbErr::RecordNotFound(format!("connector version {version_id}")))
}

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

/// Author records for several users, in one statement: the totals are kept current by the
/// database (table `author_totals`), so an author with a thousand listings costs one row.
pub async fn author_stats(
    db: &impl ConnectionTrait,
    user_ids: &[i64],
) -> Result<HashMap<i64, AuthorStats>, DbErr> {
    let rows = author_total::Entity::find()
        .filter(author_total::Column::UserId.is_in(user_ids.iter().copied()))
        .all(db)
        .await?;
    let mut stats: HashMap<i64, AuthorStats> = user_ids
        .iter()
        .map(|id| (*id, AuthorStats::default()))
        .collect();
    for row in rows {
        stats.insert(
            row.user_id,
            AuthorStats {
                connectors_published: row.listings,
                total_installs: row.installs,
                active_installs: row.active_installs,
                versions_published: row.versions,
                last_published_at: row.last_published_at,
            },
        );
    }
    Ok(stats)
}

/// Owners of several listings, in one statement: listing id → owners, oldest owner first.
pub async fn owners(
    db: &impl ConnectionTrait,
    listing_ids: &[i64],
) -> Result<HashMap<i64, Vec<user::Model>>, DbErr> {
    let rows: Vec<(connector_owner::Model, Option<user::Model>)> = connector_owner::Entity::find()
        .find_also_related(user::Entity)
        .filter(connector_owner::Column::ConnectorId.is_in(listing_ids.iter().copied()))
        .order_by_asc(connector_owner::Column::AddedAt)
        .order_by_asc(connector_owner::Column::UserId)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<user::Model>> = HashMap::new();
    for (link, user) in rows {
        if let Some(user) = user {
            out.entry(link.connector_id).or_default().push(user);
        }
    }
    Ok(out)
}
