//! Change a copy by hand: edit its source, release its latest version, restore an old one.

use chrono::Utc;
use entities::workspace_connector;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use serde_json::json;

use super::*;
use crate::auth::Principal;
use crate::authz::{Authorizer, Permission};
use crate::catalog::listings::validate_source;
use crate::db;
use crate::debugger::Runner;
use crate::error::{ServiceError, ServiceResult, UserProblem};

/// Save edited source as the new latest version. Released stays where it is.
pub async fn edit(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    runner: &Runner,
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
    let capabilities = validate_source(runner, source.clone()).await?;
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
    release_latest(&mut active);
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
