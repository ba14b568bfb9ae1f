//! What the catalog's pages read: one listing, version or user by id, a listing's versions and
//! adoption, and the batches a page of listings asks for (one statement per kind, whatever the
//! page's size). Reading a version's source goes through the one source rule
//! (`authz::source`).

use std::collections::HashMap;

use entities::{connector, connector_version, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::stats::{self, AuthorStats};
use crate::Service;
use crate::auth::Principal;
use crate::authz::source::{self, SourceOf};
use crate::authz::{Permission, WorkspaceRef};
use crate::error::{ServiceError, ServiceResult};
use crate::model::{Listing, ListingVersion, User};

/// A listing by id.
pub async fn listing(svc: &Service, id: i64) -> ServiceResult<Option<Listing>> {
    Ok(connector::Entity::find_by_id(id).one(&svc.db).await?)
}

/// A listing by id that must exist (a version's or a copy's parent).
pub async fn existing_listing(svc: &Service, id: i64) -> ServiceResult<Listing> {
    listing(svc, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound("connector".into()))
}

/// A published version by id, with its source and capabilities.
pub async fn version(svc: &Service, id: i64) -> ServiceResult<Option<ListingVersion>> {
    Ok(connector_version::Entity::find_by_id(id)
        .one(&svc.db)
        .await?)
}

/// A listing's version by its number, e.g. `1.4.0` (surrounding blanks ignored).
pub async fn version_named(
    svc: &Service,
    listing_id: i64,
    version: &str,
) -> ServiceResult<Option<ListingVersion>> {
    Ok(connector_version::Entity::find()
        .filter(connector_version::Column::ConnectorId.eq(listing_id))
        .filter(connector_version::Column::Version.eq(version.trim()))
        .one(&svc.db)
        .await?)
}

/// Every version of a listing.
pub async fn versions_of(svc: &Service, listing_id: i64) -> ServiceResult<Vec<ListingVersion>> {
    Ok(connector_version::Entity::find()
        .filter(connector_version::Column::ConnectorId.eq(listing_id))
        .all(&svc.db)
        .await?)
}

/// A user by id.
pub async fn user(svc: &Service, id: i64) -> ServiceResult<Option<User>> {
    Ok(user::Entity::find_by_id(id).one(&svc.db).await?)
}

/// A page of a listing's versions, newest first (without their source), and how many there are.
pub async fn versions_page(
    svc: &Service,
    listing_id: i64,
    include_yanked: bool,
    offset: u64,
    limit: u64,
) -> ServiceResult<(Vec<ListingVersion>, u64)> {
    Ok(stats::versions_page(&svc.db, listing_id, include_yanked, offset, limit).await?)
}

/// Installs per day over the last `days` days, oldest first, days without installs included.
pub async fn daily_installs(
    svc: &Service,
    listing_id: i64,
    days: u16,
) -> ServiceResult<Vec<(chrono::NaiveDate, i64)>> {
    Ok(stats::daily_installs(&svc.db, listing_id, i64::from(days)).await?)
}

/// How many workspaces follow one version of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Adoption {
    pub version: String,
    /// Workspaces whose copy follows this version now.
    pub active_installs: i64,
    /// Installs that chose this version.
    pub installs: i64,
    /// This version's share of all active installs, 0 to 1.
    pub share: f64,
}

/// Active installs per version, newest version first.
pub async fn adoption(svc: &Service, listing_id: i64) -> ServiceResult<Vec<Adoption>> {
    let rows: Vec<(String, i64, i64)> = connector_version::Entity::find()
        .select_only()
        .column(connector_version::Column::Version)
        .column(connector_version::Column::ActiveInstalls)
        .column(connector_version::Column::InstallCount)
        .filter(connector_version::Column::ConnectorId.eq(listing_id))
        .order_by_desc(connector_version::Column::Id)
        .into_tuple()
        .all(&svc.db)
        .await?;
    let active_total: i64 = rows.iter().map(|r| r.1).sum();
    Ok(rows
        .into_iter()
        .map(|(version, active_installs, installs)| Adoption {
            version,
            active_installs,
            installs,
            share: if active_total > 0 {
                active_installs as f64 / active_total as f64
            } else {
                0.0
            },
        })
        .collect())
}

/// A version's source, for its listing's owners, or for a reader naming a `workspace` where
/// they hold `connector.view_source` (closed-source listings: owners only).
pub async fn version_source(
    svc: &Service,
    principal: &Principal,
    version: &ListingVersion,
    workspace: Option<&str>,
) -> ServiceResult<String> {
    let user = principal.require_user()?;
    let listing = existing_listing(svc, version.connector_id).await?;
    let owner = source::owns(&svc.db, Some(&listing), user).await?;
    let access = match workspace {
        Some(slug) if !owner => Some(
            svc.authz
                .authorize(
                    &svc.db,
                    principal,
                    WorkspaceRef::Slug(slug),
                    Some(Permission::ConnectorViewSource),
                )
                .await?,
        ),
        _ => None,
    };
    let of = SourceOf {
        permission: Permission::ConnectorViewSource,
        object_type: "connector_version",
        object_id: version.id,
    };
    source::require_readable(&svc.db, (user, owner), Some(&listing), access.as_ref(), of).await?;
    Ok(stats::version_source(&svc.db, version.id).await?)
}

// ---- Batches: a page of listings asks for these once for all its items. ----

/// The owners of several listings: listing id → owners, oldest owner first.
pub async fn owners_of(
    svc: &Service,
    listing_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<User>>> {
    Ok(stats::owners(&svc.db, listing_ids).await?)
}

/// The records of several authors (every id answered, zero when they own nothing).
pub async fn author_records(
    svc: &Service,
    user_ids: &[i64],
) -> ServiceResult<HashMap<i64, AuthorStats>> {
    Ok(stats::author_stats(&svc.db, user_ids).await?)
}

/// Installs of several listings in the last 30 days (every id answered).
pub async fn recent_installs(
    svc: &Service,
    listing_ids: &[i64],
) -> ServiceResult<HashMap<i64, i64>> {
    let counts = stats::installs_last_30_days(&svc.db, listing_ids).await?;
    Ok(listing_ids
        .iter()
        .map(|id| (*id, counts.get(id).copied().unwrap_or(0)))
        .collect())
}

/// Several versions by id, as catalog pages show them: without source, and with capabilities
/// JSON `null` (see [`capabilities_of`]).
pub async fn versions_by_id(
    svc: &Service,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, ListingVersion>> {
    let rows = stats::versions_shown(svc.db.get_database_backend(), false)
        .filter(connector_version::Column::Id.is_in(ids.iter().copied()))
        .all(&svc.db)
        .await?;
    Ok(rows.into_iter().map(|v| (v.id, v)).collect())
}

/// The capabilities of several versions, parsed.
pub async fn capabilities_of(
    svc: &Service,
    version_ids: &[i64],
) -> ServiceResult<HashMap<i64, sdk::Capabilities>> {
    stats::capabilities(&svc.db, version_ids)
        .await?
        .into_iter()
        .map(|(id, json)| Ok((id, stored_capabilities(id, json)?)))
        .collect()
}

/// A version's capabilities as stored at publish; unreadable ones are our fault.
pub fn stored_capabilities(
    version_id: i64,
    json: serde_json::Value,
) -> ServiceResult<sdk::Capabilities> {
    serde_json::from_value(json).map_err(|err| {
        ServiceError::Internal(anyhow::anyhow!(
            "stored capabilities of version {version_id}: {err}"
        ))
    })
}

/// Several users by id.
pub async fn users_by_id(svc: &Service, ids: &[i64]) -> ServiceResult<HashMap<i64, User>> {
    let rows = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(&svc.db)
        .await?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}
