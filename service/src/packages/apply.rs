//! Applying a plan: every asset written in the import's one transaction, or none.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{connection, connector, connector_version, recipe, workspace_connector};
use packager::{Action, ConnectorAsset, Credentials, Package, Plan};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde_json::json;

use super::import::imported_source;
use super::*;
use crate::authz::WorkspaceAccess;
use crate::catalog::ledger::InstallKind;
use crate::error::{ServiceError, ServiceResult, UserProblem};
use crate::lifecycle::{self, Follows, Head, NewCopy, NewWorkspaceVersion, Origin};
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

/// Write `plan` into the workspace of `access`: connectors first (connections and recipes name
/// them), then connections, then recipes.
pub(super) async fn apply(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    package: &Package,
    plan: &Plan,
    validated: &HashMap<String, sdk::Capabilities>,
    fault: FaultInjection,
) -> ServiceResult<()> {
    let mut applying = Applying {
        txn,
        access,
        package,
        plan,
        now: Utc::now(),
        progress: Progress { written: 0, fault },
    };
    let stopped = applying.stop_running().await?;
    applying.connectors(validated).await?;
    applying.connections().await?;
    applying.recipes().await?;
    applying.restart(stopped).await
}

/// A running recipe the import stopped, with its trigger as it was.
struct Stopped {
    recipe_id: i64,
    asset_id: String,
    trigger: serde_json::Value,
}

fn is_written(action: Action) -> bool {
    matches!(action, Action::Create | Action::Update)
}

/// One apply under way: the plan, the package it came from, and the assets written so far.
struct Applying<'a> {
    txn: &'a DatabaseTransaction,
    access: &'a WorkspaceAccess,
    package: &'a Package,
    plan: &'a Plan,
    now: DateTime<Utc>,
    progress: Progress,
}

impl Applying<'_> {
    async fn connectors(
        &mut self,
        validated: &HashMap<String, sdk::Capabilities>,
    ) -> ServiceResult<()> {
        let txn = self.txn;
        for step in self.plan.connectors.iter().filter(|c| is_written(c.action)) {
            let asset = self
                .package
                .connectors
                .iter()
                .find(|a| a.slug == step.slug)
                .ok_or_else(|| anyhow::anyhow!("plan names a connector the package lacks"))?;
            let (source, capabilities) = imported_source(txn, asset, validated).await?;
            let imported = Imported {
                asset,
                source,
                capabilities: &capabilities,
                number: step.create_version,
            };
            apply_connector(txn, self.access, imported, self.now).await?;
            self.progress.step()?;
        }
        Ok(())
    }

    async fn connections(&mut self) -> ServiceResult<()> {
        let (txn, ws) = (self.txn, self.access.workspace.id);
        let copies = crate::lifecycle::copies(txn, ws).await?;
        let slugs = copy_slugs(txn, &copies).await?;
        let copy_of = |slug: &str| {
            slugs
                .iter()
                .find(|(_, s)| s.as_str() == slug)
                .map(|(id, _)| *id)
        };
        for step in self
            .plan
            .connections
            .iter()
            .filter(|c| is_written(c.action))
        {
            let asset = self
                .package
                .connections
                .iter()
                .find(|c| c.asset_id == step.asset_id)
                .ok_or_else(|| anyhow::anyhow!("plan names a connection the package lacks"))?;
            let copy_id = copy_of(&asset.connector).ok_or_else(|| {
                anyhow::anyhow!("connection {} has no connector after import", asset.name)
            })?;
            save_connection(txn, ws, asset, copy_id, self.now).await?;
            debug_assert!(matches!(
                step.credentials,
                Credentials::KeepExisting | Credentials::NeedsCredentials
            ));
            self.progress.step()?;
        }
        Ok(())
    }

    /// Stop the running recipes the plan restarts, each with an entry on the audit log, so that
    /// no poll or job reads them half-changed.
    async fn stop_running(&self) -> ServiceResult<Vec<Stopped>> {
        let mut stopped = Vec::new();
        for restart in &self.plan.restarts {
            let Some(found) = recipe::Entity::find()
                .filter(recipe::Column::WorkspaceId.eq(self.access.workspace.id))
                .filter(recipe::Column::AssetId.eq(&restart.asset_id))
                .filter(recipe::Column::State.eq("running"))
                .one(self.txn)
                .await?
            else {
                continue;
            };
            self.set_state(&found, "stopped").await?;
            stopped.push(Stopped {
                recipe_id: found.id,
                asset_id: found.asset_id,
                trigger: found.definition["trigger"].clone(),
            });
        }
        Ok(stopped)
    }

    /// Start again what [`Applying::stop_running`] stopped, each with an entry on the audit
    /// log; a recipe whose trigger the import changed polls from a fresh cursor.
    async fn restart(&self, stopped: Vec<Stopped>) -> ServiceResult<()> {
        for was in stopped {
            let found = recipe::Entity::find_by_id(was.recipe_id)
                .one(self.txn)
                .await?
                .ok_or_else(|| anyhow::anyhow!("recipe {} vanished in the import", was.asset_id))?;
            let fresh_cursor = found.definition["trigger"] != was.trigger;
            self.set_state(&found, "running").await?;
            crate::jobs::restarted(self.txn, found.id, fresh_cursor).await?;
        }
        Ok(())
    }

    async fn set_state(&self, found: &recipe::Model, state: &str) -> ServiceResult<()> {
        let mut active: recipe::ActiveModel = found.clone().into();
        active.state = Set(state.to_owned());
        active.update(self.txn).await?;
        let detail =
            json!({ "state": state, "by": "import", "package": self.package.manifest.package_id });
        let object = ("recipe", found.asset_id.clone());
        let action = crate::authz::Permission::RecipeRun.name();
        crate::audit::success(self.txn, self.access, &action, object, detail).await?;
        Ok(())
    }

    async fn recipes(&mut self) -> ServiceResult<()> {
        let (txn, ws) = (self.txn, self.access.workspace.id);
        // Every recipe is checked against the copies as the import leaves them, loaded once.
        let released = recipes::released_copies(txn, ws).await?;
        for step in self.plan.recipes.iter().filter(|r| is_written(r.action)) {
            let asset = self
                .package
                .recipes
                .iter()
                .find(|r| r.asset_id == step.asset_id)
                .ok_or_else(|| anyhow::anyhow!("plan names a recipe the package lacks"))?;
            let used = released.check(&asset.definition)?;
            let saved = save_recipe(txn, ws, asset, self.now).await?;
            recipes::set_uses_in(txn, saved.id, &used).await?;
            self.progress.step()?;
        }
        Ok(())
    }
}

/// Credentials in the target survive: only non-secret fields come from the package.
async fn save_connection(
    txn: &DatabaseTransaction,
    ws: i64,
    asset: &packager::Connection,
    copy_id: i64,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let existing = connection::Entity::find()
        .filter(connection::Column::WorkspaceId.eq(ws))
        .filter(connection::Column::AssetId.eq(&asset.asset_id))
        .one(txn)
        .await?;
    match existing {
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
    Ok(())
}

/// An existing recipe keeps its state: a running one is stopped and restarted around the change,
/// inside this transaction.
async fn save_recipe(
    txn: &DatabaseTransaction,
    ws: i64,
    asset: &packager::Recipe,
    now: DateTime<Utc>,
) -> ServiceResult<recipe::Model> {
    let existing = recipe::Entity::find()
        .filter(recipe::Column::WorkspaceId.eq(ws))
        .filter(recipe::Column::AssetId.eq(&asset.asset_id))
        .one(txn)
        .await?;
    Ok(match existing {
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
    })
}

/// An imported connector as the plan writes it.
struct Imported<'a> {
    asset: &'a ConnectorAsset,
    /// The package's source, or the catalog's (see `imported_source`).
    source: String,
    capabilities: &'a sdk::Capabilities,
    /// The workspace version the plan creates, when it fixed one.
    number: Option<i32>,
}

/// Create or update the workspace's copy of an imported connector: a new version (origin
/// `imported`) that is also released, and the community lineage kept when this catalog has it —
/// written as every workspace version is (`lifecycle::write_version`).
async fn apply_connector(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    imported: Imported<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let asset = imported.asset;
    // The packager read the asset's sha256 off its source (or the catalog version it names):
    // the version written hashes its source itself, to the same digest.
    debug_assert_eq!(sha256_hex(imported.source.as_bytes()), asset.sha256);
    let listing = catalog_listing(txn, &asset.slug).await?;
    let existing = workspace_connector::Entity::find()
        .filter(workspace_connector::Column::WorkspaceId.eq(access.workspace.id))
        .filter(workspace_connector::Column::ConnectorId.eq(listing.id))
        .one(txn)
        .await?;
    let parent = lineage(txn, asset, &listing, existing.as_ref()).await?;
    let copy = match existing {
        Some(copy) => copy,
        None => {
            let new_copy = NewCopy {
                workspace_id: access.workspace.id,
                listing_id: listing.id,
                name: &asset.name,
                parent_version_id: parent,
                latest_number: 0,
            };
            lifecycle::insert_copy(txn, new_copy, now).await?
        }
    };
    let (was_new, from_parent) = (copy.latest_number == 0, copy.parent_version_id);
    let head = Head {
        number: imported.number.unwrap_or(lifecycle::next_number(&copy)),
        parent_version_id: parent,
        release: true,
        at: now,
    };
    let new = NewWorkspaceVersion {
        source: imported.source,
        origin: Origin::Imported,
        base_version_id: parent,
        capabilities: imported.capabilities,
    };
    lifecycle::write_version(txn, access.user.id, copy, new, head).await?;
    // A copy that keeps its community lineage counts in the listing's metrics like any install.
    let Some(parent) = parent else {
        return Ok(());
    };
    let (kind, from) = if was_new {
        (InstallKind::Install, None)
    } else {
        (InstallKind::Update, from_parent)
    };
    if kind == InstallKind::Install || from != Some(parent) {
        let follows = Follows {
            listing_id: listing.id,
            version_id: parent,
            from_version_id: from,
        };
        lifecycle::record_on_ledger(txn, access, kind, follows, now).await?;
    }
    Ok(())
}

async fn catalog_listing(txn: &DatabaseTransaction, slug: &str) -> ServiceResult<connector::Model> {
    connector::Entity::find()
        .filter(connector::Column::Slug.eq(slug))
        .one(txn)
        .await?
        .ok_or_else(|| {
            ServiceError::from(UserProblem::bad_input(
                &["input", "archive"],
                format!("the listing {slug} is not in this server's catalog"),
            ))
        })
}

/// The community version an imported copy follows: the package's parent when this catalog has
/// it, otherwise the target copy's own (a package without lineage must not erase the one the
/// target keeps), if that version still exists.
async fn lineage(
    txn: &DatabaseTransaction,
    asset: &ConnectorAsset,
    listing: &connector::Model,
    existing: Option<&workspace_connector::Model>,
) -> ServiceResult<Option<i64>> {
    let packaged = match &asset.parent {
        Some(p) => {
            connector_version::Entity::find()
                .filter(connector_version::Column::ConnectorId.eq(listing.id))
                .filter(connector_version::Column::Version.eq(&p.version))
                .one(txn)
                .await?
        }
        None => None,
    };
    let found = match (packaged, existing.and_then(|c| c.parent_version_id)) {
        (Some(found), _) => Some(found),
        (None, Some(kept)) => connector_version::Entity::find_by_id(kept).one(txn).await?,
        (None, None) => None,
    };
    Ok(found.map(|v| v.id))
}
