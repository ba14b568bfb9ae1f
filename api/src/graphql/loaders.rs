//! Per-request batch loaders: a page of listings asks for owners, author records, recent
//! installs and latest versions once for the whole page, not once per listing. A new
//! `DataLoader` is built for every request, so its cache never crosses users.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entities::{connector_version, user};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::catalog::stats::{self, AuthorStats};

/// Loads catalog data in batches for one request.
pub struct CatalogLoader {
    db: DatabaseConnection,
}

impl CatalogLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The owners of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OwnersOf(pub i64);
/// The record of an author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthorRecord(pub i64);
/// Installs of a listing in the last 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecentInstalls(pub i64);
/// A version by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionById(pub i64);
/// The capabilities of a version, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CapabilitiesOf(pub i64);
/// A user by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserById(pub i64);

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<DbErr>>;

impl Loader<OwnersOf> for CatalogLoader {
    type Value = Vec<user::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[OwnersOf]) -> LoadResult<OwnersOf, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let owners = stats::owners(&self.db, &ids).await.map_err(Arc::new)?;
        Ok(owners.into_iter().map(|(k, v)| (OwnersOf(k), v)).collect())
    }
}

impl Loader<AuthorRecord> for CatalogLoader {
    type Value = AuthorStats;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[AuthorRecord]) -> LoadResult<AuthorRecord, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let stats = stats::author_stats(&self.db, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(stats
            .into_iter()
            .map(|(k, v)| (AuthorRecord(k), v))
            .collect())
    }
}

impl Loader<RecentInstalls> for CatalogLoader {
    type Value = i64;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[RecentInstalls]) -> LoadResult<RecentInstalls, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let counts = stats::installs_last_30_days(&self.db, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(ids
            .into_iter()
            .map(|id| (RecentInstalls(id), counts.get(&id).copied().unwrap_or(0)))
            .collect())
    }
}

impl Loader<VersionById> for CatalogLoader {
    /// Shared: a version row carries its capabilities as JSON, costly to copy per reader.
    type Value = Arc<connector_version::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[VersionById]) -> LoadResult<VersionById, Self::Value> {
        let rows = stats::versions_shown(self.db.get_database_backend(), false)
            .filter(connector_version::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .map(|v| (VersionById(v.id), Arc::new(v)))
            .collect())
    }
}

impl Loader<CapabilitiesOf> for CatalogLoader {
    type Value = Arc<sdk::Capabilities>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[CapabilitiesOf]) -> LoadResult<CapabilitiesOf, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = stats::capabilities(&self.db, &ids)
            .await
            .map_err(Arc::new)?;
        rows.into_iter()
            .map(|(id, json)| {
                let caps = serde_json::from_value(json).map_err(|err| {
                    Arc::new(DbErr::Custom(format!(
                        "stored capabilities of version {id}: {err}"
                    )))
                })?;
                Ok((CapabilitiesOf(id), Arc::new(caps)))
            })
            .collect()
    }
}

impl Loader<UserById> for CatalogLoader {
    type Value = user::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[UserById]) -> LoadResult<UserById, Self::Value> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|u| (UserById(u.id), u)).collect())
    }
}

/// Load, in one batch per kind, what the selected fields of a page of listings will ask for,
/// so that the cached loader answers every item of the page without further statements.
/// `node` is the look-ahead at a listing in the page (`edges.node` or `nodes`).
pub async fn prime_listings(
    loader: &super::context::RequestLoader,
    node: &async_graphql::Lookahead<'_>,
    listings: &[entities::connector::Model],
) -> Result<(), Arc<DbErr>> {
    let ids: Vec<i64> = listings.iter().map(|l| l.id).collect();
    let owners = node.field("owners");
    if owners.exists() {
        let found = loader.load_many(ids.iter().map(|id| OwnersOf(*id))).await?;
        if owners.field("authorStats").exists() {
            let mut author_ids: Vec<i64> = found.values().flatten().map(|u| u.id).collect();
            author_ids.sort_unstable();
            author_ids.dedup();
            loader
                .load_many(author_ids.into_iter().map(AuthorRecord))
                .await?;
        }
    }
    if node.field("metrics").field("installsLast30Days").exists() {
        loader
            .load_many(ids.iter().map(|id| RecentInstalls(*id)))
            .await?;
    }
    let latest = node.field("latestVersion");
    if latest.exists() {
        let version_ids = listings.iter().filter_map(|l| l.latest_version_id);
        let versions = loader.load_many(version_ids.map(VersionById)).await?;
        if latest.field("publishedBy").exists() {
            let mut user_ids: Vec<i64> = versions.values().map(|v| v.published_by).collect();
            user_ids.sort_unstable();
            user_ids.dedup();
            loader.load_many(user_ids.into_iter().map(UserById)).await?;
        }
    }
    Ok(())
}
