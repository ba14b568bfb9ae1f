//! Creating listings, publishing and yanking versions, editing listings and their owners.

use chrono::{DateTime, Utc};
use entities::{connector, connector_owner, connector_version, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use super::search_index;
use crate::authz::{self, ListingAction};
use crate::db;
use crate::debugger::Runner;
use crate::domain::{self, Slug};
use crate::error::{ServiceError, ServiceResult, UserProblem};
use crate::lifecycle::notifications;

/// Who may find a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// In search results and browse pages.
    Public,
    /// Reachable by its slug only.
    Unlisted,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
        }
    }
}

/// A listing as its author submits it. Fields are checked by [`create_listing`].
#[derive(Debug, Clone)]
pub struct NewListing {
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub category: String,
    pub keywords: Vec<String>,
    pub visibility: Visibility,
    pub source_hidden: bool,
}

/// A version as its author submits it.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub version: String,
    pub source: String,
    pub release_notes: String,
    /// Present when the version breaks existing uses; says what breaks and how to adapt.
    pub breaking: Option<String>,
    /// When it was published; `None` is now. Only the demo seed sets a past date.
    pub published_at: Option<DateTime<Utc>>,
}

/// Changes to a listing's metadata; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ListingPatch {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    pub source_hidden: Option<bool>,
    pub deprecated: Option<bool>,
}

struct CheckedVersion {
    version: semver::Version,
    source: String,
    release_notes: String,
    breaking: Option<String>,
    capabilities: sdk::Capabilities,
    published_at: DateTime<Utc>,
}

/// Find a listing by slug. Unlisted listings are found too: their slug is their link.
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> ServiceResult<connector::Model> {
    if slug.contains('\0') {
        // No slug holds NUL (and PostgreSQL would refuse to compare with one).
        return Err(ServiceError::NotFound(format!("connector {slug:?}")));
    }
    connector::Entity::find()
        .filter(connector::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("connector {slug:?}")))
}

/// Create a listing with its first version; the creator becomes its owner.
pub async fn create_listing(
    db: &DatabaseConnection,
    runner: &Runner,
    actor: &user::Model,
    listing: NewListing,
    first: NewVersion,
) -> ServiceResult<(connector::Model, connector_version::Model)> {
    let slug = Slug::parse(&["input", "slug"], &listing.slug, 64)?;
    let name = domain::text(&["input", "name"], &listing.name, 80, false)?;
    let summary = domain::text(&["input", "summary"], &listing.summary, 160, false)?;
    let description = domain::text(
        &["input", "description"],
        &listing.description,
        20_000,
        true,
    )?;
    let category = Slug::parse(&["input", "category"], &listing.category, 32)?;
    let keywords = domain::keywords(&["input", "keywords"], &listing.keywords)?;
    let version = check_version(runner, first).await?;

    let txn = db::begin_write(db).await?;
    let taken = connector::Entity::find()
        .filter(connector::Column::Slug.eq(slug.as_str()))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(UserProblem::conflict(
            &["input", "slug"],
            format!("the slug {slug} is already taken"),
        )
        .into());
    }
    let now = Utc::now();
    let created_at = version.published_at.min(now);
    let listing = connector::ActiveModel {
        slug: Set(slug.into_string()),
        name: Set(name),
        summary: Set(summary),
        description: Set(description),
        category: Set(category.into_string()),
        keywords: Set(serde_json::json!(keywords)),
        visibility: Set(listing.visibility.as_str().to_owned()),
        source_hidden: Set(listing.source_hidden),
        status: Set("published".to_owned()),
        latest_version_id: Set(None),
        install_count: Set(0),
        active_installs: Set(0),
        created_at: Set(created_at),
        updated_at: Set(created_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    connector_owner::ActiveModel {
        connector_id: Set(listing.id),
        user_id: Set(actor.id),
        added_at: Set(created_at),
    }
    .insert(&txn)
    .await?;
    let version = insert_version(&txn, &listing, actor, version).await?;
    let listing = refresh_listing(&txn, listing.id).await?;
    txn.commit().await?;
    tracing::info!(slug = %listing.slug, version = %version.version, user = %actor.handle, "listing created");
    Ok((listing, version))
}

/// Publish a new version of a listing. Only owners publish; versions strictly increase.
pub async fn publish_version(
    db: &DatabaseConnection,
    runner: &Runner,
    actor: &user::Model,
    slug: &str,
    new: NewVersion,
) -> ServiceResult<connector_version::Model> {
    let listing = find_by_slug(db, slug).await?;
    authz::require_owner(db, &listing, actor, ListingAction::Publish).await?;
    let checked = check_version(runner, new).await?;

    let txn = db::begin_write(db).await?;
    let listing = lock_listing(&txn, listing.id).await?;
    let version = insert_version(&txn, &listing, actor, checked).await?;
    refresh_listing(&txn, listing.id).await?;
    let notified = notifications::notify_update(&txn, &listing, &version).await?;
    txn.commit().await?;
    tracing::info!(
        slug = %listing.slug,
        version = %version.version,
        user = %actor.handle,
        workspaces_notified = notified.len(),
        "version published"
    );
    Ok(version)
}

/// Yank (or un-yank) a version: hidden from new installs, never deleted.
pub async fn set_yanked(
    db: &DatabaseConnection,
    actor: &user::Model,
    slug: &str,
    version: &str,
    yanked: bool,
) -> ServiceResult<connector_version::Model> {
    let listing = find_by_slug(db, slug).await?;
    authz::require_owner(db, &listing, actor, ListingAction::Yank).await?;
    let txn = db::begin_write(db).await?;
    let found = connector_version::Entity::find()
        .filter(connector_version::Column::ConnectorId.eq(listing.id))
        .filter(connector_version::Column::Version.eq(version.trim()))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("version {version:?} of {slug:?}")))?;
    if found.yanked == yanked {
        return Ok(found);
    }
    let mut active: connector_version::ActiveModel = found.into();
    active.yanked = Set(yanked);
    active.yanked_at = Set(yanked.then(Utc::now));
    let updated = active.update(&txn).await?;
    refresh_listing(&txn, listing.id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Edit a listing's metadata, or deprecate it.
pub async fn update_listing(
    db: &DatabaseConnection,
    actor: &user::Model,
    slug: &str,
    patch: ListingPatch,
) -> ServiceResult<connector::Model> {
    let listing = find_by_slug(db, slug).await?;
    authz::require_owner(db, &listing, actor, ListingAction::Edit).await?;
    let mut active: connector::ActiveModel = listing.clone().into();
    if let Some(name) = &patch.name {
        active.name = Set(domain::text(&["input", "name"], name, 80, false)?);
    }
    if let Some(summary) = &patch.summary {
        active.summary = Set(domain::text(&["input", "summary"], summary, 160, false)?);
    }
    if let Some(description) = &patch.description {
        active.description = Set(domain::text(
            &["input", "description"],
            description,
            20_000,
            true,
        )?);
    }
    if let Some(category) = &patch.category {
        active.category = Set(Slug::parse(&["input", "category"], category, 32)?.into_string());
    }
    if let Some(keywords) = &patch.keywords {
        active.keywords = Set(serde_json::json!(domain::keywords(
            &["input", "keywords"],
            keywords
        )?));
    }
    if let Some(visibility) = patch.visibility {
        active.visibility = Set(visibility.as_str().to_owned());
    }
    if let Some(hidden) = patch.source_hidden {
        active.source_hidden = Set(hidden);
    }
    if let Some(deprecated) = patch.deprecated {
        let status = if deprecated {
            "deprecated"
        } else {
            "published"
        };
        active.status = Set(status.to_owned());
    }
    active.updated_at = Set(Utc::now());
    let txn = db::begin_write(db).await?;
    active.update(&txn).await?;
    let listing = refresh_listing(&txn, listing.id).await?;
    txn.commit().await?;
    Ok(listing)
}

/// Add a co-owner by handle; adding an existing owner changes nothing.
pub async fn add_owner(
    db: &DatabaseConnection,
    actor: &user::Model,
    slug: &str,
    handle: &str,
) -> ServiceResult<connector::Model> {
    let listing = find_by_slug(db, slug).await?;
    authz::require_owner(db, &listing, actor, ListingAction::ManageOwners).await?;
    let owner = crate::auth::input_user(db, handle).await?;
    let txn = db::begin_write(db).await?;
    if !authz::is_owner(&txn, &listing, &owner).await? {
        connector_owner::ActiveModel {
            connector_id: Set(listing.id),
            user_id: Set(owner.id),
            added_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(listing)
}

/// Remove an owner; a listing always keeps at least one.
pub async fn remove_owner(
    db: &DatabaseConnection,
    actor: &user::Model,
    slug: &str,
    handle: &str,
) -> ServiceResult<connector::Model> {
    let listing = find_by_slug(db, slug).await?;
    authz::require_owner(db, &listing, actor, ListingAction::ManageOwners).await?;
    let owner = crate::auth::input_user(db, handle).await?;
    let txn = db::begin_write(db).await?;
    let owners = connector_owner::Entity::find()
        .filter(connector_owner::Column::ConnectorId.eq(listing.id))
        .all(&txn)
        .await?;
    if !owners.iter().any(|o| o.user_id == owner.id) {
        return Err(UserProblem::bad_input(
            &["input", "handle"],
            format!("{handle} is not an owner of {slug}"),
        )
        .into());
    }
    if owners.len() == 1 {
        return Err(UserProblem::bad_input(
            &["input", "handle"],
            "a listing must keep at least one owner",
        )
        .into());
    }
    connector_owner::Entity::delete_many()
        .filter(connector_owner::Column::ConnectorId.eq(listing.id))
        .filter(connector_owner::Column::UserId.eq(owner.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(listing)
}

/// Validate a submitted version outside any transaction: the SDK runs on a blocking thread.
async fn check_version(runner: &Runner, new: NewVersion) -> ServiceResult<CheckedVersion> {
    let version = domain::version(&["input", "version"], &new.version)?;
    let release_notes = domain::text(&["input", "releaseNotes"], &new.release_notes, 20_000, true)?;
    let breaking = match new.breaking.as_deref() {
        Some(message) => Some(domain::text(&["input", "breaking"], message, 2_000, false)?),
        None => None,
    };
    let capabilities = validate_source(runner, new.source.clone()).await?;
    Ok(CheckedVersion {
        version,
        source: new.source,
        release_notes,
        breaking,
        capabilities,
        published_at: new.published_at.unwrap_or_else(Utc::now),
    })
}

/// Run the SDK's parser over `source` in a worker process; its errors become user errors on `input.source` with the
/// line and column of the problem.
pub async fn validate_source(runner: &Runner, source: String) -> ServiceResult<sdk::Capabilities> {
    if source.contains('\0') {
        return Err(UserProblem::bad_input(
            &["input", "source"],
            "must not contain NUL characters",
        )
        .into());
    }
    let parsed = runner.parse(&source).await?;
    parsed.map_err(|err| {
        let mut problem = UserProblem::bad_input(
            &["input", "source"],
            format!("invalid connector source ({}): {err}", err.code()),
        )
        .because(err.code());
        if let Some(position) = err.position() {
            problem.line = Some(position.line);
            problem.column = Some(position.column);
        }
        problem.into()
    })
}

/// Take the listing's row lock so concurrent publishes of one listing queue (PostgreSQL; SQLite's
/// write transactions are already exclusive).
async fn lock_listing(
    txn: &impl ConnectionTrait,
    listing_id: i64,
) -> ServiceResult<connector::Model> {
    let mut query = connector::Entity::find_by_id(listing_id);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("connector {listing_id}")))
}

async fn insert_version(
    txn: &impl ConnectionTrait,
    listing: &connector::Model,
    actor: &user::Model,
    checked: CheckedVersion,
) -> ServiceResult<connector_version::Model> {
    let existing: Vec<String> = connector_version::Entity::find()
        .select_only()
        .column(connector_version::Column::Version)
        .filter(connector_version::Column::ConnectorId.eq(listing.id))
        .into_tuple()
        .all(txn)
        .await?;
    let highest = existing
        .iter()
        .filter_map(|v| semver::Version::parse(v).ok())
        .max();
    if let Some(highest) = highest {
        if existing.contains(&checked.version.to_string()) {
            return Err(UserProblem::conflict(
                &["input", "version"],
                format!(
                    "version {} is already published; versions are immutable",
                    checked.version
                ),
            )
            .into());
        }
        if checked.version <= highest {
            return Err(UserProblem::bad_input(
                &["input", "version"],
                format!(
                    "version {} must be greater than the latest published version {highest}",
                    checked.version
                ),
            )
            .into());
        }
    }
    let capabilities = serde_json::to_value(&checked.capabilities)
        .map_err(|err| anyhow::anyhow!("serialising capabilities: {err}"))?;
    let sha256 = hex::encode(Sha256::digest(checked.source.as_bytes()));
    let version = connector_version::ActiveModel {
        connector_id: Set(listing.id),
        version: Set(checked.version.to_string()),
        source: Set(checked.source),
        sha256: Set(sha256),
        release_notes: Set(checked.release_notes),
        breaking: Set(checked.breaking.is_some()),
        breaking_message: Set(checked.breaking),
        capabilities: Set(capabilities),
        published_at: Set(checked.published_at),
        published_by: Set(actor.id),
        yanked: Set(false),
        yanked_at: Set(None),
        install_count: Set(0),
        active_installs: Set(0),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(version)
}

/// Recompute what derives from a listing's versions — its latest version and its search
/// document — after any change to the listing or its versions.
async fn refresh_listing(
    txn: &impl ConnectionTrait,
    listing_id: i64,
) -> ServiceResult<connector::Model> {
    let listing = connector::Entity::find_by_id(listing_id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("connector {listing_id}")))?;
    let versions = connector_version::Entity::find()
        .filter(connector_version::Column::ConnectorId.eq(listing_id))
        .order_by_desc(connector_version::Column::Id)
        .all(txn)
        .await?;
    let latest = newest_installable(&versions);
    // The listing last changed when it, or the newest change to one of its versions, did.
    let updated_at = versions
        .iter()
        .flat_map(|v| [Some(v.published_at), v.yanked_at])
        .flatten()
        .fold(listing.updated_at, DateTime::max);
    let mut active: connector::ActiveModel = listing.into();
    active.latest_version_id = Set(latest.map(|v| v.id));
    active.updated_at = Set(updated_at);
    let listing = active.update(txn).await?;
    let capabilities = latest
        .and_then(|v| serde_json::from_value::<sdk::Capabilities>(v.capabilities.clone()).ok());
    search_index::index_listing(txn, &listing, capabilities.as_ref()).await?;
    Ok(listing)
}

/// The newest stable version, or the newest pre-release when there is no stable one.
pub fn newest_installable(
    versions: &[connector_version::Model],
) -> Option<&connector_version::Model> {
    let parsed = |v: &connector_version::Model| semver::Version::parse(&v.version).ok();
    let best = |stable: bool| {
        versions
            .iter()
            .filter(|v| !v.yanked)
            .filter_map(|v| parsed(v).map(|p| (p, v)))
            .filter(|(p, _)| p.pre.is_empty() == stable)
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, v)| v)
    };
    best(true).or_else(|| best(false))
}
