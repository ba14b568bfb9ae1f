//! Writing the policy store: role permissions (`p` lines) and role assignments (`g` lines), each
//! scoped to one workspace's domain. The one place the service writes `casbin_rule`, always inside
//! the caller's transaction; the database's triggers move the domain's row of
//! `casbin_policy_versions` in the same transaction, which is how every server's enforcer learns
//! that it must load the workspace again.

use std::collections::BTreeSet;

use entities::casbin_rule;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};

use super::permission::{BuiltinRole, Permission};

pub fn domain(workspace_id: i64) -> String {
    format!("ws:{workspace_id}")
}

pub fn subject(user_id: i64) -> String {
    format!("user:{user_id}")
}

pub fn role_subject(role: &str) -> String {
    format!("role:{role}")
}

fn rule(ptype: &str, values: [&str; 4]) -> casbin_rule::ActiveModel {
    casbin_rule::ActiveModel {
        ptype: Set(ptype.to_owned()),
        v0: Set(values[0].to_owned()),
        v1: Set(values[1].to_owned()),
        v2: Set(values[2].to_owned()),
        v3: Set(values[3].to_owned()),
        v4: Set(String::new()),
        v5: Set(String::new()),
        ..Default::default()
    }
}

/// Replace the permissions of `role` in the workspace with `permissions`.
pub async fn set_role_permissions(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    role: &str,
    permissions: &BTreeSet<Permission>,
) -> Result<(), DbErr> {
    let dom = domain(workspace_id);
    let sub = role_subject(role);
    casbin_rule::Entity::delete_many()
        .filter(casbin_rule::Column::Ptype.eq("p"))
        .filter(casbin_rule::Column::V0.eq(&sub))
        .filter(casbin_rule::Column::V1.eq(&dom))
        .exec(db)
        .await?;
    if permissions.is_empty() {
        return Ok(());
    }
    let rules = permissions.iter().map(|p| {
        let (object, action) = p.parts();
        rule("p", [&sub, &dom, object, action])
    });
    casbin_rule::Entity::insert_many(rules).exec(db).await?;
    Ok(())
}

/// Give a new workspace its built-in roles.
pub async fn grant_builtin_roles(
    db: &impl ConnectionTrait,
    workspace_id: i64,
) -> Result<(), DbErr> {
    for role in BuiltinRole::ALL {
        let permissions: BTreeSet<Permission> = role.permissions().into_iter().collect();
        set_role_permissions(db, workspace_id, role.name(), &permissions).await?;
    }
    Ok(())
}

/// Make `user` hold exactly `role` in the workspace (a member holds one role).
pub async fn assign_role(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    user_id: i64,
    role: &str,
) -> Result<(), DbErr> {
    remove_member(db, workspace_id, user_id).await?;
    casbin_rule::Entity::insert(rule(
        "g",
        [
            &subject(user_id),
            &role_subject(role),
            &domain(workspace_id),
            "",
        ],
    ))
    .on_conflict(
        OnConflict::columns([
            casbin_rule::Column::Ptype,
            casbin_rule::Column::V0,
            casbin_rule::Column::V1,
            casbin_rule::Column::V2,
            casbin_rule::Column::V3,
            casbin_rule::Column::V4,
            casbin_rule::Column::V5,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Remove every role `user` holds in the workspace: they are no longer a member.
pub async fn remove_member(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    user_id: i64,
) -> Result<(), DbErr> {
    casbin_rule::Entity::delete_many()
        .filter(casbin_rule::Column::Ptype.eq("g"))
        .filter(casbin_rule::Column::V0.eq(subject(user_id)))
        .filter(casbin_rule::Column::V2.eq(domain(workspace_id)))
        .exec(db)
        .await?;
    Ok(())
}

/// `(user id, role)` of every member of the workspace.
pub async fn members(
    db: &impl ConnectionTrait,
    workspace_id: i64,
) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq("g"))
        .filter(casbin_rule::Column::V2.eq(domain(workspace_id)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let user = r.v0.strip_prefix("user:")?.parse().ok()?;
            let role = r.v1.strip_prefix("role:")?.to_owned();
            Some((user, role))
        })
        .collect())
}

/// The permissions of every role of the workspace.
pub async fn role_permissions(
    db: &impl ConnectionTrait,
    workspace_id: i64,
) -> Result<Vec<(String, Permission)>, DbErr> {
    let rows = casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq("p"))
        .filter(casbin_rule::Column::V1.eq(domain(workspace_id)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let role = r.v0.strip_prefix("role:")?.to_owned();
            Some((role, Permission::from_parts(&r.v2, &r.v3)?))
        })
        .collect())
}
