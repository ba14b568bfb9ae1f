//! Per-request batch loaders: a page of listings asks for owners, author records, recent
//! installs and latest versions once for the whole page, not once per listing. A new
//! `DataLoader` is built for every request, so its cache never crosses users.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use service::Service;
use service::catalog::reads;
use service::catalog::stats::AuthorStats;
use service::error::ServiceError;
use service::model::{Listing, ListingVersion, User};

/// Loads catalog data in batches for one request.
pub struct CatalogLoader {
    service: Service,
}

impl CatalogLoader {
    pub fn new(service: Service) -> Self {
        Self { service }
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

/// A batch's failure, shared by every key of the batch.
pub type LoadError = Arc<ServiceError>;

type LoadResult<K, V> = Result<HashMap<K, V>, LoadError>;

/// The keys' ids, and the service's answer keyed back by `key`.
async fn batch<K, V, F>(
    keys: &[K],
    id: impl Fn(K) -> i64,
    key: impl Fn(i64) -> K,
    load: F,
) -> LoadResult<K, V>
where
    K: Copy + Eq + std::hash::Hash,
    F: AsyncFnOnce(Vec<i64>) -> Result<HashMap<i64, V>, ServiceError>,
{
    let ids: Vec<i64> = keys.iter().map(|k| id(*k)).collect();
    let found = load(ids).await.map_err(Arc::new)?;
    Ok(found.into_iter().map(|(k, v)| (key(k), v)).collect())
}

impl Loader<OwnersOf> for CatalogLoader {
    type Value = Vec<User>;
    type Error = LoadError;

    async fn load(&self, keys: &[OwnersOf]) -> LoadResult<OwnersOf, Self::Value> {
        batch(
            keys,
            |k| k.0,
            OwnersOf,
            async |ids| reads::owners_of(&self.service, &ids).await,
        )
        .await
    }
}

impl Loader<AuthorRecord> for CatalogLoader {
    type Value = AuthorStats;
    type Error = LoadError;

    async fn load(&self, keys: &[AuthorRecord]) -> LoadResult<AuthorRecord, Self::Value> {
        batch(
            keys,
            |k| k.0,
            AuthorRecord,
            async |ids| reads::author_records(&self.service, &ids).await,
        )
        .await
    }
}

impl Loader<RecentInstalls> for CatalogLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[RecentInstalls]) -> LoadResult<RecentInstalls, Self::Value> {
        batch(
            keys,
            |k| k.0,
            RecentInstalls,
            async |ids| reads::recent_installs(&self.service, &ids).await,
        )
        .await
    }
}

impl Loader<VersionById> for CatalogLoader {
    /// Shared: a version row carries its capabilities as JSON, costly to copy per reader.
    type Value = Arc<ListingVersion>;
    type Error = LoadError;

    async fn load(&self, keys: &[VersionById]) -> LoadResult<VersionById, Self::Value> {
        batch(
            keys,
            |k| k.0,
            VersionById,
            async |ids| {
                let found = reads::versions_by_id(&self.service, &ids).await?;
                Ok(found.into_iter().map(|(id, v)| (id, Arc::new(v))).collect())
            },
        )
        .await
    }
}

impl Loader<CapabilitiesOf> for CatalogLoader {
    type Value = Arc<sdk::Capabilities>;
    type Error = LoadError;

    async fn load(&self, keys: &[CapabilitiesOf]) -> LoadResult<CapabilitiesOf, Self::Value> {
        batch(
            keys,
            |k| k.0,
            CapabilitiesOf,
            async |ids| {
                let found = reads::capabilities_of(&self.service, &ids).await?;
                Ok(found.into_iter().map(|(id, c)| (id, Arc::new(c))).collect())
            },
        )
        .await
    }
}

impl Loader<UserById> for CatalogLoader {
    type Value = User;
    type Error = LoadError;

    async fn load(&self, keys: &[UserById]) -> LoadResult<UserById, Self::Value> {
        batch(
            keys,
            |k| k.0,
            UserById,
            async |ids| reads::users_by_id(&self.service, &ids).await,
        )
        .await
    }
}

/// Load, in one batch per kind, what the selected fields of a page of listings will ask for,
/// so that the cached loader answers every item of the page without further statements.
/// `node` is the look-ahead at a listing in the page (`edges.node` or `nodes`).
pub async fn prime_listings(
    loader: &super::context::RequestLoader,
    node: &async_graphql::Lookahead<'_>,
    listings: &[Listing],
) -> Result<(), LoadError> {
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
