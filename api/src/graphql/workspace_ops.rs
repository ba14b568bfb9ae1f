//! Workspace queries, mutations and the notification subscription.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Subscription};
use futures_util::Stream;

use super::catalog::User;
use super::context::{principal, state};
use super::errors::{GqlResult, IntoGraphql, Permission};
use super::ids::{self, Kind};
use super::mutation::{UserError, split};
use super::workspace::{
    Environment, Member, Membership, Notification, Role, Workspace, WorkspaceConnector,
};
use crate::authz::WorkspaceAccess;
use crate::error::{ErrorCode, ServiceError, ServiceResult, UserProblem, graphql_error};
use crate::lifecycle::{self, UpdateStrategy as Strategy, notifications};
use crate::workspaces;

fn copy_id(id: &ID) -> ServiceResult<i64> {
    ids::decode_as(Kind::WorkspaceConnector, id).ok_or_else(|| {
        UserProblem::bad_input(
            &["input", "workspaceConnectorId"],
            "not a workspace connector id",
        )
        .into()
    })
}

/// Workspaces the caller belongs to.
#[derive(Default)]
pub struct WorkspaceQueryRoot;

#[Object]
impl WorkspaceQueryRoot {
    /// A workspace the caller is a member of. Any other answers `NOT_FOUND`, whether it exists or not.
    async fn workspace(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The workspace's slug.")] slug: String,
    ) -> GqlResult<Option<Workspace>> {
        let access =
            workspaces::open(&state(ctx)?.db, &state(ctx)?.authz, principal(ctx)?, &slug).await?;
        Ok(Some(Workspace(Arc::new(access))))
    }

    /// The workspaces the caller belongs to, with their role and permissions in each.
    async fn my_workspaces(&self, ctx: &Context<'_>) -> GqlResult<Vec<Membership>> {
        let user = principal(ctx)?.require_user()?;
        let all = workspaces::memberships(&state(ctx)?.db, &state(ctx)?.authz, user).await?;
        Ok(all.into_iter().map(|a| Membership(Arc::new(a))).collect())
    }
}

/// A new workspace.
#[derive(InputObject)]
pub struct CreateWorkspaceInput {
    /// Unique, URL-safe name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What it stands for.
    pub environment: Environment,
}

/// The created workspace.
#[derive(SimpleObject)]
pub struct CreateWorkspacePayload {
    /// The workspace; the caller is its admin.
    pub workspace: Option<Workspace>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A member to add, or whose role to change.
#[derive(InputObject)]
pub struct SetWorkspaceMemberInput {
    /// The workspace's slug.
    pub workspace: String,
    /// The user's handle.
    pub handle: String,
    /// The role to hold (built-in or custom).
    pub role: String,
}

/// The member after the change.
#[derive(SimpleObject)]
pub struct WorkspaceMemberPayload {
    /// The member.
    pub member: Option<Member>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A member to remove.
#[derive(InputObject)]
pub struct RemoveWorkspaceMemberInput {
    /// The workspace's slug.
    pub workspace: String,
    /// The user's handle.
    pub handle: String,
}

/// The removed member.
#[derive(SimpleObject)]
pub struct RemoveWorkspaceMemberPayload {
    /// Who was removed.
    pub user: Option<User>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A custom role to create or change.
#[derive(InputObject)]
pub struct SetWorkspaceRoleInput {
    /// The workspace's slug.
    pub workspace: String,
    /// The role's name (not a built-in one).
    pub name: String,
    /// What it is for.
    #[graphql(default)]
    pub description: String,
    /// What it allows (replacing what it allowed before).
    pub permissions: Vec<Permission>,
}

/// The role after the change.
#[derive(SimpleObject)]
pub struct WorkspaceRolePayload {
    /// The role.
    pub role: Option<Role>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A listing to install into a workspace.
#[derive(InputObject)]
pub struct InstallConnectorInput {
    /// The workspace's slug.
    pub workspace: String,
    /// The listing's slug.
    pub connector: String,
    /// The community version; default the newest installable (not yanked, stable first).
    pub version: Option<String>,
}

/// New source for a workspace connector.
#[derive(InputObject)]
pub struct EditWorkspaceConnectorInput {
    /// The workspace connector.
    pub workspace_connector_id: ID,
    /// The new source; it becomes the new latest version.
    pub source: String,
}

/// A workspace connector to act on.
#[derive(InputObject)]
pub struct WorkspaceConnectorInput {
    /// The workspace connector.
    pub workspace_connector_id: ID,
}

/// A version to restore.
#[derive(InputObject)]
pub struct RestoreWorkspaceConnectorVersionInput {
    /// The workspace connector.
    pub workspace_connector_id: ID,
    /// The version number to copy as the new latest.
    pub number: i32,
}

/// How to bring local edits along when updating.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum UpdateStrategy {
    /// Take the new community version as it is; local edits remain in older versions.
    Replace,
    /// Three-way merge; conflicts are reported and nothing is written.
    Merge,
}

/// An update to a newer community version.
#[derive(InputObject)]
pub struct UpdateWorkspaceConnectorInput {
    /// The workspace connector.
    pub workspace_connector_id: ID,
    /// The community version; default the newest installable.
    pub version: Option<String>,
    /// Needed when the latest version has local edits.
    pub strategy: Option<UpdateStrategy>,
}

/// A workspace connector after a change.
#[derive(SimpleObject)]
pub struct WorkspaceConnectorPayload {
    /// The workspace connector.
    pub workspace_connector: Option<WorkspaceConnector>,
    /// Whether anything changed (releasing what is released, for example, changes nothing).
    pub changed: bool,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The uninstalled connector.
#[derive(SimpleObject)]
pub struct UninstallWorkspaceConnectorPayload {
    /// Id of the removed workspace connector.
    pub uninstalled_id: Option<ID>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Notices to mark read.
#[derive(InputObject)]
pub struct MarkNotificationsReadInput {
    /// The workspace's slug.
    pub workspace: String,
    /// The notices; all of the workspace's when absent.
    pub ids: Option<Vec<ID>>,
}

/// How many notices were marked.
#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// Notices newly marked read.
    pub marked: u64,
    /// Notices still unread.
    pub unread_count: u64,
}

fn copy_payload(result: ServiceResult<lifecycle::Changed>) -> GqlResult<WorkspaceConnectorPayload> {
    let (value, user_errors) = split(result)?;
    Ok(match value {
        Some(changed) => WorkspaceConnectorPayload {
            workspace_connector: Some(WorkspaceConnector {
                copy: changed.copy,
                access: Arc::new(changed.access),
            }),
            changed: changed.changed,
            user_errors,
        },
        None => WorkspaceConnectorPayload {
            workspace_connector: None,
            changed: false,
            user_errors,
        },
    })
}

/// Workspaces, their members and roles, and the lifecycle of connectors inside them.
#[derive(Default)]
pub struct WorkspaceMutationRoot;

#[Object]
impl WorkspaceMutationRoot {
    /// Create a workspace; the caller becomes its admin.
    async fn create_workspace(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkspaceInput,
    ) -> GqlResult<CreateWorkspacePayload> {
        let user = principal(ctx)?.require_user()?;
        let app = state(ctx)?;
        let db = &app.db;
        let result = async {
            let ws = workspaces::create_workspace(
                db,
                user,
                &input.slug,
                &input.name,
                input.environment.as_str(),
            )
            .await?;
            workspaces::open(
                db,
                &app.authz,
                principal(ctx).map_err(|_| ServiceError::Unauthenticated)?,
                &ws.slug,
            )
            .await
        }
        .await;
        let (access, user_errors) = split(result)?;
        Ok(CreateWorkspacePayload {
            workspace: access.map(|a| Workspace(Arc::new(a))),
            user_errors,
        })
    }

    /// Add a member with a role, or change a member's role. Needs `WORKSPACE_MANAGE_MEMBERS`.
    async fn set_workspace_member(
        &self,
        ctx: &Context<'_>,
        input: SetWorkspaceMemberInput,
    ) -> GqlResult<WorkspaceMemberPayload> {
        let result = workspaces::set_member(
            &state(ctx)?.db,
            &state(ctx)?.authz,
            principal(ctx)?,
            &input.workspace,
            &input.handle,
            &input.role,
        )
        .await;
        let (member, user_errors) = split(result)?;
        Ok(WorkspaceMemberPayload {
            member: member.map(|m| Member {
                user: User(m.user),
                role: m.role,
            }),
            user_errors,
        })
    }

    /// Remove a member. Needs `WORKSPACE_MANAGE_MEMBERS`; the last admin stays.
    async fn remove_workspace_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveWorkspaceMemberInput,
    ) -> GqlResult<RemoveWorkspaceMemberPayload> {
        let result = workspaces::remove_member(
            &state(ctx)?.db,
            &state(ctx)?.authz,
            principal(ctx)?,
            &input.workspace,
            &input.handle,
        )
        .await;
        let (user, user_errors) = split(result)?;
        Ok(RemoveWorkspaceMemberPayload {
            user: user.map(User),
            user_errors,
        })
    }

    /// Create a custom role or change its permissions. Needs `WORKSPACE_MANAGE_ROLES`.
    async fn set_workspace_role(
        &self,
        ctx: &Context<'_>,
        input: SetWorkspaceRoleInput,
    ) -> GqlResult<WorkspaceRolePayload> {
        let result = workspaces::set_role(
            &state(ctx)?.db,
            &state(ctx)?.authz,
            principal(ctx)?,
            &input.workspace,
            &input.name,
            &input.description,
            &input
                .permissions
                .iter()
                .copied()
                .map(Into::into)
                .collect::<Vec<_>>(),
        )
        .await;
        let (role, user_errors) = split(result)?;
        Ok(WorkspaceRolePayload {
            role: role.map(|r| Role {
                name: r.role.name,
                description: r.role.description,
                builtin: r.role.builtin,
                permissions: r.permissions.into_iter().map(Into::into).collect(),
            }),
            user_errors,
        })
    }

    /// Install a community listing as an editable copy. Needs `CONNECTOR_INSTALL`.
    async fn install_connector(
        &self,
        ctx: &Context<'_>,
        input: InstallConnectorInput,
    ) -> GqlResult<WorkspaceConnectorPayload> {
        let db = &state(ctx)?.db;
        let result = lifecycle::install(
            db,
            &state(ctx)?.authz,
            principal(ctx)?,
            &input.workspace,
            &input.connector,
            input.version.as_deref(),
        )
        .await;
        copy_payload(result)
    }

    /// Save new source as the latest version; the released version stays. Needs `CONNECTOR_EDIT`.
    async fn edit_workspace_connector(
        &self,
        ctx: &Context<'_>,
        input: EditWorkspaceConnectorInput,
    ) -> GqlResult<WorkspaceConnectorPayload> {
        let svc = state(ctx)?;
        let (db, authz, runner) = (&svc.db, &svc.authz, &svc.runner);
        let result = match copy_id(&input.workspace_connector_id) {
            Ok(id) => lifecycle::edit(db, authz, runner, principal(ctx)?, id, input.source).await,
            Err(e) => Err(e),
        };
        copy_payload(result)
    }

    /// Release the latest version to the workspace's recipes. Needs `CONNECTOR_RELEASE`.
    async fn release_workspace_connector(
        &self,
        ctx: &Context<'_>,
        input: WorkspaceConnectorInput,
    ) -> GqlResult<WorkspaceConnectorPayload> {
        let db = &state(ctx)?.db;
        let result = match copy_id(&input.workspace_connector_id) {
            Ok(id) => lifecycle::release(db, &state(ctx)?.authz, principal(ctx)?, id).await,
            Err(e) => Err(e),
        };
        copy_payload(result)
    }

    /// Make a copy of an earlier version the new latest; release it to roll back. Needs `CONNECTOR_EDIT`.
    async fn restore_workspace_connector_version(
        &self,
        ctx: &Context<'_>,
        input: RestoreWorkspaceConnectorVersionInput,
    ) -> GqlResult<WorkspaceConnectorPayload> {
        let db = &state(ctx)?.db;
        let result = match copy_id(&input.workspace_connector_id) {
            Ok(id) => {
                lifecycle::restore(db, &state(ctx)?.authz, principal(ctx)?, id, input.number).await
            }
            Err(e) => Err(e),
        };
        copy_payload(result)
    }

    /// Update to a newer community version: a new latest, the parent moves, the released
    /// version stays. Needs `CONNECTOR_EDIT`.
    async fn update_workspace_connector(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkspaceConnectorInput,
    ) -> GqlResult<WorkspaceConnectorPayload> {
        let svc = state(ctx)?;
        let (db, authz, runner) = (&svc.db, &svc.authz, &svc.runner);
        let strategy = input.strategy.map(|s| match s {
            UpdateStrategy::Replace => Strategy::Replace,
            UpdateStrategy::Merge => Strategy::Merge,
        });
        let version = input.version.as_deref();
        let result = match copy_id(&input.workspace_connector_id) {
            Ok(id) => {
                lifecycle::update(db, authz, runner, principal(ctx)?, id, version, strategy).await
            }
            Err(e) => Err(e),
        };
        copy_payload(result)
    }

    /// Remove a workspace connector. Needs `CONNECTOR_UNINSTALL`.
    async fn uninstall_workspace_connector(
        &self,
        ctx: &Context<'_>,
        input: WorkspaceConnectorInput,
    ) -> GqlResult<UninstallWorkspaceConnectorPayload> {
        let db = &state(ctx)?.db;
        let result = match copy_id(&input.workspace_connector_id) {
            Ok(id) => lifecycle::uninstall(db, &state(ctx)?.authz, principal(ctx)?, id).await,
            Err(e) => Err(e),
        };
        let (copy, user_errors) = split(result)?;
        Ok(UninstallWorkspaceConnectorPayload {
            uninstalled_id: copy.map(|c| ids::encode(Kind::WorkspaceConnector, c.id)),
            user_errors,
        })
    }

    /// Mark notices read. Any member may.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        input: MarkNotificationsReadInput,
    ) -> GqlResult<MarkNotificationsReadPayload> {
        let db = &state(ctx)?.db;
        let access =
            workspaces::open(db, &state(ctx)?.authz, principal(ctx)?, &input.workspace).await?;
        let ids = match input.ids {
            Some(list) => Some(
                list.iter()
                    .map(|id| ids::decode_as(Kind::Notification, id))
                    .collect::<Option<Vec<i64>>>()
                    .ok_or_else(|| {
                        graphql_error(ErrorCode::BadUserInput, "not a notification id")
                    })?,
            ),
            None => None,
        };
        let marked = notifications::mark_read(db, &access, ids)
            .await
            .map_err(ServiceError::from)?;
        let unread_count = notifications::unread_count(db, access.workspace.id)
            .await
            .map_err(ServiceError::from)?;
        Ok(MarkNotificationsReadPayload {
            marked,
            unread_count,
        })
    }
}

/// Live updates over graphql-ws (`/graphql/ws`; send `{"authorization": "Bearer <token>"}` as the
/// connection-init payload).
#[derive(Default)]
pub struct SubscriptionRoot;

/// Live updates over graphql-ws (`/graphql/ws`; send `{"authorization": "Bearer <token>"}` as the
/// connection-init payload).
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Notices to a workspace as they are created; notices created by other server processes
    /// arrive too. Membership is checked when the subscription starts and again as it runs: a
    /// member removed from the workspace has the connection closed (`4403`).
    async fn workspace_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The workspace's slug.")] workspace: String,
    ) -> async_graphql::Result<impl Stream<Item = Notification> + use<>> {
        let state = state(ctx)?.clone();
        let access = workspaces::open(&state.db, &state.authz, principal(ctx)?, &workspace)
            .await
            .map_err(IntoGraphql::into_graphql)?;
        let workspace_id = access.workspace.id;
        let start = notifications::newest_id(&state.db, workspace_id)
            .await
            .map_err(|e| ServiceError::from(e).into_graphql())?;
        let session = ctx.data_opt::<crate::ws::WsSession>().cloned();
        Ok(async_stream(state, access, start, session))
    }
}

/// Poll the database for new notices: woken at once by publishes in this process, and every
/// second for those made by other processes sharing the database. Each round asks, after its
/// fetch, whether the subscriber is still a member; once not, the stream ends and the connection
/// is closed.
fn async_stream(
    state: crate::state::AppState,
    access: WorkspaceAccess,
    start: i64,
    session: Option<crate::ws::WsSession>,
) -> impl Stream<Item = Notification> {
    let workspace_id = access.workspace.id;
    futures_util::stream::unfold(
        (
            state,
            start,
            std::collections::VecDeque::<Notification>::new(),
        ),
        move |(state, mut last, mut queue)| {
            let access = access.clone();
            let session = session.clone();
            async move {
                loop {
                    if let Some(next) = queue.pop_front() {
                        return Some((next, (state, last, queue)));
                    }
                    let wake = state.events.notified();
                    let fetched = notifications::since(&state.db, workspace_id, last).await;
                    // Asked after the fetch: nothing fetched after a removal is delivered.
                    match workspaces::still_member(&state.db, &state.authz, &access).await {
                        Ok(false) => {
                            if let Some(session) = &session {
                                session.forbid();
                            }
                            return None;
                        }
                        Ok(true) => {}
                        Err(err) => tracing::warn!(error = ?err, "re-checking a subscriber"),
                    }
                    match fetched {
                        Ok(rows) if !rows.is_empty() => {
                            last = rows.last().map(|n| n.id).unwrap_or(last);
                            queue.extend(rows.into_iter().map(Notification));
                            continue;
                        }
                        Ok(_) => {}
                        Err(err) => tracing::warn!(error = %err, "polling notifications"),
                    }
                    let _ = tokio::time::timeout(Duration::from_secs(1), wake).await;
                }
            }
        },
    )
}
