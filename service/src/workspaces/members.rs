//! Who belongs to a workspace: adding a member or changing their role (by an admin, or by the
//! platform operator), and removing one; the last admin stays.

use entities::{user, workspace};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use crate::audit::{self, AuditEntry, Outcome};
use crate::auth::Principal;
use crate::authz::{Authorizer, BuiltinRole, Permission, WorkspaceRef, policy};
use crate::db;
use crate::error::{ServiceError, ServiceResult, UserProblem};

use super::*;

/// Add a member with a role, or change the role of an existing member.
pub async fn set_member(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    workspace_slug: &str,
    handle: &str,
    role_name: &str,
) -> ServiceResult<Member> {
    let access = authorizer
        .authorize(
            db,
            principal,
            WorkspaceRef::Slug(workspace_slug),
            Some(Permission::WorkspaceManageMembers),
        )
        .await?;
    let member = crate::auth::input_user(db, handle).await?;
    let txn = db::begin_write(db).await?;
    let access = standing_now(
        &txn,
        authorizer,
        &access,
        Permission::WorkspaceManageMembers,
    )
    .await?;
    let role = find_role(&txn, access.workspace.id, role_name).await?;
    let current = current_role(&txn, access.workspace.id, member.id).await?;
    let grants = role_grants(&txn, access.workspace.id).await?;
    if let Some(reason) = assignment_refusal(
        &access,
        &grants,
        &member.handle,
        current.as_deref(),
        Some(&role.name),
    ) {
        txn.rollback().await?;
        let attempt = json!({ "member": member.handle, "role": role.name });
        return Err(refuse(
            db,
            &access,
            "workspace.manage_members",
            "member",
            &member.handle,
            reason,
            attempt,
        )
        .await);
    }
    if role.name != BuiltinRole::Admin.name()
        && is_last_admin(&txn, access.workspace.id, member.id).await?
    {
        return Err(UserProblem::bad_input(
            &["input", "role"],
            "a workspace must keep at least one admin",
        )
        .into());
    }
    policy::assign_role(&txn, access.workspace.id, member.id, &role.name).await?;
    audit::success(
        &txn,
        &access,
        "workspace.manage_members",
        ("member", member.handle.clone()),
        json!({ "role": role.name }),
    )
    .await?;
    txn.commit().await?;
    authorizer.catch_up(db, access.workspace.id).await?;
    Ok(Member {
        user: member,
        role: role.name,
    })
}

/// Add a member or change their role as the platform operator (the `patchbay workspace
/// add-member` command): no workspace permission is checked, the operator owns the installation.
pub async fn operator_set_member(
    db: &DatabaseConnection,
    workspace_slug: &str,
    handle: &str,
    role_name: &str,
) -> ServiceResult<Member> {
    let ws = workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(workspace_slug))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("workspace {workspace_slug:?}")))?;
    let member = crate::auth::input_user(db, handle).await?;
    let txn = db::begin_write(db).await?;
    let role = find_role(&txn, ws.id, role_name).await?;
    if role.name != BuiltinRole::Admin.name() && is_last_admin(&txn, ws.id, member.id).await? {
        return Err(
            UserProblem::bad_input(&["role"], "a workspace must keep at least one admin").into(),
        );
    }
    policy::assign_role(&txn, ws.id, member.id, &role.name).await?;
    audit::record(
        &txn,
        AuditEntry {
            workspace_id: Some(ws.id),
            actor_id: None,
            action: "workspace.manage_members",
            object_type: "member",
            object_id: member.handle.clone(),
            outcome: Outcome::Success,
            detail: json!({ "role": role.name, "by": "platform operator" }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Member {
        user: member,
        role: role.name,
    })
}

/// Remove a member; the last admin cannot be removed.
pub async fn remove_member(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    workspace_slug: &str,
    handle: &str,
) -> ServiceResult<user::Model> {
    let access = authorizer
        .authorize(
            db,
            principal,
            WorkspaceRef::Slug(workspace_slug),
            Some(Permission::WorkspaceManageMembers),
        )
        .await?;
    let member = crate::auth::input_user(db, handle).await?;
    let txn = db::begin_write(db).await?;
    let access = standing_now(
        &txn,
        authorizer,
        &access,
        Permission::WorkspaceManageMembers,
    )
    .await?;
    let Some(current) = current_role(&txn, access.workspace.id, member.id).await? else {
        return Err(UserProblem::bad_input(
            &["input", "handle"],
            format!("{handle} is not a member"),
        )
        .into());
    };
    let grants = role_grants(&txn, access.workspace.id).await?;
    if let Some(reason) = assignment_refusal(&access, &grants, &member.handle, Some(&current), None)
    {
        txn.rollback().await?;
        let attempt = json!({ "member": member.handle, "removed": true });
        return Err(refuse(
            db,
            &access,
            "workspace.manage_members",
            "member",
            &member.handle,
            reason,
            attempt,
        )
        .await);
    }
    if is_last_admin(&txn, access.workspace.id, member.id).await? {
        return Err(UserProblem::bad_input(
            &["input", "handle"],
            "a workspace must keep at least one admin",
        )
        .into());
    }
    policy::remove_member(&txn, access.workspace.id, member.id).await?;
    audit::success(
        &txn,
        &access,
        "workspace.manage_members",
        ("member", member.handle.clone()),
        json!({ "removed": true }),
    )
    .await?;
    txn.commit().await?;
    authorizer.catch_up(db, access.workspace.id).await?;
    Ok(member)
}
