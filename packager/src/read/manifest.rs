//! Steps 5 and 6 of reading: the manifest, and the files it lists.

use std::collections::{BTreeMap, BTreeSet};

use crate::canonical::{is_sha256_hex, sha256_hex};
use crate::error::ReadError;
use crate::model::{AssetType, FORMAT_VERSION, Manifest, ManifestAsset};
use crate::names;
use crate::time::is_rfc3339;

fn malformed_manifest(reason: impl Into<String>) -> ReadError {
    ReadError::MalformedManifest {
        reason: reason.into(),
    }
}

/// Step 5a: the format version first, so a newer format gets the clearer error.
pub(super) fn parse(files: &BTreeMap<String, Vec<u8>>) -> Result<Manifest, ReadError> {
    let bytes = files
        .get(names::MANIFEST_PATH)
        .ok_or_else(|| ReadError::MissingFile {
            path: names::MANIFEST_PATH.to_owned(),
        })?;
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| malformed_manifest(e.to_string()))?;
    let version = value
        .get("format_version")
        .ok_or_else(|| malformed_manifest("format_version is missing"))?;
    if version.as_u64() != Some(u64::from(FORMAT_VERSION)) {
        return Err(ReadError::UnsupportedFormatVersion {
            found: version.to_string(),
        });
    }
    serde_json::from_value(value).map_err(|e| malformed_manifest(e.to_string()))
}

/// Step 5b: the manifest is consistent with itself and with the layout.
pub(super) fn check(manifest: &Manifest) -> Result<(), ReadError> {
    if uuid::Uuid::try_parse(&manifest.package_id).is_err() {
        return Err(malformed_manifest("package_id is not a UUID"));
    }
    if !is_rfc3339(&manifest.created_at) {
        return Err(malformed_manifest(
            "created_at is not an RFC 3339 timestamp",
        ));
    }
    let mut paths = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for asset in &manifest.assets {
        if expected_path(asset).as_deref() != Some(asset.path.as_str()) {
            return Err(malformed_manifest(format!(
                "the entry for {} does not match the layout",
                asset.path
            )));
        }
        if !paths.insert(asset.path.to_lowercase()) {
            return Err(malformed_manifest(format!(
                "{} is listed twice",
                asset.path
            )));
        }
        let id_key = match asset.asset_type {
            AssetType::Recipe | AssetType::Connection => ("asset", asset.asset_id.clone()),
            AssetType::Connector | AssetType::ConnectorSource => (
                "connector",
                format!("{:?}/{}", asset.asset_type, asset.asset_id),
            ),
        };
        if !ids.insert(id_key) {
            return Err(malformed_manifest(format!(
                "asset id {} is listed twice",
                asset.asset_id
            )));
        }
        if !is_sha256_hex(&asset.sha256) {
            return Err(malformed_manifest(format!(
                "the sha256 of {} is not lowercase hex",
                asset.path
            )));
        }
    }
    check_connectors_complete(manifest)?;
    let known: BTreeSet<&str> = manifest
        .assets
        .iter()
        .map(|a| a.asset_id.as_str())
        .collect();
    for edge in &manifest.dependencies {
        if !known.contains(edge.from.as_str()) || !known.contains(edge.to.as_str()) {
            return Err(malformed_manifest(format!(
                "the dependency {} -> {} names an asset not in the package",
                edge.from, edge.to
            )));
        }
    }
    Ok(())
}

/// The path an asset entry must have, or `None` if its fields break the naming rules.
fn expected_path(asset: &ManifestAsset) -> Option<String> {
    match asset.asset_type {
        AssetType::Recipe | AssetType::Connection => {
            names::check_folder(&asset.folder).ok()?;
            names::check_name(&asset.name).ok()?;
            uuid::Uuid::try_parse(&asset.asset_id).ok()?;
            Some(if asset.asset_type == AssetType::Recipe {
                names::recipe_path(&asset.folder, &asset.name)
            } else {
                names::connection_path(&asset.folder, &asset.name)
            })
        }
        AssetType::Connector | AssetType::ConnectorSource => {
            names::check_slug(&asset.asset_id, names::MAX_SLUG_LEN).ok()?;
            if asset.folder != names::connector_folder(&asset.asset_id) {
                return None;
            }
            Some(if asset.asset_type == AssetType::Connector {
                names::connector_metadata_path(&asset.asset_id)
            } else {
                names::connector_source_path(&asset.asset_id)
            })
        }
    }
}

/// A source without its `connector.json` is malformed; a `connector.json` without a source is a
/// connector travelling by reference, judged with its content in step 7.
fn check_connectors_complete(manifest: &Manifest) -> Result<(), ReadError> {
    let slugs = |kind| -> BTreeSet<&str> {
        manifest
            .assets
            .iter()
            .filter(|a| a.asset_type == kind)
            .map(|a| a.asset_id.as_str())
            .collect()
    };
    let metadata = slugs(AssetType::Connector);
    if let Some(slug) = slugs(AssetType::ConnectorSource)
        .difference(&metadata)
        .next()
    {
        return Err(malformed_manifest(format!(
            "connector {slug} has a connector.js but no connector.json"
        )));
    }
    Ok(())
}

/// Step 6: the archive holds exactly the listed files, byte for byte.
pub(super) fn check_files(
    manifest: &Manifest,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<(), ReadError> {
    for asset in &manifest.assets {
        let path = asset.path.clone();
        let Some(bytes) = files.get(&asset.path) else {
            return Err(ReadError::MissingFile { path });
        };
        let actual = bytes.len() as u64;
        if actual != asset.size {
            return Err(ReadError::SizeMismatch {
                path,
                listed: asset.size,
                actual,
            });
        }
        if sha256_hex(bytes) != asset.sha256 {
            return Err(ReadError::HashMismatch { path });
        }
    }
    let listed: BTreeSet<&str> = manifest.assets.iter().map(|a| a.path.as_str()).collect();
    if let Some(path) = files
        .keys()
        .find(|p| p.as_str() != names::MANIFEST_PATH && !listed.contains(p.as_str()))
    {
        return Err(ReadError::UnlistedFile { path: path.clone() });
    }
    Ok(())
}
