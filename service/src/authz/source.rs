//! The one rule for reading a connector's source, wherever it is shown: a community version in
//! the catalog, or a workspace copy's version.
//!
//! - The listing's owners always may.
//! - Anyone else needs `connector.view_source` in a workspace: the one the request names for a
//!   catalog version, the copy's own for a copy.
//! - A closed-source listing (and every copy of it) shows its code to its owners only; a refusal
//!   for that reason is written to the workspace's audit log.
//! - A connector built in a workspace (a copy without a listing) needs only the permission.

use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use super::{Permission, WorkspaceAccess, is_owner};
use crate::audit::{self, AuditEntry, Outcome};
use crate::error::{ServiceError, ServiceResult};
use crate::model::{Listing, User, WorkspaceCopy};

/// What is asked of which source (the audit entry of a refusal names it).
#[derive(Debug, Clone, Copy)]
pub struct SourceOf<'a> {
    /// Reading (`ConnectorViewSource`) or changing (`ConnectorEdit`).
    pub permission: Permission,
    /// `connector_version` or `workspace_connector`.
    pub object_type: &'a str,
    pub object_id: i64,
}

/// The rule itself: may a reader see (`ConnectorViewSource`) or change (`ConnectorEdit`) the
/// source of `listing`'s code, or of a workspace's own connector when `listing` is `None`?
/// `owner` is whether they own the listing ([`owns`]); `access` is their standing in the
/// workspace the request names, if any.
pub fn decide(
    owner: bool,
    listing: Option<&Listing>,
    access: Option<&WorkspaceAccess>,
    permission: Permission,
) -> Result<(), Refusal> {
    if owner {
        return Ok(());
    }
    match access {
        None => Err(Refusal::NoWorkspace),
        Some(access) if !access.can(permission) => Err(Refusal::NoPermission(permission)),
        Some(_) if listing.is_some_and(|l| l.source_hidden) => Err(Refusal::ClosedSource),
        Some(_) => Ok(()),
    }
}

/// Whether `user` owns `listing` (false when there is none).
pub async fn owns(
    db: &impl ConnectionTrait,
    listing: Option<&Listing>,
    user: &User,
) -> ServiceResult<bool> {
    match listing {
        Some(listing) => is_owner(db, listing, user).await,
        None => Ok(false),
    }
}

/// Why a source is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not an owner, and no workspace named where the permission could be held.
    NoWorkspace,
    /// The workspace does not grant the permission.
    NoPermission(Permission),
    /// The listing is closed source and the reader is not one of its owners.
    ClosedSource,
}

impl Refusal {
    pub fn into_error(self) -> ServiceError {
        ServiceError::Forbidden(
            match self {
                Self::NoWorkspace => {
                    "read source without naming a workspace where you hold CONNECTOR_VIEW_SOURCE"
                }
                Self::NoPermission(permission) => {
                    return ServiceError::Forbidden(permission.describe());
                }
                Self::ClosedSource => {
                    "read or edit the source of a closed-source connector (only its owners can)"
                }
            }
            .to_owned(),
        )
    }
}

/// [`decide`], with the refusal as an error; a closed-source refusal inside a workspace is
/// written to its audit log first.
pub async fn require_readable(
    db: &impl ConnectionTrait,
    reader: (&User, bool),
    listing: Option<&Listing>,
    access: Option<&WorkspaceAccess>,
    of: SourceOf<'_>,
) -> ServiceResult<()> {
    let (user, owner) = reader;
    let Err(refusal) = decide(owner, listing, access, of.permission) else {
        return Ok(());
    };
    if let (Refusal::ClosedSource, Some(access)) = (refusal, access) {
        audit::record(
            db,
            AuditEntry {
                workspace_id: Some(access.workspace.id),
                actor_id: Some(user.id),
                action: &Permission::ConnectorViewSource.name(),
                object_type: of.object_type,
                object_id: of.object_id.to_string(),
                outcome: Outcome::Denied,
                detail: json!({ "reason": "closed source" }),
            },
        )
        .await?;
    }
    Err(refusal.into_error())
}

/// The listing a copy was installed from, if it has one.
pub async fn parent_listing(
    db: &impl ConnectionTrait,
    copy: &WorkspaceCopy,
) -> ServiceResult<Option<Listing>> {
    let Some(listing_id) = copy.connector_id else {
        return Ok(None);
    };
    let listing = entities::connector::Entity::find_by_id(listing_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("connector".into()))?;
    Ok(Some(listing))
}
