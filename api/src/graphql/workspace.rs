//! Workspace types: the workspace as its member sees it, its members and roles, its connector
//! copies with their versions and update previews, its notices and audit log.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use service::catalog::reads;
use service::model::{AuditEvent as AuditRecord, Notice};

use super::catalog::{ConnectorVersion, User};
use super::context::{loader, state};
use super::errors::{GqlResult, Permission};
use super::ids::{self, Kind};
use super::loaders::UserById;
use super::pagination::page_size;
use crate::audit;
use crate::authz::WorkspaceAccess;
use crate::error::{ErrorCode, ServiceError, graphql_error};
use crate::lifecycle::{self, notifications};
use crate::workspaces;

pub use super::copies::{
    CapabilityDiff, OperationChange, UpdatePreview, VersionOrigin, WorkspaceConnector,
    WorkspaceConnectorVersion,
};

/// What a workspace stands for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    /// Where connectors and recipes are built.
    Development,
    /// Where they are tried.
    Test,
    /// Where they run for real.
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "test" => Self::Test,
            "production" => Self::Production,
            _ => Self::Development,
        }
    }
}

/// A workspace, as one of its members sees it.
pub struct Workspace(pub Arc<WorkspaceAccess>);

/// A workspace, as one of its members sees it.
#[Object]
impl Workspace {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::Workspace, self.0.workspace.id)
    }
    /// Unique, URL-safe name.
    async fn slug(&self) -> &str {
        &self.0.workspace.slug
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.workspace.name
    }
    /// Development, test or production.
    async fn environment(&self) -> Environment {
        Environment::parse(&self.0.workspace.environment)
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.workspace.created_at
    }
    /// The caller's role here.
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// What the caller may do here.
    async fn permissions(&self) -> Vec<Permission> {
        self.0.permissions.iter().copied().map(Into::into).collect()
    }
    /// The members and their roles.
    async fn members(&self, ctx: &Context<'_>) -> GqlResult<Vec<Member>> {
        let members = workspaces::members(&state(ctx)?.db, &self.0).await?;
        Ok(members
            .into_iter()
            .map(|m| Member {
                user: User(m.user),
                role: m.role,
            })
            .collect())
    }
    /// The roles this workspace offers, built-in first.
    async fn roles(&self, ctx: &Context<'_>) -> GqlResult<Vec<Role>> {
        let roles = workspaces::roles(&state(ctx)?.db, &self.0).await?;
        Ok(roles
            .into_iter()
            .map(|r| Role {
                name: r.role.name,
                description: r.role.description,
                builtin: r.role.builtin,
                permissions: r.permissions.into_iter().map(Into::into).collect(),
            })
            .collect())
    }
    /// The recipes, by folder and name. Needs `RECIPE_READ`.
    async fn recipes(&self, ctx: &Context<'_>) -> GqlResult<Vec<super::recipes::Recipe>> {
        let rows = crate::recipes::recipes(&state(ctx)?.db, &self.0).await?;
        Ok(rows.into_iter().map(super::recipes::Recipe).collect())
    }
    /// A job of one of the workspace's recipes, with its steps. Needs `RECIPE_READ`.
    async fn job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job's global id.")] id: ID,
    ) -> GqlResult<Option<super::jobs::Job>> {
        let Some(raw) = super::ids::decode_as(super::ids::Kind::Job, &id) else {
            return Ok(None);
        };
        let found = crate::jobs::workspace_job(&state(ctx)?.db, &self.0, raw).await?;
        Ok(found.map(super::jobs::Job))
    }
    /// The connections, by folder and name (secret values are never returned).
    async fn connections(&self, ctx: &Context<'_>) -> GqlResult<Vec<super::recipes::Connection>> {
        let rows = crate::recipes::connections(&state(ctx)?.db, &self.0).await?;
        Ok(rows.into_iter().map(super::recipes::Connection).collect())
    }
    /// Package exports and imports, newest first. Needs `PACKAGE_EXPORT` or `PACKAGE_IMPORT`.
    async fn packages(&self, ctx: &Context<'_>) -> GqlResult<Vec<super::packages::PackageRecord>> {
        let rows = crate::packages::history(&state(ctx)?.db, &self.0).await?;
        Ok(rows
            .into_iter()
            .map(super::packages::PackageRecord)
            .collect())
    }
    /// Imports must be signed by a trusted key.
    async fn requires_signed_packages(&self) -> bool {
        self.0.workspace.require_signed_packages
    }
    /// The connectors in this workspace, by name.
    async fn connectors(&self, ctx: &Context<'_>) -> GqlResult<Vec<WorkspaceConnector>> {
        let copies = lifecycle::copies(&state(ctx)?.db, self.0.workspace.id)
            .await
            .map_err(ServiceError::from)?;
        Ok(copies
            .into_iter()
            .map(|copy| WorkspaceConnector {
                copy,
                access: self.0.clone(),
            })
            .collect())
    }
    /// One connector of this workspace by its id.
    async fn connector(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The workspace connector's global id.")] id: ID,
    ) -> GqlResult<Option<WorkspaceConnector>> {
        let Some(raw) = ids::decode_as(Kind::WorkspaceConnector, &id) else {
            return Ok(None);
        };
        let copy = lifecycle::reads::copy_in(state(ctx)?, &self.0, raw).await?;
        Ok(copy.map(|copy| WorkspaceConnector {
            copy,
            access: self.0.clone(),
        }))
    }
    /// Notices to this workspace, newest first.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 20).")] first: Option<i32>,
        #[graphql(desc = "Only notices not yet read.", default = false)] unread_only: bool,
        #[graphql(desc = "Only notices older than this one (its id), for the next page.")]
        before: Option<ID>,
    ) -> GqlResult<Vec<Notification>> {
        let state = state(ctx)?;
        let limit = page_size(first, 20, state.config.limits.max_page_size)?;
        let before = match before {
            Some(id) => Some(ids::decode_as(Kind::Notification, &id).ok_or_else(|| {
                graphql_error(ErrorCode::BadUserInput, "`before` is not a notification id")
            })?),
            None => None,
        };
        let rows = notifications::list(&state.db, self.0.workspace.id, unread_only, before, limit)
            .await
            .map_err(ServiceError::from)?;
        Ok(rows.into_iter().map(Notification).collect())
    }
    /// How many notices are unread.
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        Ok(
            notifications::unread_count(&state(ctx)?.db, self.0.workspace.id)
                .await
                .map_err(ServiceError::from)?,
        )
    }
    /// The audit log, newest first. Needs `AUDIT_READ`.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 50).")] first: Option<i32>,
    ) -> GqlResult<Vec<AuditEvent>> {
        let state = state(ctx)?;
        let limit = page_size(first, 50, state.config.limits.max_page_size)?;
        let rows = audit::log(&state.db, &self.0, limit).await?;
        Ok(rows.into_iter().map(AuditEvent).collect())
    }
}

/// A member of a workspace.
#[derive(SimpleObject)]
pub struct Member {
    /// The person.
    pub user: User,
    /// The role they hold here.
    pub role: String,
}

/// A role of a workspace.
#[derive(SimpleObject)]
pub struct Role {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// One of the roles every workspace has (`admin`, `developer`, `operator`, `analyst`).
    pub builtin: bool,
    /// What it allows.
    pub permissions: Vec<Permission>,
}

/// A workspace the caller belongs to, and what they may do there.
pub struct Membership(pub Arc<WorkspaceAccess>);

/// A workspace the caller belongs to, and what they may do there.
#[Object]
impl Membership {
    /// The workspace.
    async fn workspace(&self) -> Workspace {
        Workspace(self.0.clone())
    }
    /// The caller's role there.
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// What the caller may do there.
    async fn permissions(&self) -> Vec<Permission> {
        self.0.permissions.iter().copied().map(Into::into).collect()
    }
}

/// A notice to a workspace.
pub struct Notification(pub Notice);

/// A notice to a workspace.
#[Object]
impl Notification {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::Notification, self.0.id)
    }
    /// `connector_update_available`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// One line.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Details in Markdown (the release notes, for updates).
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// What breaks and how to adapt, when the new version is breaking.
    async fn breaking_message(&self) -> Option<&str> {
        self.0.breaking_message.as_deref()
    }
    /// The workspace connector concerned.
    async fn workspace_connector_id(&self) -> Option<ID> {
        self.0
            .workspace_connector_id
            .map(|id| ids::encode(Kind::WorkspaceConnector, id))
    }
    /// The community version announced.
    async fn version(&self, ctx: &Context<'_>) -> GqlResult<Option<ConnectorVersion>> {
        let Some(id) = self.0.version_id else {
            return Ok(None);
        };
        let found = reads::version(state(ctx)?, id).await?;
        Ok(found.map(Into::into))
    }
    /// When it was sent.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was marked read; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
}

/// One entry of the audit log.
pub struct AuditEvent(pub AuditRecord);

/// One entry of the audit log.
#[Object]
impl AuditEvent {
    /// What was attempted, e.g. `connector.install`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The kind of object acted on.
    async fn object_type(&self) -> &str {
        &self.0.object_type
    }
    /// Which object.
    async fn object_id(&self) -> &str {
        &self.0.object_id
    }
    /// `success` or `denied`.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
    /// Who did it.
    async fn actor(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        let user = loader(ctx)?.load_one(UserById(id)).await?;
        Ok(user.map(User))
    }
    /// Details, as JSON text.
    async fn detail(&self) -> String {
        self.0.detail.to_string()
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}
