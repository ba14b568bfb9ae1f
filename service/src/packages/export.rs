//! Export: a workspace's recipes, with the connector versions and connections they use, into
//! an archive; and the stored archive's download, checked against today's source rules.

use std::collections::{BTreeMap, BTreeSet};

use entities::{
    connection, connector, connector_version, package, recipe, workspace_connector,
    workspace_connector_version as wcv,
};
use packager::{CatalogReference, ConnectorAsset, ConnectorContent, PackageInput, PackageSource};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::*;
use crate::audit::{self, AuditEntry, Outcome};
use crate::auth::Principal;
use crate::authz::{Authorizer, Permission, WorkspaceAccess, WorkspaceRef};
use crate::db;
use crate::error::{ServiceError, ServiceResult, UserProblem};

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
    let chosen = chosen_recipes(db, &access.workspace, &selection).await?;
    let package_recipes: Vec<packager::Recipe> = chosen.iter().map(to_package_recipe).collect();
    let (connectors, connections) = dependencies(db, &access, &package_recipes).await?;
    let ws = &access.workspace;
    let (package_id, created_at) = identity(ws, &chosen, &connectors);
    let input = PackageInput {
        package_id,
        created_at,
        source: PackageSource {
            workspace: ws.slug.clone(),
            environment: ws.environment.clone(),
        },
        exporter: access.user.handle.clone(),
        recipes: package_recipes,
        connections,
        connectors,
    };
    let archive = build(&input)?;
    let package = packager::read(&archive, &packager::Limits::default())
        .map_err(|err| anyhow::anyhow!("our own package does not read back: {err}"))?;

    let txn = db::begin_write(db).await?;
    let new = NewRecord {
        direction: "export",
        package: &package,
        archive: &archive,
        keep_archive: true,
        plan: None,
        outcome: "exported",
    };
    let detail = json!({ "recipes": chosen.len() });
    let record = record_package(&txn, &access, new, Permission::PackageExport, detail).await?;
    txn.commit().await?;
    Ok(record)
}

/// The recipes of the workspace that `selection` names, by id; a named recipe that is not there
/// is not found, and an empty selection is refused.
async fn chosen_recipes(
    db: &DatabaseConnection,
    ws: &entities::workspace::Model,
    selection: &Selection,
) -> ServiceResult<Vec<recipe::Model>> {
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
    Ok(chosen)
}

/// The connectors the recipes use, each at its released version, and the connections of those
/// connectors.
async fn dependencies(
    db: &DatabaseConnection,
    access: &WorkspaceAccess,
    recipes: &[packager::Recipe],
) -> ServiceResult<(Vec<ConnectorAsset>, Vec<packager::Connection>)> {
    let copies = crate::lifecycle::copies(db, access.workspace.id).await?;
    let listings = copy_listings(db, &copies).await?;
    let by_slug: BTreeMap<&str, (&workspace_connector::Model, &connector::Model)> = copies
        .iter()
        .filter_map(|c| {
            let listing = listings.get(&c.id)?;
            Some((listing.slug.as_str(), (c, listing)))
        })
        .collect();
    let used: BTreeSet<String> = recipes.iter().flat_map(|r| r.connector_slugs()).collect();
    let mut connectors = Vec::new();
    for slug in &used {
        let (copy, listing) = by_slug.get(slug.as_str()).ok_or_else(|| {
            ServiceError::from(UserProblem::bad_input(
                &["input"],
                format!("a selected recipe uses {slug}, which is not installed in this workspace"),
            ))
        })?;
        connectors.push(export_connector(db, access, copy, listing).await?);
    }
    let used_copies: BTreeMap<i64, String> = used
        .iter()
        .filter_map(|s| by_slug.get(s.as_str()).map(|(c, _)| (c.id, s.clone())))
        .collect();
    let connections = connections_of(db, access.workspace.id, &used_copies).await?;
    Ok((connectors, connections))
}

/// The workspace's connections of the copies `used` (by copy id, with their listing slugs).
async fn connections_of(
    db: &DatabaseConnection,
    workspace_id: i64,
    used: &BTreeMap<i64, String>,
) -> ServiceResult<Vec<packager::Connection>> {
    Ok(connection::Entity::find()
        .filter(connection::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(connection::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| {
            Some(packager::Connection {
                connector: used.get(&c.workspace_connector_id)?.clone(),
                asset_id: c.asset_id,
                folder: c.folder,
                name: c.name,
                // Non-secret fields only: secrets never enter a package.
                fields: serde_json::from_value(c.fields).unwrap_or_default(),
            })
        })
        .collect())
}

/// Same assets, same bytes: the package's id is a digest of them, its timestamp the newest
/// change among them.
fn identity(
    ws: &entities::workspace::Model,
    chosen: &[recipe::Model],
    connectors: &[ConnectorAsset],
) -> (String, String) {
    let newest = chosen
        .iter()
        .map(|r| r.updated_at)
        .max()
        .unwrap_or(ws.created_at);
    let mut seed = format!("{}:", ws.slug);
    for r in chosen {
        seed.push_str(&format!("{}@{};", r.asset_id, r.updated_at.to_rfc3339()));
    }
    for c in connectors {
        seed.push_str(&format!("{}@{};", c.slug, c.sha256));
    }
    let created_at = newest.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    (derived_uuid(&seed), created_at)
}

/// Build the archive; a selection the packager refuses is the caller's to change.
fn build(input: &PackageInput) -> ServiceResult<Vec<u8>> {
    packager::build(input, &packager::BuildOptions::default()).map_err(|err| match err {
        packager::BuildError::Json { .. } | packager::BuildError::Zip(_) => {
            ServiceError::Internal(anyhow::anyhow!("building a package: {err}"))
        }
        other => UserProblem::bad_input(
            &["input"],
            format!("cannot package this selection: {other}"),
        )
        .into(),
    })
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
    let parent = connector_parent(db, copy, slug).await?;
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
