//! Import: what the target workspace holds, in the packager's terms; reading, verifying and
//! planning an archive; the right to import, asked before the upload is read.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use entities::{connection, connector, connector_version, recipe, workspace_connector};
use packager::{
    ConnectorAsset, ConnectorContent, Package, Plan, TargetConnection, TargetConnector,
    TargetRecipe, TargetView,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde_json::{Value, json};

use super::apply::apply;
use super::*;
use crate::auth::Principal;
use crate::authz::{Authorizer, Permission, WorkspaceAccess, WorkspaceRef};
use crate::catalog::listings::validate_source;
use crate::db;
use crate::debugger::Runner;
use crate::domain;
use crate::error::{ServiceError, ServiceResult, UserProblem};

/// What the target workspace holds now, in the packager's terms.
pub async fn target_view(
    db: &impl ConnectionTrait,
    workspace_id: i64,
) -> ServiceResult<TargetView> {
    let copies = crate::lifecycle::copies(db, workspace_id).await?;
    let slugs = copy_slugs(db, &copies).await?;
    let mut view = TargetView::default();
    for copy in &copies {
        let Some(slug) = slugs.get(&copy.id) else {
            continue;
        };
        let connector = target_connector(db, copy, slug).await?;
        view.connectors.insert(slug.clone(), connector);
    }
    for r in recipe::Entity::find()
        .filter(recipe::Column::WorkspaceId.eq(workspace_id))
        .all(db)
        .await?
    {
        view.recipes.insert(r.asset_id.clone(), target_recipe(&r));
    }
    for c in connection::Entity::find()
        .filter(connection::Column::WorkspaceId.eq(workspace_id))
        .all(db)
        .await?
    {
        view.connections
            .insert(c.asset_id.clone(), target_connection(&c, &slugs));
    }
    Ok(view)
}

async fn target_connector(
    db: &impl ConnectionTrait,
    copy: &workspace_connector::Model,
    slug: &str,
) -> ServiceResult<TargetConnector> {
    let released_sha256 = match copy.released_number {
        Some(n) => crate::lifecycle::version(db, copy.id, n)
            .await?
            .map(|v| v.sha256),
        None => None,
    };
    Ok(TargetConnector {
        latest_version: copy.latest_number,
        released_version: copy.released_number,
        released_sha256,
        parent: connector_parent(db, copy, slug).await?,
    })
}

fn target_recipe(r: &recipe::Model) -> TargetRecipe {
    let as_package = to_package_recipe(r);
    TargetRecipe {
        folder: r.folder.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        definition_sha256: packager::definition_sha256(&r.definition),
        state: as_package.state,
        connectors: as_package.connector_slugs(),
    }
}

fn target_connection(c: &connection::Model, slugs: &BTreeMap<i64, String>) -> TargetConnection {
    let fields: BTreeMap<String, Value> =
        serde_json::from_value(c.fields.clone()).unwrap_or_default();
    let has_credentials = c.secrets.as_object().is_some_and(|m| !m.is_empty());
    TargetConnection {
        folder: c.folder.clone(),
        name: c.name.clone(),
        connector: slugs
            .get(&c.workspace_connector_id)
            .cloned()
            .unwrap_or_default(),
        has_credentials,
        fields_sha256: packager::fields_sha256(&fields),
    }
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
pub(super) async fn imported_source(
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
    UserProblem::bad_input(&["input", "archive"], message)
        .because(err.code())
        .into()
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
    runner: &Runner,
    grant: &ImportGrant,
    archive: &[u8],
    dry_run: bool,
    expected_fingerprint: Option<&str>,
    fault: FaultInjection,
) -> ServiceResult<ImportOutcome> {
    let access = &grant.0;
    let package = read_trusted(access, archive)?;
    let validated = validate_sources(runner, &package).await?;

    let txn = db::begin_write(db).await?;
    let mut view = target_view(&txn, access.workspace.id).await?;
    view.catalog = catalog_view(&txn, &package).await?;
    let plan = packager::plan(&package, &view);
    let fingerprint = plan.fingerprint(&view);
    let plan_json = serde_json::to_value(&plan).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (outcome, detail) = if dry_run {
        ("planned", json!({ "dry_run": true }))
    } else {
        require_applicable(&plan, &fingerprint, expected_fingerprint)?;
        apply(&txn, access, &package, &plan, &validated, fault).await?;
        (
            "applied",
            json!({ "dry_run": false, "noop": plan.is_noop() }),
        )
    };
    let new = NewRecord {
        direction: "import",
        package: &package,
        archive,
        keep_archive: false,
        plan: Some(plan_json),
        outcome,
    };
    let record = record_package(&txn, access, new, Permission::PackageImport, detail).await?;
    txn.commit().await?;
    Ok(ImportOutcome {
        plan,
        fingerprint,
        applied: !dry_run,
        record,
    })
}

/// Read `archive` as a package, verified against the workspace's signing policy, with no NUL in
/// anything it would store.
fn read_trusted(access: &WorkspaceAccess, archive: &[u8]) -> ServiceResult<Package> {
    let package =
        packager::read(archive, &packager::Limits::default()).map_err(|e| package_problem(&e))?;
    let keys = trusted_keys(&access.workspace)?;
    packager::verify(&package, &keys, access.workspace.require_signed_packages)
        .map_err(|e| package_problem(&e))?;
    without_nul(&package)?;
    Ok(package)
}

/// The capabilities of every source the package carries, by connector slug.
///
/// A connector travelling by reference gets a published (so validated) catalog source, if the
/// plan finds that its reference resolves. Sources are parsed here, in worker processes, before
/// the transaction starts; applying uses what they declared.
async fn validate_sources(
    runner: &Runner,
    package: &Package,
) -> ServiceResult<HashMap<String, sdk::Capabilities>> {
    let mut validated = HashMap::new();
    for asset in &package.connectors {
        let Some(source) = asset.source() else {
            continue;
        };
        let capabilities = validate_source(runner, source.to_owned())
            .await
            .map_err(|_| {
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
    Ok(validated)
}

/// A plan is applied only as the dry run showed it (when the caller names its fingerprint) and
/// only without conflicts or missing dependencies.
fn require_applicable(
    plan: &Plan,
    fingerprint: &str,
    expected_fingerprint: Option<&str>,
) -> ServiceResult<()> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn an_archive_refused_names_the_packagers_code_as_a_value() {
        let Err(refused) = packager::read(b"not a zip archive", &packager::Limits::default())
        else {
            panic!("a text file read as a package");
        };
        let ServiceError::User(problems) = package_problem(&refused) else {
            panic!("an unreadable archive is the user's to fix");
        };
        assert_eq!(problems[0].reason, Some(refused.code()));
        assert_eq!(problems[0].code, ErrorCode::BadUserInput);
        assert!(
            problems[0]
                .message
                .starts_with(&format!("[{}] ", refused.code()))
        );
    }
}
