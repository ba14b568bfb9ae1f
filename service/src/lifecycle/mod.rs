//! The lifecycle of a connector inside a workspace: install a listing as an editable copy, edit
//! it, release it to recipes, restore an old version, update it to a new community version
//! (replacing or merging local edits), uninstall it.
//!
//! Rules that hold throughout: workspace versions are numbered 1, 2, 3… and never change;
//! `released` changes only through `release` (and an import, which releases what it writes);
//! every change writes its install event and its audit entry in the same transaction. `write`
//! is where a version is written, numbered, released and put on the ledger, for these changes
//! and for `packages`' import alike.

mod edit;
mod install;
pub mod notifications;
pub mod reads;
mod update;
mod write;

pub use edit::{edit, release, restore};
pub use install::{install, uninstall};
pub use update::{UpdatePlan, plan_update, update};
pub(crate) use write::{
    Follows, Head, NewCopy, NewWorkspaceVersion, insert_copy, next_number, record_on_ledger,
    write_version,
};
use write::{append_version, insert_version, release_latest, sha256};

use entities::{workspace_connector, workspace_connector_version as wcv};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::audit;
use crate::auth::Principal;
use crate::authz::source::{self, SourceOf};
use crate::authz::{Authorizer, Permission, WorkspaceAccess};
use crate::error::{ServiceError, ServiceResult};

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

fn stored_capabilities(value: &serde_json::Value) -> ServiceResult<sdk::Capabilities> {
    serde_json::from_value(value.clone())
        .map_err(|err| ServiceError::Internal(anyhow::anyhow!("stored capabilities: {err}")))
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
