//! A workspace's custom roles: creating one or changing what it allows.

use std::collections::BTreeSet;

use chrono::Utc;
use entities::role;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter,
};
use serde_json::json;

use crate::audit::{self};
use crate::auth::Principal;
use crate::authz::{Authorizer, BuiltinRole, Permission, WorkspaceAccess, WorkspaceRef, policy};
use crate::db;
use crate::domain::{self, Slug};
use crate::error::{ServiceResult, UserProblem};

use super::*;

/// Create a custom role, or change the permissions of an existing custom role.
pub async fn set_role(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    workspace_slug: &str,
    name: &str,
    description: &str,
    permissions: &[Permission],
) -> ServiceResult<RoleView> {
    let access = authorizer
        .authorize(
            db,
            principal,
            WorkspaceRef::Slug(workspace_slug),
            Some(Permission::WorkspaceManageRoles),
        )
        .await?;
    let name = Slug::parse(&["input", "name"], name, 32)?.into_string();
    if BuiltinRole::from_name(&name).is_some() {
        return Err(
            UserProblem::bad_input(&["input", "name"], "built-in roles cannot be changed").into(),
        );
    }
    let description = domain::text(&["input", "description"], description, 200, true)?;
    let permissions: BTreeSet<Permission> = permissions.iter().copied().collect();
    let txn = db::begin_write(db).await?;
    let access = standing_now(&txn, authorizer, &access, Permission::WorkspaceManageRoles).await?;
    let existing = role::Entity::find()
        .filter(role::Column::WorkspaceId.eq(access.workspace.id))
        .filter(role::Column::Name.eq(&name))
        .one(&txn)
        .await?;
    // Nobody creates or edits a role with permissions beyond their own, nor edits one that
    // holds more than they do.
    let held_now = role_grants(&txn, access.workspace.id)
        .await?
        .remove(&name)
        .unwrap_or_default();
    if let Some(reason) = escalation(&access, &name, &permissions, &held_now) {
        txn.rollback().await?;
        let attempt =
            json!({ "permissions": permissions.iter().map(|p| p.name()).collect::<Vec<_>>() });
        return Err(refuse(
            db,
            &access,
            "workspace.manage_roles",
            "role",
            &name,
            reason,
            attempt,
        )
        .await);
    }
    let role = save_role(&txn, access.workspace.id, existing, &name, description).await?;
    policy::set_role_permissions(&txn, access.workspace.id, &name, &permissions).await?;
    audit::success(
        &txn,
        &access,
        "workspace.manage_roles",
        ("role", name.clone()),
        json!({ "permissions": permissions.iter().map(|p| p.name()).collect::<Vec<_>>() }),
    )
    .await?;
    txn.commit().await?;
    authorizer.catch_up(db, access.workspace.id).await?;
    Ok(RoleView {
        role,
        permissions: permissions.into_iter().collect(),
    })
}

/// Why the caller may not set this role, if they may not: it would grant permissions beyond their
/// own, or it holds some already.
fn escalation(
    access: &WorkspaceAccess,
    name: &str,
    permissions: &BTreeSet<Permission>,
    held_now: &BTreeSet<Permission>,
) -> Option<String> {
    beyond_own(access, permissions)
        .map(|missing| format!("give the role {name:?} permissions you do not hold ({missing})"))
        .or_else(|| {
            beyond_own(access, held_now).map(|missing| {
                format!(
                    "change the role {name:?}: it holds permissions you do not hold ({missing})"
                )
            })
        })
}

/// Change the description of the role `existing`, or create the custom role `name`.
async fn save_role(
    txn: &DatabaseTransaction,
    workspace_id: i64,
    existing: Option<role::Model>,
    name: &str,
    description: String,
) -> ServiceResult<role::Model> {
    Ok(match existing {
        Some(found) => {
            let mut active: role::ActiveModel = found.into();
            active.description = Set(description);
            active.update(txn).await?
        }
        None => {
            role::ActiveModel {
                workspace_id: Set(workspace_id),
                name: Set(name.to_owned()),
                description: Set(description),
                builtin: Set(false),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(txn)
            .await?
        }
    })
}
