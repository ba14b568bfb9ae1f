//! Packages: export recipes with the exact connector versions and connections they use, and
//! import them into another workspace — planned first (a dry run returns the plan and its
//! fingerprint), applied in one transaction that either completes or changes nothing.
//!
//! The archive format, its limits and the planning are the `packager` crate's; this module reads
//! the workspace into the packager's model, and writes a plan back.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine as _;
use chrono::Utc;
use entities::{
    connection, connector, connector_version, package, recipe, workspace_connector,
    workspace_connector_version as wcv,
};
use packager::{
    Action, CatalogReference, ConnectorAsset, ConnectorContent, ConnectorParent, Credentials,
    Package, PackageInput, PackageSource, Plan, TargetConnection, TargetConnector, TargetRecipe,
    TargetView,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::audit::{self, AuditEntry, Outcome};
use crate::auth::Principal;
use crate::authz::{Authorizer, Permission, WorkspaceAccess, WorkspaceRef};
use crate::catalog::ledger::{self, InstallEvent, InstallKind};
use crate::catalog::listings::validate_source;
use crate::db;
use crate::domain;
use crate::error::{ServiceError, ServiceResult, UserProblem};
use crate::recipes;

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

/// Export recipes and what they depend on. Needs `package.export`.
pub async fn export(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    workspace_slug: &str,
    selection: Selection,
) -> ServiceResult<package::Model> {
    let access = authorizer
        .authorize(
            db,
            principal,
            WorkspaceRef::Slug(workspace_slug),
            Some(Permission::PackageExport),
        )
        .await?;
    let ws = &access.workspace;
    let all = recipe::Entity::find()
        .filter(recipe::Column::WorkspaceId.eq(ws.id))
        .order_by_asc(recipe::Column::Id)
        .all(db)
        .await?;
    let chosen: Vec<recipe::Model> = all
        .into_iter()
        .filter(|r| {
            selection.recipe_ids.contains(&r.id)
                || selection.folders.iter().any(|f| in_folder(&r.folder, f))
        })
        .collect();
    let known: BTreeSet<i64> = chosen.iter().map(|r| r.id).collect();
    if let Some(missing) = selection.recipe_ids.iter().find(|id| !known.contains(id)) {
        return Err(ServiceError::NotFound(format!("recipe {missing}")));
    }
    if chosen.is_empty() {
        return Err(UserProblem::bad_input(&["input"], "the selection holds no recipes").into());
    }

    let copies = workspace_connector::Entity::find()
        .filter(workspace_connector::Column::WorkspaceId.eq(ws.id))
        .all(db)
        .await?;
    let listings = copy_listings(db, &copies).await?;
    let slugs: BTreeMap<i64, String> = listings
        .iter()
        .map(|(id, listing)| (*id, listing.slug.clone()))
        .collect();
    let by_slug: BTreeMap<&str, (&workspace_connector::Model, &connector::Model)> = copies
        .iter()
        .filter_map(|c| {
            let listing = listings.get(&c.id)?;
            Some((listing.slug.as_str(), (c, listing)))
        })
        .collect();
    let package_recipes: Vec<packager::Recipe> = chosen.iter().map(to_package_recipe).collect();
    let used: BTreeSet<String> = package_recipes
        .iter()
        .flat_map(|r| r.connector_slugs())
        .collect();

    let mut connectors = Vec::new();
    for slug in &used {
        let (copy, listing) = by_slug.get(slug.as_str()).ok_or_else(|| {
            ServiceError::from(UserProblem::bad_input(
                &["input"],
                format!("a selected recipe uses {slug}, which is not installed in this workspace"),
            ))
        })?;
        connectors.push(export_connector(db, &access, copy, listing).await?);
    }
    let used_copies: BTreeSet<i64> = used
        .iter()
        .filter_map(|s| by_slug.get(s.as_str()).map(|(c, _)| c.id))
        .collect();
    let connections: Vec<packager::Connection> = connection::Entity::find()
        .filter(connection::Column::WorkspaceId.eq(ws.id))
        .order_by_asc(connection::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|c| used_copies.contains(&c.workspace_connector_id))
        .filter_map(|c| {
            Some(packager::Connection {
                asset_id: c.asset_id,
                folder: c.folder,
                name: c.name,
                connector: slugs.get(&c.workspace_connector_id)?.clone(),
                // Non-secret fields only: secrets never enter a package.
                fields: serde_json::from_value(c.fields).unwrap_or_default(),
            })
        })
        .collect();

    // Same assets, same bytes: the timestamp is the newest change among them, the id a digest.
    let newest = chosen
        .iter()
        .map(|r| r.updated_at)
        .max()
        .unwrap_or(ws.created_at);
    let mut seed = format!("{}:", ws.slug);
    for r in &chosen {
        seed.push_str(&format!("{}@{};", r.asset_id, r.updated_at.to_rfc3339()));
    }
    for c in &connectors {
        seed.push_str(&format!("{}@{};", c.slug, c.sha256));
    }
    let input = PackageInput {
        package_id: derived_uuid(&seed),
        created_at: newest.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        source: PackageSource {
            workspace: ws.slug.clone(),
            environment: ws.environment.clone(),
        },
        exporter: access.user.handle.clone(),
        recipes: package_recipes,
        connections,
        connectors,
    };
    let archive =
        packager::build(&input, &packager::BuildOptions::default()).map_err(|err| match err {
            packager::BuildError::Json { .. } | packager::BuildError::Zip(_) => {
                ServiceError::Internal(anyhow::anyhow!("building a package: {err}"))
            }
            other => UserProblem::bad_input(
                &["input"],
                format!("cannot package this selection: {other}"),
            )
            .into(),
        })?;
    let package = packager::read(&archive, &packager::Limits::default())
        .map_err(|err| anyhow::anyhow!("our own package does not read back: {err}"))?;

    let txn = db::begin_write(db).await?;
    let record = package::ActiveModel {
        workspace_id: Set(ws.id),
        direction: Set("export".to_owned()),
        package_id: Set(package.manifest.package_id.clone()),
        manifest: Set(serde_json::to_value(&package.manifest).map_err(|e| anyhow::anyhow!("{e}"))?),
        sha256: Set(sha256_hex(&archive)),
        size: Set(i64::try_from(archive.len()).unwrap_or(i64::MAX)),
        actor_id: Set(Some(access.user.id)),
        plan: Set(None),
        outcome: Set("exported".to_owned()),
        archive: Set(Some(archive)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record_audit(
        &txn,
        &access,
        Permission::PackageExport,
        &record,
        json!({ "recipes": chosen.len() }),
    )
    .await?;
    txn.commit().await?;
    Ok(record)
}

/// A copy at its released version, as it travels in a package. A closed-source listing's copy goes
/// by reference to the catalog version its released source is byte-identical to, so that no part
/// of that source enters the archive; any other copy carries its source, which needs
/// `connector.view_source` here.
async fn export_connector(
    db: &DatabaseConnection,
    access: &WorkspaceAccess,
    copy: &workspace_connector::Model,
    listing: &connector::Model,
) -> ServiceResult<ConnectorAsset> {
    let slug = &listing.slug;
    let released = copy.released_number.ok_or_else(|| {
        ServiceError::from(UserProblem::bad_input(
            &["input"],
            format!("{slug} has no released version; release it before exporting"),
        ))
    })?;
    let version = crate::lifecycle::version(db, copy.id, released)
        .await?
        .ok_or_else(|| anyhow::anyhow!("copy {} lost its released version", copy.id))?;
    let parent = match copy.parent_version_id {
        Some(id) => connector_version::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|v| ConnectorParent {
                listing: slug.clone(),
                version: v.version,
            }),
        None => None,
    };
    let content = if listing.source_hidden {
        ConnectorContent::Reference(catalog_reference(db, listing, copy, &version).await?)
    } else {
        require_source_export(db, access, copy, slug).await?;
        ConnectorContent::Source(version.source)
    };
    Ok(ConnectorAsset {
        slug: slug.clone(),
        name: copy.name.clone(),
        workspace_version: released,
        content,
        sha256: version.sha256,
        parent,
    })
}

/// The community version of `listing` whose source is byte for byte the copy's released one:
/// its parent when that matches, else the oldest such version not yanked, else the oldest.
async fn catalog_reference(
    db: &DatabaseConnection,
    listing: &connector::Model,
    copy: &workspace_connector::Model,
    released: &wcv::Model,
) -> ServiceResult<CatalogReference> {
    connector_version::Entity::find()
        .filter(connector_version::Column::ConnectorId.eq(listing.id))
        .filter(connector_version::Column::Sha256.eq(&released.sha256))
        .all(db)
        .await?
        .into_iter()
        .filter(|v| v.source == released.source)
        .min_by_key(|v| (Some(v.id) != copy.parent_version_id, v.yanked, v.id))
        .map(|v| CatalogReference {
            listing: listing.slug.clone(),
            version: v.version,
            sha256: v.sha256,
        })
        .ok_or_else(|| {
            UserProblem::bad_input(
                &["input"],
                format!(
                    "{} is closed source and its released version {} is not a published \
                     version of the listing: a closed-source connector travels only by \
                     reference to a published version, so its local edits cannot be exported",
                    listing.slug, released.number
                ),
            )
            .into()
        })
}

/// Exporting a connector's source is reading it: `connector.view_source`, or `FORBIDDEN` with the
/// refusal on the audit log. Recorded on the plain connection, outside any transaction, so that
/// nothing rolls the record back; nothing else is written.
async fn require_source_export(
    db: &DatabaseConnection,
    access: &WorkspaceAccess,
    copy: &workspace_connector::Model,
    slug: &str,
) -> ServiceResult<()> {
    if access.can(Permission::ConnectorViewSource) {
        return Ok(());
    }
    audit::record(
        db,
        AuditEntry {
            workspace_id: Some(access.workspace.id),
            actor_id: Some(access.user.id),
            action: &Permission::ConnectorViewSource.name(),
            object_type: "workspace_connector",
            object_id: copy.id.to_string(),
            outcome: Outcome::Denied,
            detail: json!({ "reason": "package export", "connector": slug, "role": access.role }),
        },
    )
    .await?;
    Err(ServiceError::Forbidden(format!(
        "export the source of the connector {slug} (it needs the {} permission)",
        Permission::ConnectorViewSource.name()
    )))
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

async fn record_audit(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    action: Permission,
    record: &package::Model,
    detail: Value,
) -> ServiceResult<()> {
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
    Ok(())
}

/// An export's archive, for the download route. Needs `package.export` in its workspace, and the
/// stored archive must pass today's rules for the source it carries (see [`require_download`]):
/// it may have been exported before them, or a listing may have closed its source since.
pub async fn download(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    record_id: i64,
) -> ServiceResult<(String, Vec<u8>)> {
    principal.require_user()?;
    let mut record = package::Entity::find_by_id(record_id)
        .one(db)
        .await?
        .filter(|r| r.direction == "export")
        .ok_or_else(|| ServiceError::NotFound("package".into()))?;
    let access = authorizer
        .authorize_for_object(
            db,
            principal,
            record.workspace_id,
            Some(Permission::PackageExport),
            "package",
        )
        .await?;
    let archive = record
        .archive
        .take()
        .ok_or_else(|| ServiceError::NotFound("package archive".into()))?;
    let (archive, carried) = carried_sources(archive).await?;
    require_download(db, &access, &record, &carried).await?;
    Ok((format!("{}.zip", record.package_id), archive))
}

/// The connectors whose source a stored archive carries (not those travelling by reference),
/// read with the packager's bounded reader off the runtime's threads; the archive comes back
/// untouched. An archive of ours that no longer reads is our fault, and is not handed out.
async fn carried_sources(archive: Vec<u8>) -> ServiceResult<(Vec<u8>, Vec<ConnectorAsset>)> {
    let (archive, read) = tokio::task::spawn_blocking(move || {
        let read = packager::read(&archive, &packager::Limits::default());
        (archive, read)
    })
    .await
    .map_err(|e| anyhow::anyhow!("reading a stored package: {e}"))?;
    let package = read
        .map_err(|e| anyhow::anyhow!("a stored package does not read back: [{}] {e}", e.code()))?;
    let carried = package
        .connectors
        .into_iter()
        .filter(|c| c.source().is_some())
        .collect();
    Ok((archive, carried))
}

/// The community listings a packaged connector may belong to: the one its slug names and its
/// parent's (an export writes the same slug in both).
fn listing_slugs(asset: &ConnectorAsset) -> impl Iterator<Item = &str> {
    std::iter::once(asset.slug.as_str()).chain(asset.parent.as_ref().map(|p| p.listing.as_str()))
}

/// Handing out a stored archive is handing out the source it carries, under today's rules: the
/// source of a listing that is closed source now is refused to everyone (the recipes must be
/// exported again, so that the connector travels by reference); any other source needs
/// `connector.view_source` in the package's workspace. Each refusal is `FORBIDDEN` and on the
/// audit log, recorded on the plain connection so that nothing rolls it back; nothing else is
/// written. An archive carrying no source needs nothing beyond `package.export`.
async fn require_download(
    db: &DatabaseConnection,
    access: &WorkspaceAccess,
    record: &package::Model,
    carried: &[ConnectorAsset],
) -> ServiceResult<()> {
    if carried.is_empty() {
        return Ok(());
    }
    let named: BTreeSet<&str> = carried.iter().flat_map(listing_slugs).collect();
    let closed: BTreeSet<String> = connector::Entity::find()
        .filter(connector::Column::Slug.is_in(named))
        .filter(connector::Column::SourceHidden.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.slug)
        .collect();
    let closed_carried: Vec<&str> = carried
        .iter()
        .filter(|c| listing_slugs(c).any(|s| closed.contains(s)))
        .map(|c| c.slug.as_str())
        .collect();
    let (connectors, reason, refusal) = if !closed_carried.is_empty() {
        let list = closed_carried.join(", ");
        (
            closed_carried,
            "closed source",
            format!(
                "download this package: it carries the source of {list}, whose listing is closed \
                 source now; export the recipes again (a closed-source connector then travels by \
                 catalog reference)"
            ),
        )
    } else if access.can(Permission::ConnectorViewSource) {
        return Ok(());
    } else {
        let connectors: Vec<&str> = carried.iter().map(|c| c.slug.as_str()).collect();
        let list = connectors.join(", ");
        (
            connectors,
            "package download",
            format!(
                "download this package: it carries the source of {list} (it needs the {} \
                 permission)",
                Permission::ConnectorViewSource.name()
            ),
        )
    };
    audit::record(
        db,
        AuditEntry {
            workspace_id: Some(access.workspace.id),
            actor_id: Some(access.user.id),
            action: &Permission::ConnectorViewSource.name(),
            object_type: "package",
            object_id: record.package_id.clone(),
            outcome: Outcome::Denied,
            detail: json!({
                "reason": reason,
                "record": record.id,
                "connectors": connectors,
                "role": access.role,
            }),
        },
    )
    .await?;
    Err(ServiceError::Forbidden(refusal))
}

/// What the target workspace holds now, in the packager's terms.
pub async fn target_view(
    db: &impl ConnectionTrait,
    workspace_id: i64,
) -> ServiceResult<TargetView> {
    let copies = workspace_connector::Entity::find()
        .filter(workspace_connector::Column::WorkspaceId.eq(workspace_id))
        .all(db)
        .await?;
    let slugs = copy_slugs(db, &copies).await?;
    let mut view = TargetView::default();
    for copy in &copies {
        let Some(slug) = slugs.get(&copy.id) else {
            continue;
        };
        let released_sha256 = match copy.released_number {
            Some(n) => crate::lifecycle::version(db, copy.id, n)
                .await?
                .map(|v| v.sha256),
            None => None,
        };
        let parent = match copy.parent_version_id {
            Some(id) => connector_version::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|v| ConnectorParent {
                    listing: slug.clone(),
                    version: v.version,
                }),
            None => None,
        };
        view.connectors.insert(
            slug.clone(),
            TargetConnector {
                latest_version: copy.latest_number,
                released_version: copy.released_number,
                released_sha256,
                parent,
            },
        );
    }
    for r in recipe::Entity::find()
        .filter(recipe::Column::WorkspaceId.eq(workspace_id))
        .all(db)
        .await?
    {
        let as_package = to_package_recipe(&r);
        view.recipes.insert(
            r.asset_id.clone(),
            TargetRecipe {
                folder: r.folder.clone(),
                name: r.name.clone(),
                description: r.description.clone(),
                definition_sha256: packager::definition_sha256(&r.definition),
                state: as_package.state,
                connectors: as_package.connector_slugs(),
            },
        );
    }
    for c in connection::Entity::find()
        .filter(connection::Column::WorkspaceId.eq(workspace_id))
        .all(db)
        .await?
    {
        let fields: BTreeMap<String, Value> =
            serde_json::from_value(c.fields.clone()).unwrap_or_default();
        let has_credentials = c.secrets.as_object().is_some_and(|m| !m.is_empty());
        view.connections.insert(
            c.asset_id.clone(),
            TargetConnection {
                folder: c.folder.clone(),
                name: c.name.clone(),
                connector: slugs
                    .get(&c.workspace_connector_id)
                    .cloned()
                    .unwrap_or_default(),
                has_credentials,
                fields_sha256: packager::fields_sha256(&fields),
            },
        );
    }
    Ok(view)
}

/// What this server's catalog holds for the package's catalog references, in the packager's
/// terms: the plan turns a listing or version missing here, or another sha256, into a conflict.
async fn catalog_view(
    db: &impl ConnectionTrait,
    package: &Package,
) -> ServiceResult<BTreeMap<String, BTreeMap<String, String>>> {
    let mut catalog: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for reference in package.references() {
        let Some(listing) = connector::Entity::find()
            .filter(connector::Column::Slug.eq(&reference.listing))
            .one(db)
            .await?
        else {
            continue;
        };
        let versions = catalog.entry(listing.slug.clone()).or_default();
        if let Some(version) = catalog_version(db, &listing, &reference.version).await? {
            versions.insert(version.version, version.sha256);
        }
    }
    Ok(catalog)
}

async fn catalog_version(
    db: &impl ConnectionTrait,
    listing: &connector::Model,
    version: &str,
) -> ServiceResult<Option<connector_version::Model>> {
    Ok(connector_version::Entity::find()
        .filter(connector_version::Column::ConnectorId.eq(listing.id))
        .filter(connector_version::Column::Version.eq(version))
        .one(db)
        .await?)
}

/// The source an imported connector's new version gets: the package's, or that of the catalog
/// version its reference names, which the importer never sees.
async fn imported_source(
    txn: &DatabaseTransaction,
    asset: &ConnectorAsset,
    validated: &HashMap<String, sdk::Capabilities>,
) -> ServiceResult<(String, sdk::Capabilities)> {
    let reference = match &asset.content {
        ConnectorContent::Source(source) => {
            let capabilities = validated
                .get(&asset.slug)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("the source of {} was not validated", asset.slug))?;
            return Ok((source.clone(), capabilities));
        }
        ConnectorContent::Reference(reference) => reference,
    };
    let listing = connector::Entity::find()
        .filter(connector::Column::Slug.eq(&reference.listing))
        .one(txn)
        .await?;
    let version = match &listing {
        Some(listing) => catalog_version(txn, listing, &reference.version).await?,
        None => None,
    };
    // The plan checked this inside the same transaction; failing here is a bug, not bad input.
    let version = version
        .filter(|v| sha256_hex(v.source.as_bytes()) == reference.sha256)
        .ok_or_else(|| {
            anyhow::anyhow!("the catalog reference of {} did not resolve", asset.slug)
        })?;
    // What the catalog stored when the version was published (validated then, in a worker).
    let capabilities = serde_json::from_value(version.capabilities.clone()).map_err(|e| {
        anyhow::anyhow!("the stored capabilities of {} do not read: {e}", asset.slug)
    })?;
    Ok((version.source, capabilities))
}

/// No NUL in anything an import stores (PostgreSQL could not, SQLite would); the field path
/// names the asset's file in the archive.
fn without_nul(package: &Package) -> Result<(), UserProblem> {
    for r in &package.recipes {
        let path = packager::names::recipe_path(&r.folder, &r.name);
        let field = ["input", "archive", path.as_str()];
        let texts = json!([r.asset_id, r.folder, r.name, r.description]);
        domain::json_without_nul(&field, &texts)?;
        domain::json_without_nul(&field, &r.definition)?;
    }
    for c in &package.connections {
        let path = packager::names::connection_path(&c.folder, &c.name);
        let field = ["input", "archive", path.as_str()];
        domain::json_without_nul(&field, &json!([c.asset_id, c.folder, c.name, c.connector]))?;
        domain::json_without_nul(&field, &json!(c.fields))?;
    }
    for c in &package.connectors {
        let path = packager::names::connector_metadata_path(&c.slug);
        domain::json_without_nul(
            &["input", "archive", path.as_str()],
            &json!([c.slug, c.name]),
        )?;
    }
    Ok(())
}

fn package_problem(err: &packager::ReadError) -> ServiceError {
    let mut message = format!("[{}] {err}", err.code());
    if let Some(path) = err.path() {
        message.push_str(&format!(" (path {path:?})"));
    }
    UserProblem::bad_input(&["input", "archive"], message).into()
}

fn trusted_keys(ws: &entities::workspace::Model) -> ServiceResult<Vec<packager::VerifyingKey>> {
    let encoded: Vec<String> = serde_json::from_str(&ws.trusted_package_keys).unwrap_or_default();
    encoded
        .iter()
        .map(|k| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(k)
                .map_err(|e| anyhow::anyhow!("stored trusted key: {e}"))?;
            let array: [u8; 32] = bytes
                .try_into()
                .map_err(|_| anyhow::anyhow!("stored trusted key is not 32 bytes"))?;
            packager::VerifyingKey::from_bytes(&array)
                .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored trusted key: {e}")))
        })
        .collect()
}

/// The right to import into one workspace (`package.import`), settled before an upload is read:
/// only [`authorize_import`] makes one, and [`import`] takes nothing else.
pub struct ImportGrant(WorkspaceAccess);

/// May `principal` import into the workspace `workspace_slug`? Ask before reading the upload,
/// so that a caller without the right has nothing of theirs read.
pub async fn authorize_import(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    workspace_slug: &str,
) -> ServiceResult<ImportGrant> {
    let access = authorizer
        .authorize(
            db,
            principal,
            WorkspaceRef::Slug(workspace_slug),
            Some(Permission::PackageImport),
        )
        .await?;
    Ok(ImportGrant(access))
}

/// Import (or dry-run) `archive` into the workspace of `grant`.
pub async fn import(
    db: &DatabaseConnection,
    grant: &ImportGrant,
    archive: &[u8],
    dry_run: bool,
    expected_fingerprint: Option<&str>,
    fault: FaultInjection,
) -> ServiceResult<ImportOutcome> {
    let access = &grant.0;
    let package =
        packager::read(archive, &packager::Limits::default()).map_err(|e| package_problem(&e))?;
    let keys = trusted_keys(&access.workspace)?;
    packager::verify(&package, &keys, access.workspace.require_signed_packages)
        .map_err(|e| package_problem(&e))?;
    without_nul(&package)?;
    // A connector travelling by reference gets a published (so validated) catalog source, if the
    // plan finds that its reference resolves. Sources are parsed here, in worker processes,
    // before the transaction starts; applying uses what they declared.
    let mut validated = HashMap::new();
    for asset in &package.connectors {
        let Some(source) = asset.source() else {
            continue;
        };
        let capabilities = validate_source(source.to_owned()).await.map_err(|_| {
            ServiceError::from(UserProblem::bad_input(
                &["input", "archive"],
                format!(
                    "the connector {} in the package is not valid connector source",
                    asset.slug
                ),
            ))
        })?;
        validated.insert(asset.slug.clone(), capabilities);
    }

    let txn = db::begin_write(db).await?;
    let mut view = target_view(&txn, access.workspace.id).await?;
    view.catalog = catalog_view(&txn, &package).await?;
    let plan = packager::plan(&package, &view);
    let fingerprint = plan.fingerprint(&view);
    let manifest = serde_json::to_value(&package.manifest).map_err(|e| anyhow::anyhow!("{e}"))?;
    let plan_json = serde_json::to_value(&plan).map_err(|e| anyhow::anyhow!("{e}"))?;
    if dry_run {
        let record = insert_record(
            &txn, access, &package, archive, manifest, plan_json, "planned",
        )
        .await?;
        record_audit(
            &txn,
            access,
            Permission::PackageImport,
            &record,
            json!({ "dry_run": true }),
        )
        .await?;
        txn.commit().await?;
        return Ok(ImportOutcome {
            plan,
            fingerprint,
            applied: false,
            record,
        });
    }
    if let Some(expected) = expected_fingerprint
        && expected != fingerprint
    {
        return Err(UserProblem::conflict(
            &["input", "fingerprint"],
            "the target workspace changed since the dry run; plan again",
        )
        .into());
    }
    if !plan.is_applicable() {
        return Err(UserProblem::conflict(
            &["input", "archive"],
            "the plan has conflicts or missing dependencies; resolve them (see the dry run) first",
        )
        .into());
    }
    apply(&txn, access, &package, &plan, &validated, fault).await?;
    let record = insert_record(
        &txn, access, &package, archive, manifest, plan_json, "applied",
    )
    .await?;
    record_audit(
        &txn,
        access,
        Permission::PackageImport,
        &record,
        json!({ "dry_run": false, "noop": plan.is_noop() }),
    )
    .await?;
    txn.commit().await?;
    Ok(ImportOutcome {
        plan,
        fingerprint,
        applied: true,
        record,
    })
}

async fn insert_record(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    package: &Package,
    archive: &[u8],
    manifest: Value,
    plan: Value,
    outcome: &str,
) -> ServiceResult<package::Model> {
    Ok(package::ActiveModel {
        workspace_id: Set(access.workspace.id),
        direction: Set("import".to_owned()),
        package_id: Set(package.manifest.package_id.clone()),
        manifest: Set(manifest),
        sha256: Set(sha256_hex(archive)),
        size: Set(i64::try_from(archive.len()).unwrap_or(i64::MAX)),
        actor_id: Set(Some(access.user.id)),
        plan: Set(Some(plan)),
        outcome: Set(outcome.to_owned()),
        archive: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

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

async fn apply(
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
