//! The lifecycle of a connector inside a workspace: install a listing as an editable copy, edit
//! it, release it to recipes, restore an old version, update it to a new community version
//! (replacing or merging local edits), uninstall it.
//!
//! Rules that hold throughout: workspace versions are numbered 1, 2, 3… and never change;
//! `released` changes only through `release`; every change writes its install event and its
//! audit entry in the same transaction.

pub mod notifications;
pub mod reads;

use chrono::Utc;
use entities::{
    connector, connector_version, workspace_connector, workspace_connector_version as wcv,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit;
use crate::auth::Principal;
use crate::authz::source::{self, SourceOf};
use crate::authz::{Authorizer, Permission, WorkspaceAccess, WorkspaceRef};
use crate::catalog::ledger::{self, InstallEvent, InstallKind};
use crate::catalog::listings::{self, newest_installable, validate_source};
use crate::db;
use crate::error::{ServiceError, ServiceResult, UserProblem, unless_taken};

/// Where a workspace version's content came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Installed,
    Edited,
    Updated,
    Restored,
    Imported,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Installed => "installed",
            Self::Edited => "edited",
            Self::Updated => "updated",
            Self::Restored => "restored",
            Self::Imported => "imported",
        }
    }
}

/// How to bring local edits along when updating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateStrategy {
    /// Take the new community version as it is; local edits stay in older versions.
    Replace,
    /// Three-way merge of the old community version, the local latest and the new one.
    Merge,
}

/// A copy after a change, and whether anything changed.
#[derive(Debug, Clone)]
pub struct Changed {
    pub copy: workspace_connector::Model,
    pub changed: bool,
    /// The caller's standing in the copy's workspace, as the change authorized it (for the
    /// answer: what the caller may do next).
    pub access: WorkspaceAccess,
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Load a copy by id and authorize `permission` in its workspace. A copy in a workspace the caller
/// is not a member of answers exactly like a missing one.
pub async fn open_copy(
    db: &impl ConnectionTrait,
    authorizer: &Authorizer,
    principal: &Principal,
    copy_id: i64,
    permission: Option<Permission>,
) -> ServiceResult<(WorkspaceAccess, workspace_connector::Model)> {
    principal.require_user()?;
    let copy = workspace_connector::Entity::find_by_id(copy_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("workspace connector".into()))?;
    let access = authorizer
        .authorize_for_object(
            db,
            principal,
            copy.workspace_id,
            permission,
            "workspace connector",
        )
        .await?;
    Ok((access, copy))
}

/// The versions of a copy, newest first.
pub async fn versions(db: &impl ConnectionTrait, copy_id: i64) -> Result<Vec<wcv::Model>, DbErr> {
    wcv::Entity::find()
        .filter(wcv::Column::WorkspaceConnectorId.eq(copy_id))
        .order_by_desc(wcv::Column::Number)
        .all(db)
        .await
}

/// One version of a copy by number.
pub async fn version(
    db: &impl ConnectionTrait,
    copy_id: i64,
    number: i32,
) -> Result<Option<wcv::Model>, DbErr> {
    wcv::Entity::find()
        .filter(wcv::Column::WorkspaceConnectorId.eq(copy_id))
        .filter(wcv::Column::Number.eq(number))
        .one(db)
        .await
}

async fn audit_success(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    action: Permission,
    copy: &workspace_connector::Model,
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    let object = ("workspace_connector", copy.id.to_string());
    audit::success(txn, access, &action.name(), object, detail).await
}

struct NewWorkspaceVersion<'a> {
    source: String,
    origin: Origin,
    base_version_id: Option<i64>,
    capabilities: &'a sdk::Capabilities,
}

/// Append version `latest + 1` to `copy` and make it the latest.
async fn append_version(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    copy: workspace_connector::Model,
    new: NewWorkspaceVersion<'_>,
    parent_version_id: Option<i64>,
) -> ServiceResult<workspace_connector::Model> {
    let number = copy.latest_number + 1;
    insert_version(txn, copy.id, number, access.user.id, new).await?;
    let mut active: workspace_connector::ActiveModel = copy.into();
    active.latest_number = Set(number);
    active.parent_version_id = Set(parent_version_id);
    active.updated_at = Set(Utc::now());
    Ok(active.update(txn).await?)
}

async fn insert_version(
    txn: &DatabaseTransaction,
    copy_id: i64,
    number: i32,
    author_id: i64,
    new: NewWorkspaceVersion<'_>,
) -> ServiceResult<wcv::Model> {
    let capabilities = serde_json::to_value(new.capabilities)
        .map_err(|err| anyhow::anyhow!("serialising capabilities: {err}"))?;
    Ok(wcv::ActiveModel {
        workspace_connector_id: Set(copy_id),
        number: Set(number),
        sha256: Set(sha256(&new.source)),
        source: Set(new.source),
        origin: Set(new.origin.as_str().to_owned()),
        author_id: Set(Some(author_id)),
        base_version_id: Set(new.base_version_id),
        capabilities: Set(capabilities),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

fn stored_capabilities(value: &serde_json::Value) -> ServiceResult<sdk::Capabilities> {
    serde_json::from_value(value.clone())
        .map_err(|err| ServiceError::Internal(anyhow::anyhow!("stored capabilities: {err}")))
}

/// Install a listing into a workspace as an editable copy. Version 1 is the chosen community
/// version (by default the newest installable); nothing is released yet.
pub async fn install(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    workspace_slug: &str,
    listing_slug: &str,
    version: Option<&str>,
) -> ServiceResult<Changed> {
    let access = authorizer
        .authorize(
            db,
            principal,
            WorkspaceRef::Slug(workspace_slug),
            Some(Permission::ConnectorInstall),
        )
        .await?;
    let listing = listings::find_by_slug(db, listing_slug).await?;
    let chosen = choose_version(db, &listing, version).await?;
    let capabilities = stored_capabilities(&chosen.capabilities)?;

    let txn = db::begin_write(db).await?;
    let now = Utc::now();
    let inserted = workspace_connector::ActiveModel {
        workspace_id: Set(access.workspace.id),
        connector_id: Set(Some(listing.id)),
        name: Set(listing.name.clone()),
        parent_version_id: Set(Some(chosen.id)),
        latest_number: Set(1),
        released_number: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    // The unique index on (workspace, listing) refuses a second copy, whether installs come one
    // after the other or race: no read-then-insert round trip.
    let copy = unless_taken(inserted, || already_installed(&listing))?;
    let new = NewWorkspaceVersion {
        source: chosen.source.clone(),
        origin: Origin::Installed,
        base_version_id: Some(chosen.id),
        capabilities: &capabilities,
    };
    insert_version(&txn, copy.id, 1, access.user.id, new).await?;
    ledger::record(
        &txn,
        &InstallEvent {
            connector_id: listing.id,
            version_id: chosen.id,
            from_version_id: None,
            workspace_id: access.workspace.id,
            user_id: Some(access.user.id),
            kind: InstallKind::Install,
            at: now,
        },
    )
    .await?;
    let detail = json!({ "listing": listing.slug, "version": chosen.version });
    audit_success(&txn, &access, Permission::ConnectorInstall, &copy, detail).await?;
    txn.commit().await?;
    Ok(Changed {
        copy,
        changed: true,
        access,
    })
}

fn already_installed(listing: &connector::Model) -> ServiceError {
    UserProblem::conflict(
        &["input", "connector"],
        format!(
            "{} is already installed in this workspace; update it instead",
            listing.slug
        ),
    )
    .into()
}

async fn choose_version(
    db: &impl ConnectionTrait,
    listing: &connector::Model,
    version: Option<&str>,
) -> ServiceResult<connector_version::Model> {
    let versions = connector_version::Entity::find()
        .filter(connector_version::Column::ConnectorId.eq(listing.id))
        .all(db)
        .await?;
    match version {
        Some(wanted) => {
            let found = versions
                .into_iter()
                .find(|v| v.version == wanted.trim())
                .ok_or_else(|| {
                    ServiceError::from(UserProblem::bad_input(
                        &["input", "version"],
                        format!("{} has no version {wanted}", listing.slug),
                    ))
                })?;
            if found.yanked {
                return Err(UserProblem::bad_input(
                    &["input", "version"],
                    format!(
                        "version {} of {} is yanked and cannot be newly installed",
                        found.version, listing.slug
                    ),
                )
                .into());
            }
            Ok(found)
        }
        None => newest_installable(&versions).cloned().ok_or_else(|| {
            UserProblem::bad_input(
                &["input", "connector"],
                format!("{} has no installable version", listing.slug),
            )
            .into()
        }),
    }
}

/// The source rule (`authz::source`) for a copy's versions: `permission` is
/// `ConnectorViewSource` to read them, `ConnectorEdit` to change them. A closed-source refusal
/// is on the audit log.
pub async fn require_source(
    db: &impl ConnectionTrait,
    access: &WorkspaceAccess,
    copy: &workspace_connector::Model,
    permission: Permission,
) -> ServiceResult<()> {
    let listing = source::parent_listing(db, copy).await?;
    let owner = source::owns(db, listing.as_ref(), &access.user).await?;
    let of = SourceOf {
        permission,
        object_type: "workspace_connector",
        object_id: copy.id,
    };
    source::require_readable(
        db,
        (&access.user, owner),
        listing.as_ref(),
        Some(access),
        of,
    )
    .await
}

/// Whether the caller may read this copy's source, as [`require_source`] decides it, without an
/// audit entry: for what only shows or hides a part of an answer (an update's diff).
pub async fn source_shown(
    db: &impl ConnectionTrait,
    access: &WorkspaceAccess,
    copy: &workspace_connector::Model,
) -> ServiceResult<bool> {
    let listing = source::parent_listing(db, copy).await?;
    let owner = source::owns(db, listing.as_ref(), &access.user).await?;
    Ok(source::decide(
        owner,
        listing.as_ref(),
        Some(access),
        Permission::ConnectorViewSource,
    )
    .is_ok())
}

/// Save edited source as the new latest version. Released stays where it is.
pub async fn edit(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    copy_id: i64,
    source: String,
) -> ServiceResult<Changed> {
    let (access, copy) = open_copy(
        db,
        authorizer,
        principal,
        copy_id,
        Some(Permission::ConnectorEdit),
    )
    .await?;
    require_source(db, &access, &copy, Permission::ConnectorEdit).await?;
    let capabilities = validate_source(source.clone()).await?;
    let txn = db::begin_write(db).await?;
    let copy = relock(&txn, copy.id).await?;
    let latest = version(&txn, copy.id, copy.latest_number)
        .await?
        .ok_or_else(|| anyhow::anyhow!("copy {} has no latest version", copy.id))?;
    if latest.sha256 == sha256(&source) {
        return Ok(Changed {
            copy,
            changed: false,
            access,
        });
    }
    let parent = copy.parent_version_id;
    let new = NewWorkspaceVersion {
        source,
        origin: Origin::Edited,
        base_version_id: latest.base_version_id,
        capabilities: &capabilities,
    };
    let copy = append_version(&txn, &access, copy, new, parent).await?;
    let detail = json!({ "number": copy.latest_number });
    audit_success(&txn, &access, Permission::ConnectorEdit, &copy, detail).await?;
    txn.commit().await?;
    Ok(Changed {
        copy,
        changed: true,
        access,
    })
}

/// Re-read a copy inside a write transaction (it may have changed since it was authorized).
async fn relock(
    txn: &DatabaseTransaction,
    copy_id: i64,
) -> ServiceResult<workspace_connector::Model> {
    let mut query = workspace_connector::Entity::find_by_id(copy_id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::QuerySelect;
        query = query.lock_exclusive();
    }
    query
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound("workspace connector".into()))
}

/// Release the latest version to recipes. Releasing what is already released changes nothing.
pub async fn release(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    copy_id: i64,
) -> ServiceResult<Changed> {
    let (access, copy) = open_copy(
        db,
        authorizer,
        principal,
        copy_id,
        Some(Permission::ConnectorRelease),
    )
    .await?;
    let txn = db::begin_write(db).await?;
    let copy = relock(&txn, copy.id).await?;
    if copy.released_number == Some(copy.latest_number) {
        return Ok(Changed {
            copy,
            changed: false,
            access,
        });
    }
    let from = copy.released_number;
    let mut active: workspace_connector::ActiveModel = copy.into();
    active.released_number = Set(Some(*active.latest_number.as_ref()));
    active.updated_at = Set(Utc::now());
    let copy = active.update(&txn).await?;
    let detail = json!({ "from": from, "to": copy.released_number });
    audit_success(&txn, &access, Permission::ConnectorRelease, &copy, detail).await?;
    txn.commit().await?;
    Ok(Changed {
        copy,
        changed: true,
        access,
    })
}

/// Make a copy of version `number` the new latest (release it afterwards to roll back).
pub async fn restore(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    copy_id: i64,
    number: i32,
) -> ServiceResult<Changed> {
    let (access, copy) = open_copy(
        db,
        authorizer,
        principal,
        copy_id,
        Some(Permission::ConnectorEdit),
    )
    .await?;
    let txn = db::begin_write(db).await?;
    let copy = relock(&txn, copy.id).await?;
    let old = version(&txn, copy.id, number).await?.ok_or_else(|| {
        ServiceError::from(UserProblem::bad_input(
            &["input", "number"],
            format!("there is no version {number}"),
        ))
    })?;
    if number == copy.latest_number {
        return Ok(Changed {
            copy,
            changed: false,
            access,
        });
    }
    let capabilities = stored_capabilities(&old.capabilities)?;
    let parent = copy.parent_version_id;
    let new = NewWorkspaceVersion {
        source: old.source.clone(),
        origin: Origin::Restored,
        base_version_id: old.base_version_id,
        capabilities: &capabilities,
    };
    let copy = append_version(&txn, &access, copy, new, parent).await?;
    let detail = json!({ "restored": number, "number": copy.latest_number });
    audit_success(&txn, &access, Permission::ConnectorEdit, &copy, detail).await?;
    txn.commit().await?;
    Ok(Changed {
        copy,
        changed: true,
        access,
    })
}

/// What an update would do: the versions involved and whether the latest has local edits.
pub struct UpdatePlan {
    pub copy: workspace_connector::Model,
    pub latest: wcv::Model,
    pub base: Option<connector_version::Model>,
    pub target: connector_version::Model,
    pub has_local_edits: bool,
}

/// Work out the update of a copy to `version` (by default the newest installable version newer
/// than its parent).
pub async fn plan_update(
    db: &impl ConnectionTrait,
    copy: workspace_connector::Model,
    version: Option<&str>,
) -> ServiceResult<UpdatePlan> {
    let listing_id = copy.connector_id.ok_or_else(|| {
        ServiceError::from(UserProblem::bad_input(
            &["input", "workspaceConnectorId"],
            "this connector was built in the workspace and has no community parent",
        ))
    })?;
    let listing = connector::Entity::find_by_id(listing_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("connector".into()))?;
    let target = choose_version(db, &listing, version).await?;
    let parent = match copy.parent_version_id {
        Some(id) => connector_version::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    if let Some(parent) = &parent {
        let newer = match (
            semver::Version::parse(&target.version),
            semver::Version::parse(&parent.version),
        ) {
            (Ok(t), Ok(p)) => t > p,
            _ => target.id > parent.id,
        };
        if !newer {
            return Err(UserProblem::bad_input(
                &["input", "version"],
                format!(
                    "the copy already follows {} {}; nothing newer to update to",
                    listing.slug, parent.version
                ),
            )
            .into());
        }
    }
    let latest = version_required(db, &copy).await?;
    let base = match latest.base_version_id {
        Some(id) => connector_version::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let has_local_edits = base.as_ref().is_none_or(|b| b.sha256 != latest.sha256);
    Ok(UpdatePlan {
        copy,
        latest,
        base,
        target,
        has_local_edits,
    })
}

async fn version_required(
    db: &impl ConnectionTrait,
    copy: &workspace_connector::Model,
) -> ServiceResult<wcv::Model> {
    version(db, copy.id, copy.latest_number)
        .await?
        .ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("copy {} has no latest version", copy.id))
        })
}

/// Update a copy to a newer community version: a new latest version, the parent moves, the
/// released version stays. With local edits the caller must choose `REPLACE` or `MERGE`; a merge
/// with conflicts writes nothing and reports them.
pub async fn update(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    copy_id: i64,
    version: Option<&str>,
    strategy: Option<UpdateStrategy>,
) -> ServiceResult<Changed> {
    let (access, copy) = open_copy(
        db,
        authorizer,
        principal,
        copy_id,
        Some(Permission::ConnectorEdit),
    )
    .await?;
    let plan = plan_update(db, copy, version).await?;
    let source = match (plan.has_local_edits, strategy) {
        (false, _) | (true, Some(UpdateStrategy::Replace)) => plan.target.source.clone(),
        (true, None) => {
            return Err(UserProblem::bad_input(
                &["input", "strategy"],
                "the latest version has local edits: choose REPLACE (keep them only in history) or MERGE",
            )
            .into());
        }
        (true, Some(UpdateStrategy::Merge)) => {
            let base = plan
                .base
                .as_ref()
                .map(|b| b.source.as_str())
                .unwrap_or_default();
            sdk::diff::merge(base, &plan.latest.source, &plan.target.source).map_err(|conflicts| {
                let problems = conflicts
                    .iter()
                    .map(|c| {
                        let mut p = UserProblem::conflict(
                            &["input", "strategy"],
                            format!(
                                "merge conflict at line {} of the local version: local and incoming both changed it",
                                c.start_line
                            ),
                        );
                        p.line = Some(c.start_line);
                        p
                    })
                    .collect();
                ServiceError::User(problems)
            })?
        }
    };
    let capabilities = validate_source(source.clone()).await?;

    let txn = db::begin_write(db).await?;
    let copy = relock(&txn, plan.copy.id).await?;
    if copy.latest_number != plan.copy.latest_number
        || copy.parent_version_id != plan.copy.parent_version_id
    {
        return Err(UserProblem::conflict(
            &["input", "workspaceConnectorId"],
            "the copy changed while the update was prepared; try again",
        )
        .into());
    }
    let from_parent = copy.parent_version_id;
    let new = NewWorkspaceVersion {
        source,
        origin: Origin::Updated,
        base_version_id: Some(plan.target.id),
        capabilities: &capabilities,
    };
    let copy = append_version(&txn, &access, copy, new, Some(plan.target.id)).await?;
    if let Some(listing_id) = copy.connector_id {
        ledger::record(
            &txn,
            &InstallEvent {
                connector_id: listing_id,
                version_id: plan.target.id,
                from_version_id: from_parent,
                workspace_id: access.workspace.id,
                user_id: Some(access.user.id),
                kind: InstallKind::Update,
                at: Utc::now(),
            },
        )
        .await?;
    }
    let detail = json!({
        "to": plan.target.version,
        "number": copy.latest_number,
        "strategy": match strategy { Some(UpdateStrategy::Merge) => "merge", Some(UpdateStrategy::Replace) => "replace", None => "none" },
    });
    audit_success(&txn, &access, Permission::ConnectorEdit, &copy, detail).await?;
    txn.commit().await?;
    Ok(Changed {
        copy,
        changed: true,
        access,
    })
}

/// Remove a copy from its workspace; refused while a recipe or a connection uses it.
pub async fn uninstall(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    copy_id: i64,
) -> ServiceResult<workspace_connector::Model> {
    let (access, copy) = open_copy(
        db,
        authorizer,
        principal,
        copy_id,
        Some(Permission::ConnectorUninstall),
    )
    .await?;
    let txn = db::begin_write(db).await?;
    let copy = relock(&txn, copy.id).await?;
    if let Some(users) = crate::recipes::users_of(&txn, copy.id).await? {
        return Err(UserProblem::conflict(
            &["input", "workspaceConnectorId"],
            format!(
                "{} is in use by {users}: change or delete them first",
                copy.name
            ),
        )
        .into());
    }
    if let (Some(listing_id), Some(version_id)) = (copy.connector_id, copy.parent_version_id) {
        ledger::record(
            &txn,
            &InstallEvent {
                connector_id: listing_id,
                version_id,
                from_version_id: None,
                workspace_id: access.workspace.id,
                user_id: Some(access.user.id),
                kind: InstallKind::Uninstall,
                at: Utc::now(),
            },
        )
        .await?;
    }
    workspace_connector::Entity::delete_by_id(copy.id)
        .exec(&txn)
        .await?;
    let detail = json!({ "name": copy.name });
    audit_success(&txn, &access, Permission::ConnectorUninstall, &copy, detail).await?;
    txn.commit().await?;
    Ok(copy)
}

/// The copies in a workspace, by name.
pub async fn copies(
    db: &impl ConnectionTrait,
    workspace_id: i64,
) -> Result<Vec<workspace_connector::Model>, DbErr> {
    workspace_connector::Entity::find()
        .filter(workspace_connector::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(workspace_connector::Column::Name)
        .order_by_asc(workspace_connector::Column::Id)
        .all(db)
        .await
}
