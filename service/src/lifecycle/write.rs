//! Writing a copy and its versions: the one way a workspace version is numbered, written,
//! released and entered on the install ledger — for the lifecycle's own changes and for an
//! import (`packages::apply`) alike.

use chrono::{DateTime, Utc};
use entities::{workspace_connector, workspace_connector_version as wcv};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseTransaction, DbErr};
use sha2::{Digest, Sha256};

use super::Origin;
use crate::authz::WorkspaceAccess;
use crate::catalog::ledger::{self, InstallEvent, InstallKind};
use crate::error::ServiceResult;

pub(super) fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A workspace's new copy of a community listing.
pub(crate) struct NewCopy<'a> {
    pub workspace_id: i64,
    pub listing_id: i64,
    pub name: &'a str,
    /// The community version the copy follows.
    pub parent_version_id: Option<i64>,
    /// 1 when version 1 is written with the copy ([`insert_version`]), 0 when its first version
    /// is still to be written ([`write_version`]).
    pub latest_number: i32,
}

/// Insert a copy, nothing released yet. The unique index on (workspace, listing) refuses a
/// second copy of a listing: the caller decides what that error means.
pub(crate) async fn insert_copy(
    txn: &DatabaseTransaction,
    new: NewCopy<'_>,
    at: DateTime<Utc>,
) -> Result<workspace_connector::Model, DbErr> {
    workspace_connector::ActiveModel {
        workspace_id: Set(new.workspace_id),
        connector_id: Set(Some(new.listing_id)),
        name: Set(new.name.to_owned()),
        parent_version_id: Set(new.parent_version_id),
        latest_number: Set(new.latest_number),
        released_number: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await
}

/// The content of a new workspace version.
pub(crate) struct NewWorkspaceVersion<'a> {
    pub source: String,
    pub origin: Origin,
    /// The community version this content was taken from.
    pub base_version_id: Option<i64>,
    pub capabilities: &'a sdk::Capabilities,
}

/// Where a new version leaves its copy.
pub(crate) struct Head {
    /// The version's number: [`next_number`], or what an import's plan fixed (the same, planned
    /// inside the same transaction).
    pub number: i32,
    /// The community version the copy follows from now on.
    pub parent_version_id: Option<i64>,
    /// Whether the new version is released at once (an import), in the same update.
    pub release: bool,
    pub at: DateTime<Utc>,
}

/// Workspace versions are numbered 1, 2, 3…: the next one after the copy's latest.
pub(crate) fn next_number(copy: &workspace_connector::Model) -> i32 {
    copy.latest_number + 1
}

/// Write version `head.number` of `copy` by `author_id` and make it the latest (released too
/// with `head.release`).
pub(crate) async fn write_version(
    txn: &DatabaseTransaction,
    author_id: i64,
    copy: workspace_connector::Model,
    new: NewWorkspaceVersion<'_>,
    head: Head,
) -> ServiceResult<workspace_connector::Model> {
    insert_version(txn, copy.id, head.number, author_id, new, head.at).await?;
    let mut active: workspace_connector::ActiveModel = copy.into();
    active.latest_number = Set(head.number);
    if head.release {
        release_latest(&mut active);
    }
    active.parent_version_id = Set(head.parent_version_id);
    active.updated_at = Set(head.at);
    Ok(active.update(txn).await?)
}

/// Append version `latest + 1` to `copy` and make it the latest; released stays where it is.
pub(super) async fn append_version(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    copy: workspace_connector::Model,
    new: NewWorkspaceVersion<'_>,
    parent_version_id: Option<i64>,
) -> ServiceResult<workspace_connector::Model> {
    let head = Head {
        number: next_number(&copy),
        parent_version_id,
        release: false,
        at: Utc::now(),
    };
    write_version(txn, access.user.id, copy, new, head).await
}

/// Insert version `number` of the copy `copy_id`; the copy itself is the caller's to move.
pub(crate) async fn insert_version(
    txn: &DatabaseTransaction,
    copy_id: i64,
    number: i32,
    author_id: i64,
    new: NewWorkspaceVersion<'_>,
    at: DateTime<Utc>,
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
        created_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

/// Release the latest version of a copy being changed: the one place `released` moves.
pub(super) fn release_latest(copy: &mut workspace_connector::ActiveModel) {
    copy.released_number = Set(Some(*copy.latest_number.as_ref()));
}

/// The community version a change leaves a copy on, as the install ledger records it.
pub(crate) struct Follows {
    pub listing_id: i64,
    pub version_id: i64,
    /// For an update: the version the copy followed before.
    pub from_version_id: Option<i64>,
}

/// Enter a change `access` made to its workspace's copy on the install ledger (and its counters).
pub(crate) async fn record_on_ledger(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    kind: InstallKind,
    follows: Follows,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let event = InstallEvent {
        connector_id: follows.listing_id,
        version_id: follows.version_id,
        from_version_id: follows.from_version_id,
        workspace_id: access.workspace.id,
        user_id: Some(access.user.id),
        kind,
        at,
    };
    ledger::record(txn, &event).await
}
