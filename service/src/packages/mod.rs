//! Packages: export recipes with the exact connector versions and connections they use, and
//! import them into another workspace — planned first (a dry run returns the plan and its
//! fingerprint), applied in one transaction that either completes or changes nothing.
//!
//! The archive format, its limits and the planning are the `packager` crate's; this module reads
//! the workspace into the packager's model, and writes a plan back.

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::Utc;
use entities::{connector, connector_version, package, recipe, workspace_connector};
use packager::{ConnectorParent, Package, Plan};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::audit::{self, AuditEntry, Outcome};
use crate::auth::Principal;
use crate::authz::{Authorizer, Permission, WorkspaceAccess, WorkspaceRef};
use crate::db;
use crate::error::{ServiceError, ServiceResult, UserProblem};

mod apply;
mod export;
mod import;

pub use export::{download, export};
pub use import::{ImportGrant, authorize_import, import, target_view};
/// What to export: recipes by id and/or every recipe under some folders.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub recipe_ids: Vec<i64>,
    pub folders: Vec<String>,
}

/// The outcome of an import request.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub plan: Plan,
    pub fingerprint: String,
    pub applied: bool,
    pub record: package::Model,
}

/// A fault to inject into an apply, for tests that prove an interrupted import changes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct FaultInjection {
    /// Fail after this many assets have been written.
    pub fail_after_assets: Option<usize>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A UUID-shaped id derived from content, so that the same export gives the same package id.
fn derived_uuid(seed: &str) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&Sha256::digest(seed.as_bytes())[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn in_folder(folder: &str, wanted: &str) -> bool {
    let wanted = wanted.trim_matches('/');
    wanted.is_empty() || folder == wanted || folder.starts_with(&format!("{wanted}/"))
}

/// Set a workspace's package policy. Needs `workspace.manage_roles`.
pub async fn set_policy(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    workspace_slug: &str,
    require_signed: bool,
    trusted_keys: Vec<String>,
) -> ServiceResult<entities::workspace::Model> {
    let access = authorizer
        .authorize(
            db,
            principal,
            WorkspaceRef::Slug(workspace_slug),
            Some(Permission::WorkspaceManageRoles),
        )
        .await?;
    if require_signed && trusted_keys.is_empty() {
        return Err(UserProblem::bad_input(
            &["input", "trustedKeys"],
            "requiring signed packages needs at least one trusted key (otherwise no import could pass)",
        )
        .into());
    }
    for key in &trusted_keys {
        let ok = base64::engine::general_purpose::STANDARD
            .decode(key)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .is_some_and(|b| packager::VerifyingKey::from_bytes(&b).is_ok());
        if !ok {
            return Err(UserProblem::bad_input(
                &["input", "trustedKeys"],
                "each key must be a base64 Ed25519 public key",
            )
            .into());
        }
    }
    let txn = db::begin_write(db).await?;
    let mut active: entities::workspace::ActiveModel = access.workspace.clone().into();
    active.require_signed_packages = Set(require_signed);
    active.trusted_package_keys = Set(json!(trusted_keys).to_string());
    let ws = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            workspace_id: Some(ws.id),
            actor_id: Some(access.user.id),
            action: &Permission::WorkspaceManageRoles.name(),
            object_type: "package_policy",
            object_id: ws.slug.clone(),
            outcome: Outcome::Success,
            detail: json!({ "require_signed": require_signed, "trusted_keys": trusted_keys.len() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ws)
}

/// The workspace's package history, newest first.
pub async fn history(
    db: &impl ConnectionTrait,
    access: &WorkspaceAccess,
) -> ServiceResult<Vec<package::Model>> {
    if !access.can(Permission::PackageExport) && !access.can(Permission::PackageImport) {
        return Err(ServiceError::Forbidden(
            Permission::PackageExport.describe(),
        ));
    }
    Ok(package::Entity::find()
        .filter(package::Column::WorkspaceId.eq(access.workspace.id))
        .order_by_desc(package::Column::Id)
        .all(db)
        .await?)
}

/// The community listings of a workspace's copies, by copy id.
async fn copy_listings(
    db: &impl ConnectionTrait,
    copies: &[workspace_connector::Model],
) -> ServiceResult<BTreeMap<i64, connector::Model>> {
    let ids: Vec<i64> = copies.iter().filter_map(|c| c.connector_id).collect();
    let listings: BTreeMap<i64, connector::Model> = connector::Entity::find()
        .filter(connector::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    Ok(copies
        .iter()
        .filter_map(|c| Some((c.id, listings.get(&c.connector_id?)?.clone())))
        .collect())
}

/// Listing slugs of a workspace's copies, by copy id.
async fn copy_slugs(
    db: &impl ConnectionTrait,
    copies: &[workspace_connector::Model],
) -> ServiceResult<BTreeMap<i64, String>> {
    Ok(copy_listings(db, copies)
        .await?
        .into_iter()
        .map(|(id, listing)| (id, listing.slug))
        .collect())
}

fn to_package_recipe(r: &recipe::Model) -> packager::Recipe {
    packager::Recipe {
        asset_id: r.asset_id.clone(),
        folder: r.folder.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        definition: r.definition.clone(),
        state: if r.state == "running" {
            packager::RecipeState::Running
        } else {
            packager::RecipeState::Stopped
        },
    }
}

/// A package record to write: an export keeps its archive for the download route, an import
/// keeps its plan.
struct NewRecord<'a> {
    direction: &'static str,
    package: &'a Package,
    archive: &'a [u8],
    keep_archive: bool,
    plan: Option<Value>,
    outcome: &'static str,
}

/// Write a package record and its audit entry (`action`, with `detail`).
async fn record_package(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    new: NewRecord<'_>,
    action: Permission,
    detail: Value,
) -> ServiceResult<package::Model> {
    let manifest =
        serde_json::to_value(&new.package.manifest).map_err(|e| anyhow::anyhow!("{e}"))?;
    let record = package::ActiveModel {
        workspace_id: Set(access.workspace.id),
        direction: Set(new.direction.to_owned()),
        package_id: Set(new.package.manifest.package_id.clone()),
        manifest: Set(manifest),
        sha256: Set(sha256_hex(new.archive)),
        size: Set(i64::try_from(new.archive.len()).unwrap_or(i64::MAX)),
        actor_id: Set(Some(access.user.id)),
        plan: Set(new.plan),
        outcome: Set(new.outcome.to_owned()),
        archive: Set(new.keep_archive.then(|| new.archive.to_vec())),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        AuditEntry {
            workspace_id: Some(access.workspace.id),
            actor_id: Some(access.user.id),
            action: &action.name(),
            object_type: "package",
            object_id: record.package_id.clone(),
            outcome: Outcome::Success,
            detail,
        },
    )
    .await?;
    Ok(record)
}

/// The community version a copy follows, as a package names it.
async fn connector_parent(
    db: &impl ConnectionTrait,
    copy: &workspace_connector::Model,
    slug: &str,
) -> ServiceResult<Option<ConnectorParent>> {
    let Some(id) = copy.parent_version_id else {
        return Ok(None);
    };
    Ok(connector_version::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|v| ConnectorParent {
            listing: slug.to_owned(),
            version: v.version,
        }))
}
