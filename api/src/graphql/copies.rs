//! A workspace's connectors: its copies of community listings, their numbered versions, and
//! what an update to a new community version would change.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use sdk::diff;
use service::catalog::reads;
use service::model::{CopyVersion, WorkspaceCopy};

use super::capabilities::Capabilities;
use super::catalog::{Connector, ConnectorVersion, User};
use super::context::{loader, state};
use super::errors::GqlResult;
use super::ids::{self, Kind};
use super::loaders::UserById;
use crate::authz::WorkspaceAccess;
use crate::error::ServiceError;
use crate::lifecycle;

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
