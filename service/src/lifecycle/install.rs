//! Install a listing into a workspace as a copy, and uninstall one.

use chrono::Utc;
use entities::{connector, connector_version, workspace_connector};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use super::*;
use crate::auth::Principal;
use crate::authz::{Authorizer, Permission, WorkspaceRef};
use crate::catalog::ledger::InstallKind;
use crate::catalog::listings::{self, newest_installable};
use crate::db;
use crate::error::{ServiceError, ServiceResult, UserProblem, unless_taken};

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
    let new_copy = NewCopy {
        workspace_id: access.workspace.id,
        listing_id: listing.id,
        name: &listing.name,
        parent_version_id: Some(chosen.id),
        latest_number: 1,
    };
    let inserted = insert_copy(&txn, new_copy, now).await;
    // The unique index on (workspace, listing) refuses a second copy, whether installs come one
    // after the other or race: no read-then-insert round trip.
    let copy = unless_taken(inserted, || already_installed(&listing))?;
    let new = NewWorkspaceVersion {
        source: chosen.source.clone(),
        origin: Origin::Installed,
        base_version_id: Some(chosen.id),
        capabilities: &capabilities,
    };
    insert_version(&txn, copy.id, 1, access.user.id, new, Utc::now()).await?;
    let follows = Follows {
        listing_id: listing.id,
        version_id: chosen.id,
        from_version_id: None,
    };
    record_on_ledger(&txn, &access, InstallKind::Install, follows, now).await?;
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

pub(super) async fn choose_version(
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
        let follows = Follows {
            listing_id,
            version_id,
            from_version_id: None,
        };
        record_on_ledger(&txn, &access, InstallKind::Uninstall, follows, Utc::now()).await?;
    }
    workspace_connector::Entity::delete_by_id(copy.id)
        .exec(&txn)
        .await?;
    let detail = json!({ "name": copy.name });
    audit_success(&txn, &access, Permission::ConnectorUninstall, &copy, detail).await?;
    txn.commit().await?;
    Ok(copy)
}
