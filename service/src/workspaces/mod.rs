//! Workspaces, their members and roles.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use entities::{casbin_rule, role, user, workspace};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use serde_json::json;

use crate::audit::{self, AuditEntry, Outcome};
use crate::auth::Principal;
use crate::authz::{Authorizer, BuiltinRole, Permission, WorkspaceAccess, WorkspaceRef, policy};
use crate::db;
use crate::domain::{self, Slug};
use crate::error::{ServiceError, ServiceResult, UserProblem};

mod members;
mod roles;

pub use members::{operator_set_member, remove_member, set_member};
pub use roles::set_role;

/// The environments a workspace can stand for.
pub const ENVIRONMENTS: [&str; 3] = ["development", "test", "production"];

/// A member and the role they hold.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: user::Model,
    pub role: String,
}

/// A role and what it allows.
#[derive(Debug, Clone)]
pub struct RoleView {
    pub role: role::Model,
    pub permissions: Vec<Permission>,
}

/// Create a workspace; `admin` becomes its first admin.
pub async fn create_workspace(
    db: &DatabaseConnection,
    admin: &user::Model,
    slug: &str,
    name: &str,
    environment: &str,
) -> ServiceResult<workspace::Model> {
    let slug = Slug::parse(&["input", "slug"], slug, 64)?;
    let name = domain::text(&["input", "name"], name, 100, false)?;
    if !ENVIRONMENTS.contains(&environment) {
        return Err(UserProblem::bad_input(
            &["input", "environment"],
            format!("must be one of {}", ENVIRONMENTS.join(", ")),
        )
        .into());
    }
    let txn = db::begin_write(db).await?;
    if workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(slug.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(
            UserProblem::conflict(&["input", "slug"], format!("the slug {slug} is taken")).into(),
        );
    }
    let now = Utc::now();
    let ws = workspace::ActiveModel {
        slug: Set(slug.into_string()),
        name: Set(name),
        environment: Set(environment.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for builtin in BuiltinRole::ALL {
        role::ActiveModel {
            workspace_id: Set(ws.id),
            name: Set(builtin.name().to_owned()),
            description: Set(builtin.description().to_owned()),
            builtin: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    policy::grant_builtin_roles(&txn, ws.id).await?;
    policy::assign_role(&txn, ws.id, admin.id, BuiltinRole::Admin.name()).await?;
    // The first entry of a workspace: there is no standing in it to record it by yet.
    audit::record(
        &txn,
        AuditEntry {
            workspace_id: Some(ws.id),
            actor_id: Some(admin.id),
            action: "workspace.create",
            object_type: "workspace",
            object_id: ws.slug.clone(),
            outcome: Outcome::Success,
            detail: json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ws)
}

async fn find_role(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    name: &str,
) -> ServiceResult<role::Model> {
    role::Entity::find()
        .filter(role::Column::WorkspaceId.eq(workspace_id))
        .filter(role::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| {
            UserProblem::bad_input(
                &["input", "role"],
                format!("this workspace has no role {name:?}"),
            )
            .into()
        })
}

/// Would the workspace be left without an admin if `user_id` stopped being one?
async fn is_last_admin(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    user_id: i64,
) -> ServiceResult<bool> {
    let admins: Vec<i64> = policy::members(db, workspace_id)
        .await?
        .into_iter()
        .filter(|(_, role)| role == BuiltinRole::Admin.name())
        .map(|(id, _)| id)
        .collect();
    Ok(admins == [user_id])
}

/// The role `user_id` holds in the workspace, if they are a member.
async fn current_role(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    user_id: i64,
) -> ServiceResult<Option<String>> {
    let row = casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq("g"))
        .filter(casbin_rule::Column::V0.eq(policy::subject(user_id)))
        .filter(casbin_rule::Column::V2.eq(policy::domain(workspace_id)))
        .one(db)
        .await?;
    Ok(row.and_then(|r| r.v1.strip_prefix("role:").map(str::to_owned)))
}

/// Serialise the workspace's membership and role changes, and read the caller's standing again
/// inside the transaction: two admins demoting each other at once must not both pass the
/// last-admin rule, and a caller demoted a moment ago acts with what they hold now. (SQLite's
/// write transactions are serial already; PostgreSQL locks the workspace row.)
///
/// The decision is the enforcer's, on the workspace's policy as this transaction sees it: the
/// version check reads through the transaction after the lock, and a policy that moved is loaded
/// through it before casbin decides.
async fn standing_now(
    txn: &DatabaseTransaction,
    authorizer: &Authorizer,
    access: &WorkspaceAccess,
    needs: Permission,
) -> ServiceResult<WorkspaceAccess> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM workspaces WHERE id = $1 FOR UPDATE",
            [access.workspace.id.into()],
        ))
        .await?;
    }
    let now = authorizer
        .member_access(txn, &access.user, &access.workspace)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("workspace {:?}", access.workspace.slug)))?;
    now.require(needs)?;
    Ok(now)
}

/// Each role of the workspace and the permissions it grants.
async fn role_grants(
    db: &impl ConnectionTrait,
    workspace_id: i64,
) -> ServiceResult<BTreeMap<String, BTreeSet<Permission>>> {
    let mut grants: BTreeMap<String, BTreeSet<Permission>> = BTreeMap::new();
    for (role, permission) in policy::role_permissions(db, workspace_id).await? {
        grants.entry(role).or_default().insert(permission);
    }
    Ok(grants)
}

/// Why `access` may not hand out (or take away) `permissions`, if it may not: nobody grants a
/// permission they do not hold themselves.
fn beyond_own(access: &WorkspaceAccess, permissions: &BTreeSet<Permission>) -> Option<String> {
    let missing: Vec<String> = permissions
        .difference(&access.permissions)
        .map(|p| p.name())
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// The rules of handing out roles, for a change of `member`'s role from `current` to `next`
/// (`None`: not a member, or removed). Only an admin makes or unmakes an admin; nobody assigns,
/// changes or removes a role that holds permissions they do not hold.
fn assignment_refusal(
    access: &WorkspaceAccess,
    grants: &BTreeMap<String, BTreeSet<Permission>>,
    handle: &str,
    current: Option<&str>,
    next: Option<&str>,
) -> Option<String> {
    let admin = BuiltinRole::Admin.name();
    let caller_is_admin = access.role == admin;
    let none = BTreeSet::new();
    if !caller_is_admin && (current == Some(admin) || next == Some(admin)) {
        return Some(format!(
            "make or unmake an admin ({handle}): only an admin may"
        ));
    }
    let grants_of = |role: &str| grants.get(role).unwrap_or(&none);
    if let Some(role) = current
        && let Some(missing) = beyond_own(access, grants_of(role))
    {
        return Some(format!(
            "change the role of {handle}: their role {role:?} holds permissions you do not hold \
             ({missing})"
        ));
    }
    if let Some(role) = next
        && let Some(missing) = beyond_own(access, grants_of(role))
    {
        return Some(format!(
            "assign the role {role:?}: it holds permissions you do not hold ({missing})"
        ));
    }
    None
}

/// Refuse a change on the record: the denied attempt is audited on its own (outside the
/// transaction of the change, which is rolled back).
async fn refuse(
    db: &DatabaseConnection,
    access: &WorkspaceAccess,
    action: &str,
    object_type: &str,
    object_id: &str,
    reason: String,
    detail: serde_json::Value,
) -> ServiceError {
    let recorded = audit::record(
        db,
        AuditEntry {
            workspace_id: Some(access.workspace.id),
            actor_id: Some(access.user.id),
            action,
            object_type,
            object_id: object_id.to_owned(),
            outcome: Outcome::Denied,
            detail: json!({ "role": access.role, "reason": reason, "attempt": detail }),
        },
    )
    .await;
    match recorded {
        Ok(()) => ServiceError::Forbidden(reason),
        Err(err) => err.into(),
    }
}

/// Members of the workspace, by handle.
pub async fn members(
    db: &impl ConnectionTrait,
    access: &WorkspaceAccess,
) -> ServiceResult<Vec<Member>> {
    let assignments = policy::members(db, access.workspace.id).await?;
    let roles: BTreeMap<i64, String> = assignments.into_iter().collect();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(roles.keys().copied()))
        .order_by_asc(user::Column::Handle)
        .all(db)
        .await?;
    Ok(users
        .into_iter()
        .filter_map(|u| {
            roles
                .get(&u.id)
                .cloned()
                .map(|role| Member { user: u, role })
        })
        .collect())
}

/// Roles of the workspace with their permissions, built-in first.
pub async fn roles(
    db: &impl ConnectionTrait,
    access: &WorkspaceAccess,
) -> ServiceResult<Vec<RoleView>> {
    let mut grants: BTreeMap<String, Vec<Permission>> = BTreeMap::new();
    for (role, permission) in policy::role_permissions(db, access.workspace.id).await? {
        grants.entry(role).or_default().push(permission);
    }
    let rows = role::Entity::find()
        .filter(role::Column::WorkspaceId.eq(access.workspace.id))
        .order_by_desc(role::Column::Builtin)
        .order_by_asc(role::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|role| {
            let mut permissions = grants.remove(&role.name).unwrap_or_default();
            permissions.sort();
            RoleView { role, permissions }
        })
        .collect())
}

/// The workspaces `user` belongs to, with their standing in each.
pub async fn memberships(
    db: &impl ConnectionTrait,
    authorizer: &Authorizer,
    user: &user::Model,
) -> ServiceResult<Vec<WorkspaceAccess>> {
    let rows = casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq("g"))
        .filter(casbin_rule::Column::V0.eq(policy::subject(user.id)))
        .all(db)
        .await?;
    let ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.v2.strip_prefix("ws:")?.parse().ok())
        .collect();
    let workspaces = workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids))
        .order_by_asc(workspace::Column::Slug)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(workspaces.len());
    for ws in workspaces {
        if let Some(access) = authorizer.member_access(db, user, &ws).await? {
            out.push(access);
        }
    }
    Ok(out)
}

/// Find a workspace a principal is a member of (any role).
pub async fn open(
    db: &impl ConnectionTrait,
    authorizer: &Authorizer,
    principal: &Principal,
    slug: &str,
) -> ServiceResult<WorkspaceAccess> {
    authorizer
        .authorize(db, principal, WorkspaceRef::Slug(slug), None)
        .await
}

/// Is the member of `access` still a member of its workspace? Long-lived reads (subscriptions)
/// ask as they run.
pub async fn still_member(
    db: &impl ConnectionTrait,
    authorizer: &Authorizer,
    access: &WorkspaceAccess,
) -> ServiceResult<bool> {
    Ok(authorizer
        .member_access(db, &access.user, &access.workspace)
        .await?
        .is_some())
}

/// `ServiceError` for ids that do not resolve to something the caller can see.
pub fn not_found(what: &str) -> ServiceError {
    ServiceError::NotFound(what.to_owned())
}
