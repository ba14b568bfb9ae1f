//! Checking: does this principal hold this permission in this workspace?
//!
//! The tenant comes from the object, never from the client: callers load the object, take its
//! workspace, and ask here. A workspace the caller is not a member of answers exactly like one
//! that does not exist.

use std::collections::BTreeSet;

use entities::{user, workspace};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::enforcer::{Authorizer, Standing};
use super::permission::Permission;
use crate::audit::{AuditEntry, Outcome};
use crate::auth::Principal;
use crate::error::{ServiceError, ServiceResult};

/// A member's standing in one workspace.
#[derive(Debug, Clone)]
pub struct WorkspaceAccess {
    pub workspace: workspace::Model,
    pub user: user::Model,
    pub role: String,
    pub permissions: BTreeSet<Permission>,
}

impl WorkspaceAccess {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// `FORBIDDEN` unless the member holds `permission`.
    pub fn require(&self, permission: Permission) -> ServiceResult<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(permission.describe()))
        }
    }
}

/// Which workspace a request names.
#[derive(Debug, Clone, Copy)]
pub enum WorkspaceRef<'a> {
    Slug(&'a str),
    Id(i64),
}

impl Authorizer {
    /// The role and permissions `user` holds in the workspace, as the enforcer decides them;
    /// `None` if they are not a member.
    pub async fn member_access(
        &self,
        db: &impl ConnectionTrait,
        user: &user::Model,
        workspace: &workspace::Model,
    ) -> ServiceResult<Option<WorkspaceAccess>> {
        let standing = self.standing(db, user.id, workspace.id).await?;
        Ok(
            standing.map(|Standing { role, permissions }| WorkspaceAccess {
                workspace: workspace.clone(),
                user: user.clone(),
                role,
                permissions,
            }),
        )
    }

    /// The check at the top of every workspace operation: signed in (`UNAUTHENTICATED`), a member of
    /// the workspace (`NOT_FOUND` otherwise, exactly as for a missing one), holding `permission`
    /// (`FORBIDDEN`). Pass `None` for operations any member may do.
    pub async fn authorize(
        &self,
        db: &impl ConnectionTrait,
        principal: &Principal,
        workspace: WorkspaceRef<'_>,
        permission: Option<Permission>,
    ) -> ServiceResult<WorkspaceAccess> {
        let user = principal.require_user()?;
        let not_found = || match workspace {
            WorkspaceRef::Slug(slug) => ServiceError::NotFound(format!("workspace {slug:?}")),
            WorkspaceRef::Id(_) => ServiceError::NotFound("workspace".to_owned()),
        };
        let found = match workspace {
            WorkspaceRef::Slug(slug) => {
                use sea_orm::{ColumnTrait, QueryFilter};
                workspace::Entity::find()
                    .filter(workspace::Column::Slug.eq(slug))
                    .one(db)
                    .await?
            }
            WorkspaceRef::Id(id) => workspace::Entity::find_by_id(id).one(db).await?,
        };
        // A missing workspace costs the same membership lookup as a foreign one (of an id no
        // workspace has), so that the time of the answer does not tell the two apart.
        let standing = self
            .standing(db, user.id, found.as_ref().map_or(-1, |ws| ws.id))
            .await?;
        let (Some(found), Some(Standing { role, permissions })) = (found, standing) else {
            return Err(not_found());
        };
        let access = WorkspaceAccess {
            workspace: found.clone(),
            user: user.clone(),
            role,
            permissions,
        };
        if let Some(permission) = permission
            && let Err(denied) = access.require(permission)
        {
            // Members who try what their role does not allow are on the record too.
            crate::audit::record(
                db,
                AuditEntry {
                    workspace_id: Some(found.id),
                    actor_id: Some(user.id),
                    action: &permission.name(),
                    object_type: "workspace",
                    object_id: found.slug.clone(),
                    outcome: Outcome::Denied,
                    detail: serde_json::json!({ "role": access.role }),
                },
            )
            .await?;
            return Err(denied);
        }
        Ok(access)
    }

    /// Authorize `permission` in the workspace an object belongs to, loaded by the caller from the
    /// object itself. A caller who is not a member learns nothing: the answer is `NOT_FOUND` for
    /// `what`, exactly as for an object that does not exist.
    pub async fn authorize_for_object(
        &self,
        db: &impl ConnectionTrait,
        principal: &Principal,
        workspace_id: i64,
        permission: Option<Permission>,
        what: &str,
    ) -> ServiceResult<WorkspaceAccess> {
        self.authorize(db, principal, WorkspaceRef::Id(workspace_id), permission)
            .await
            .map_err(|err| match err {
                ServiceError::NotFound(_) => ServiceError::NotFound(what.to_owned()),
                other => other,
            })
    }
}
