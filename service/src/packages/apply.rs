//! Applying a plan: every asset written in the import's one transaction, or none.

use std::collections::HashMap;

use chrono::Utc;
use entities::{
    connection, connector, connector_version, recipe, workspace_connector,
    workspace_connector_version as wcv,
};
use packager::{Action, ConnectorAsset, Credentials, Package, Plan};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde_json::json;

use super::import::imported_source;
use super::*;
use crate::authz::WorkspaceAccess;
use crate::catalog::ledger::{self, InstallEvent, InstallKind};
use crate::error::{ServiceError, ServiceResult, UserProblem};
use crate::recipes;

struct Progress {
    written: usize,
    fault: FaultInjection,
}

impl Progress {
    fn step(&mut self) -> ServiceResult<()> {
        self.written += 1;
        if self
            .fault
            .fail_after_assets
            .is_some_and(|n| self.written > n)
        {
            return Err(ServiceError::Internal(anyhow::anyhow!(
                "injected fault after {} assets",
                self.written - 1
            )));
        }
        Ok(())
    }
}

pub(super) async fn apply(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    package: &Package,
    plan: &Plan,
    validated: &HashMap<String, sdk::Capabilities>,
    fault: FaultInjection,
) -> ServiceResult<()> {
    let mut progress = Progress { written: 0, fault };
    let ws = access.workspace.id;
    let now = Utc::now();
    for step in plan
        .connectors
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update))
    {
        let asset = package
            .connectors
            .iter()
            .find(|a| a.slug == step.slug)
            .ok_or_else(|| anyhow::anyhow!("plan names a connector the package lacks"))?;
        let (source, capabilities) = imported_source(txn, asset, validated).await?;
        apply_connector(
            txn,
            access,
            asset,
            &source,
            capabilities,
            step.create_version,
            now,
        )
        .await?;
        progress.step()?;
    }
    let copies = workspace_connector::Entity::find()
        .filter(workspace_connector::Column::WorkspaceId.eq(ws))
        .all(txn)
        .await?;
    let slugs = copy_slugs(txn, &copies).await?;
    let copy_of = |slug: &str| {
        slugs
            .iter()
            .find(|(_, s)| s.as_str() == slug)
            .map(|(id, _)| *id)
    };
    for step in plan
        .connections
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update))
    {
        let asset = package
            .connections
            .iter()
            .find(|c| c.asset_id == step.asset_id)
            .ok_or_else(|| anyhow::anyhow!("plan names a connection the package lacks"))?;
        let copy_id = copy_of(&asset.connector).ok_or_else(|| {
            anyhow::anyhow!("connection {} has no connector after import", asset.name)
        })?;
        let existing = connection::Entity::find()
            .filter(connection::Column::WorkspaceId.eq(ws))
            .filter(connection::Column::AssetId.eq(&asset.asset_id))
            .one(txn)
            .await?;
        match existing {
            // Credentials in the target survive: only non-secret fields come from the package.
            Some(found) => {
                let mut active: connection::ActiveModel = found.into();
                active.folder = Set(asset.folder.clone());
                active.name = Set(asset.name.clone());
                active.fields = Set(json!(asset.fields));
                active.updated_at = Set(now);
                active.update(txn).await?;
            }
            None => {
                connection::ActiveModel {
                    workspace_id: Set(ws),
                    asset_id: Set(asset.asset_id.clone()),
                    folder: Set(asset.folder.clone()),
                    name: Set(asset.name.clone()),
                    workspace_connector_id: Set(copy_id),
                    fields: Set(json!(asset.fields)),
                    secrets: Set(json!({})),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
            }
        }
        debug_assert!(matches!(
            step.credentials,
            Credentials::KeepExisting | Credentials::NeedsCredentials
        ));
        progress.step()?;
    }
    // Every recipe is checked against the copies as the import leaves them, loaded once.
    let released = recipes::released_copies(txn, ws).await?;
    for step in plan
        .recipes
        .iter()
        .filter(|r| matches!(r.action, Action::Create | Action::Update))
    {
        let asset = package
            .recipes
            .iter()
            .find(|r| r.asset_id == step.asset_id)
            .ok_or_else(|| anyhow::anyhow!("plan names a recipe the package lacks"))?;
        let used = released.check(&asset.definition)?;
        let existing = recipe::Entity::find()
            .filter(recipe::Column::WorkspaceId.eq(ws))
            .filter(recipe::Column::AssetId.eq(&asset.asset_id))
            .one(txn)
            .await?;
        let saved = match existing {
            // An existing recipe keeps its state: a running one is stopped and restarted around
            // the change, inside this transaction.
            Some(found) => {
                let mut active: recipe::ActiveModel = found.into();
                active.folder = Set(asset.folder.clone());
                active.name = Set(asset.name.clone());
                active.description = Set(asset.description.clone());
                active.definition = Set(asset.definition.clone());
                active.updated_at = Set(now);
                active.update(txn).await?
            }
            None => {
                recipe::ActiveModel {
                    workspace_id: Set(ws),
                    asset_id: Set(asset.asset_id.clone()),
                    folder: Set(asset.folder.clone()),
                    name: Set(asset.name.clone()),
                    description: Set(asset.description.clone()),
                    definition: Set(asset.definition.clone()),
                    state: Set("stopped".to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?
            }
        };
        recipes::set_uses_in(txn, saved.id, &used).await?;
        progress.step()?;
    }
    Ok(())
}

/// Create or update the workspace's copy of an imported connector: a new version (origin
/// `imported`, with `source`: the package's or the catalog's) that is also released, and the
/// community lineage kept when this catalog has it.
async fn apply_connector(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    asset: &ConnectorAsset,
    source: &str,
    capabilities: sdk::Capabilities,
    create_version: Option<i32>,
    now: chrono::DateTime<Utc>,
) -> ServiceResult<()> {
    let ws = access.workspace.id;
    let listing = connector::Entity::find()
        .filter(connector::Column::Slug.eq(&asset.slug))
        .one(txn)
        .await?
        .ok_or_else(|| {
            ServiceError::from(UserProblem::bad_input(
                &["input", "archive"],
                format!("the listing {} is not in this server's catalog", asset.slug),
            ))
        })?;
    let parent = match &asset.parent {
        Some(p) => {
            connector_version::Entity::find()
                .filter(connector_version::Column::ConnectorId.eq(listing.id))
                .filter(connector_version::Column::Version.eq(&p.version))
                .one(txn)
                .await?
        }
        None => None,
    };
    let existing = workspace_connector::Entity::find()
        .filter(workspace_connector::Column::WorkspaceId.eq(ws))
        .filter(workspace_connector::Column::ConnectorId.eq(listing.id))
        .one(txn)
        .await?;
    // Lineage: the package's parent when this catalog has it, otherwise the target copy's own
    // (a package without lineage must not erase the one the target keeps).
    let parent = match (parent, existing.as_ref().and_then(|c| c.parent_version_id)) {
        (Some(found), _) => Some(found),
        (None, Some(kept)) => connector_version::Entity::find_by_id(kept).one(txn).await?,
        (None, None) => None,
    };
    let (copy, number, from_parent) = match existing {
        Some(copy) => {
            let number = create_version.unwrap_or(copy.latest_number + 1);
            (copy.clone(), number, copy.parent_version_id)
        }
        None => {
            let copy = workspace_connector::ActiveModel {
                workspace_id: Set(ws),
                connector_id: Set(Some(listing.id)),
                name: Set(asset.name.clone()),
                parent_version_id: Set(parent.as_ref().map(|p| p.id)),
                latest_number: Set(0),
                released_number: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            (copy, create_version.unwrap_or(1), None)
        }
    };
    wcv::ActiveModel {
        workspace_connector_id: Set(copy.id),
        number: Set(number),
        source: Set(source.to_owned()),
        sha256: Set(asset.sha256.clone()),
        origin: Set("imported".to_owned()),
        author_id: Set(Some(access.user.id)),
        base_version_id: Set(parent.as_ref().map(|p| p.id)),
        capabilities: Set(serde_json::to_value(&capabilities).map_err(|e| anyhow::anyhow!("{e}"))?),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let was_new = copy.latest_number == 0;
    let mut active: workspace_connector::ActiveModel = copy.into();
    active.latest_number = Set(number);
    active.released_number = Set(Some(number));
    active.parent_version_id = Set(parent.as_ref().map(|p| p.id));
    active.updated_at = Set(now);
    active.update(txn).await?;
    // A copy that keeps its community lineage counts in the listing's metrics like any install.
    if let Some(parent) = &parent {
        let (kind, from) = if was_new {
            (InstallKind::Install, None)
        } else {
            (InstallKind::Update, from_parent)
        };
        if kind == InstallKind::Install || from != Some(parent.id) {
            ledger::record(
                txn,
                &InstallEvent {
                    connector_id: listing.id,
                    version_id: parent.id,
                    from_version_id: from,
                    workspace_id: ws,
                    user_id: Some(access.user.id),
                    kind,
                    at: now,
                },
            )
            .await?;
        }
    }
    Ok(())
}
