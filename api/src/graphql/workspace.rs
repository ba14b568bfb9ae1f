//! Workspace types: the workspace as its member sees it, its members and roles, its connector
//! copies with their versions and update previews, its notices and audit log.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use service::catalog::reads;
use service::model::{AuditEvent as AuditRecord, CopyVersion, Notice, WorkspaceCopy};

use super::capabilities::Capabilities;
use super::catalog::{Connector, ConnectorVersion, User};
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
use sdk::diff;

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

/// Where a workspace version's content came from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum VersionOrigin {
    /// Copied from the community version at install.
    Installed,
    /// Edited in the workspace.
    Edited,
    /// Taken (or merged) from a newer community version.
    Updated,
    /// A copy of an earlier workspace version.
    Restored,
    /// Brought in by a package import.
    Imported,
}

impl VersionOrigin {
    fn parse(s: &str) -> Self {
        match s {
            "edited" => Self::Edited,
            "updated" => Self::Updated,
            "restored" => Self::Restored,
            "imported" => Self::Imported,
            _ => Self::Installed,
        }
    }
}

/// A connector inside a workspace: an editable copy of a community listing that keeps a link to
/// its parent.
pub struct WorkspaceConnector {
    pub copy: WorkspaceCopy,
    pub access: Arc<WorkspaceAccess>,
}

impl WorkspaceConnector {
    async fn load_version(
        &self,
        ctx: &Context<'_>,
        number: i32,
    ) -> GqlResult<Option<WorkspaceConnectorVersion>> {
        let found = lifecycle::version(&state(ctx)?.db, self.copy.id, number)
            .await
            .map_err(ServiceError::from)?;
        Ok(found.map(|version| WorkspaceConnectorVersion {
            version,
            copy: self.copy.clone(),
            access: self.access.clone(),
        }))
    }
}

/// A connector inside a workspace: an editable copy of a community listing that keeps a link to
/// its parent.
#[Object]
impl WorkspaceConnector {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::WorkspaceConnector, self.copy.id)
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.copy.name
    }
    /// The community listing it was installed from.
    async fn listing(&self, ctx: &Context<'_>) -> GqlResult<Option<Connector>> {
        let Some(id) = self.copy.connector_id else {
            return Ok(None);
        };
        let listing = reads::listing(state(ctx)?, id).await?;
        Ok(listing.map(Connector))
    }
    /// The community version it was installed from or last updated to.
    async fn parent_version(&self, ctx: &Context<'_>) -> GqlResult<Option<ConnectorVersion>> {
        let Some(id) = self.copy.parent_version_id else {
            return Ok(None);
        };
        let version = reads::version(state(ctx)?, id).await?;
        Ok(version.map(Into::into))
    }
    /// Number of the newest workspace version.
    async fn latest_number(&self) -> i32 {
        self.copy.latest_number
    }
    /// Number of the version recipes use; null until the first release.
    async fn released_number(&self) -> Option<i32> {
        self.copy.released_number
    }
    /// The newest workspace version.
    async fn latest(&self, ctx: &Context<'_>) -> GqlResult<Option<WorkspaceConnectorVersion>> {
        self.load_version(ctx, self.copy.latest_number).await
    }
    /// The version recipes use.
    async fn released(&self, ctx: &Context<'_>) -> GqlResult<Option<WorkspaceConnectorVersion>> {
        match self.copy.released_number {
            Some(n) => self.load_version(ctx, n).await,
            None => Ok(None),
        }
    }
    /// Every workspace version, newest first.
    async fn versions(&self, ctx: &Context<'_>) -> GqlResult<Vec<WorkspaceConnectorVersion>> {
        let rows = lifecycle::versions(&state(ctx)?.db, self.copy.id)
            .await
            .map_err(ServiceError::from)?;
        Ok(rows
            .into_iter()
            .map(|version| WorkspaceConnectorVersion {
                version,
                copy: self.copy.clone(),
                access: self.access.clone(),
            })
            .collect())
    }
    /// The newest installable community version newer than the parent, if any.
    async fn update_available(&self, ctx: &Context<'_>) -> GqlResult<Option<ConnectorVersion>> {
        let newest = lifecycle::reads::update_available(state(ctx)?, &self.copy).await?;
        Ok(newest.map(Into::into))
    }
    /// What updating to `version` (default: the newest) would change.
    async fn update_preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community version to preview; default the newest installable.")]
        version: Option<String>,
    ) -> GqlResult<UpdatePreview> {
        let preview = lifecycle::reads::update_preview(
            state(ctx)?,
            &self.access,
            &self.copy,
            version.as_deref(),
        )
        .await?;
        Ok(UpdatePreview {
            from_number: preview.from_number,
            has_local_edits: preview.has_local_edits,
            source_diff: preview.source_diff,
            lines_added: preview.lines_added as i64,
            lines_removed: preview.lines_removed as i64,
            capability_diff: CapabilityDiff::from(preview.capability_diff),
            to_version: preview.to_version.into(),
        })
    }
}

/// One numbered, immutable version of a workspace connector.
pub struct WorkspaceConnectorVersion {
    version: CopyVersion,
    copy: WorkspaceCopy,
    access: Arc<WorkspaceAccess>,
}

/// One numbered, immutable version of a workspace connector.
#[Object]
impl WorkspaceConnectorVersion {
    /// 1, 2, 3…
    async fn number(&self) -> i32 {
        self.version.number
    }
    /// Hex sha256 of the source.
    async fn sha256(&self) -> &str {
        &self.version.sha256
    }
    /// Where the content came from.
    async fn origin(&self) -> VersionOrigin {
        VersionOrigin::parse(&self.version.origin)
    }
    /// Who made it.
    async fn author(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        let Some(id) = self.version.author_id else {
            return Ok(None);
        };
        let user = loader(ctx)?.load_one(UserById(id)).await?;
        Ok(user.map(User))
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.version.created_at
    }
    /// The community version its content derives from.
    async fn base_version(&self, ctx: &Context<'_>) -> GqlResult<Option<ConnectorVersion>> {
        let Some(id) = self.version.base_version_id else {
            return Ok(None);
        };
        let found = reads::version(state(ctx)?, id).await?;
        Ok(found.map(Into::into))
    }
    /// Actions, triggers, connection fields and hosts of this version.
    async fn capabilities(&self) -> GqlResult<Capabilities> {
        let caps = reads::stored_capabilities(self.version.id, self.version.capabilities.clone())?;
        Ok(caps.into())
    }
    /// The source. Needs `CONNECTOR_VIEW_SOURCE`; closed-source listings show it to owners only.
    async fn source(&self, ctx: &Context<'_>) -> GqlResult<&str> {
        lifecycle::require_source(
            &state(ctx)?.db,
            &self.access,
            &self.copy,
            crate::authz::Permission::ConnectorViewSource,
        )
        .await?;
        Ok(&self.version.source)
    }
}

/// What an update would change.
#[derive(SimpleObject)]
pub struct UpdatePreview {
    /// The workspace version the diff starts from (the latest).
    pub from_number: i32,
    /// The community version the update would bring.
    pub to_version: ConnectorVersion,
    /// The latest workspace version differs from the community version it was based on; an
    /// update must then `REPLACE` or `MERGE`.
    pub has_local_edits: bool,
    /// Unified diff of the source, from the workspace's latest to the new version; null for
    /// callers who may not read the source.
    pub source_diff: Option<String>,
    /// Lines the update adds.
    pub lines_added: i64,
    /// Lines the update removes.
    pub lines_removed: i64,
    /// What changes in actions, triggers, connection fields and hosts.
    pub capability_diff: CapabilityDiff,
}

/// What changes between two versions' capabilities.
#[derive(SimpleObject)]
pub struct CapabilityDiff {
    /// Actions the new version adds.
    pub actions_added: Vec<String>,
    /// Actions the new version removes.
    pub actions_removed: Vec<String>,
    /// Actions whose title or fields change.
    pub actions_changed: Vec<OperationChange>,
    /// Triggers the new version adds.
    pub triggers_added: Vec<String>,
    /// Triggers the new version removes.
    pub triggers_removed: Vec<String>,
    /// Triggers whose title or fields change.
    pub triggers_changed: Vec<OperationChange>,
    /// Hosts the new version may send requests to that the old one could not.
    pub hosts_added: Vec<String>,
    /// Hosts no longer declared.
    pub hosts_removed: Vec<String>,
    /// Connection fields added.
    pub connection_fields_added: Vec<String>,
    /// Connection fields removed.
    pub connection_fields_removed: Vec<String>,
    /// Changes that may break recipes, in words.
    pub breaking_hints: Vec<String>,
}

/// How one action or trigger changes.
#[derive(SimpleObject)]
pub struct OperationChange {
    /// The action or trigger.
    pub name: String,
    /// Its title changes.
    pub title_changed: bool,
    /// Input fields added.
    pub input_fields_added: Vec<String>,
    /// Input fields removed.
    pub input_fields_removed: Vec<String>,
    /// Input fields whose type, optionality or nested fields change.
    pub input_fields_changed: Vec<String>,
    /// Output fields added.
    pub output_fields_added: Vec<String>,
    /// Output fields removed.
    pub output_fields_removed: Vec<String>,
    /// Output fields whose type, optionality or nested fields change.
    pub output_fields_changed: Vec<String>,
}

impl From<diff::OperationChange> for OperationChange {
    fn from(c: diff::OperationChange) -> Self {
        Self {
            name: c.name,
            title_changed: c.title_changed,
            input_fields_added: c.input_fields_added,
            input_fields_removed: c.input_fields_removed,
            input_fields_changed: c.input_fields_changed,
            output_fields_added: c.output_fields_added,
            output_fields_removed: c.output_fields_removed,
            output_fields_changed: c.output_fields_changed,
        }
    }
}

impl From<diff::CapabilityDiff> for CapabilityDiff {
    fn from(d: diff::CapabilityDiff) -> Self {
        let breaking_hints = d.breaking_hints();
        Self {
            actions_added: d.actions_added,
            actions_removed: d.actions_removed,
            actions_changed: d.actions_changed.into_iter().map(Into::into).collect(),
            triggers_added: d.triggers_added,
            triggers_removed: d.triggers_removed,
            triggers_changed: d.triggers_changed.into_iter().map(Into::into).collect(),
            hosts_added: d.hosts_added,
            hosts_removed: d.hosts_removed,
            connection_fields_added: d.connection_fields_added,
            connection_fields_removed: d.connection_fields_removed,
            breaking_hints,
        }
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
