//! Step 7 of reading: every asset file parsed and held to its manifest entry.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::canonical::sha256_hex;
use crate::error::ReadError;
use crate::model::{
    AssetType, Connection, ConnectorAsset, ConnectorContent, ConnectorMetadata, Manifest,
    ManifestAsset, Package, Recipe,
};
use crate::names;

/// Step 7: parse every asset and hold it to its manifest entry.
pub(super) fn collect(
    manifest: Manifest,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Package, ReadError> {
    let mut recipes = Vec::new();
    let mut connections = Vec::new();
    let mut connectors = Vec::new();
    for asset in &manifest.assets {
        let bytes = files
            .get(&asset.path)
            .map(Vec::as_slice)
            .unwrap_or_default();
        match asset.asset_type {
            AssetType::Recipe => {
                let recipe: Recipe = parse_asset(asset, bytes)?;
                agree(asset, &recipe.asset_id, &recipe.folder, &recipe.name)?;
                recipes.push(recipe);
            }
            AssetType::Connection => {
                let connection: Connection = parse_asset(asset, bytes)?;
                agree(
                    asset,
                    &connection.asset_id,
                    &connection.folder,
                    &connection.name,
                )?;
                connections.push(connection);
            }
            AssetType::Connector => {
                connectors.push(connector(asset, bytes, files)?);
            }
            AssetType::ConnectorSource => {}
        }
    }
    Ok(Package {
        manifest,
        recipes,
        connections,
        connectors,
    })
}

fn malformed_asset(asset: &ManifestAsset, reason: impl Into<String>) -> ReadError {
    ReadError::MalformedAsset {
        path: asset.path.clone(),
        reason: reason.into(),
    }
}

fn parse_asset<T: DeserializeOwned>(asset: &ManifestAsset, bytes: &[u8]) -> Result<T, ReadError> {
    serde_json::from_slice(bytes).map_err(|e| malformed_asset(asset, e.to_string()))
}

fn agree(asset: &ManifestAsset, id: &str, folder: &str, name: &str) -> Result<(), ReadError> {
    if asset.asset_id != id || asset.folder != folder || asset.name != name {
        return Err(malformed_asset(
            asset,
            "its asset id, folder or name differs from the manifest",
        ));
    }
    Ok(())
}

fn connector(
    asset: &ManifestAsset,
    bytes: &[u8],
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<ConnectorAsset, ReadError> {
    let metadata: ConnectorMetadata = parse_asset(asset, bytes)?;
    if metadata.slug != asset.asset_id || metadata.name != asset.name {
        return Err(malformed_asset(
            asset,
            "its slug or name differs from the manifest",
        ));
    }
    let source_path = names::connector_source_path(&metadata.slug);
    // Step 6 made the manifest and the archive agree: the source is here exactly when listed.
    let content = match (metadata.reference.clone(), files.get(&source_path)) {
        (Some(_), Some(_)) => {
            return Err(ReadError::SourceAndReference {
                path: asset.path.clone(),
            });
        }
        (None, None) => {
            return Err(ReadError::NoSourceNorReference {
                path: asset.path.clone(),
            });
        }
        (Some(reference), None) => {
            if let Some(problem) = reference.problem(&metadata.slug, &metadata.sha256) {
                return Err(malformed_asset(
                    asset,
                    format!("its catalog reference {problem}"),
                ));
            }
            ConnectorContent::Reference(reference)
        }
        (None, Some(source_bytes)) => {
            if sha256_hex(source_bytes) != metadata.sha256 {
                return Err(ReadError::HashMismatch { path: source_path });
            }
            let source =
                String::from_utf8(source_bytes.clone()).map_err(|_| ReadError::MalformedAsset {
                    path: source_path,
                    reason: "not UTF-8".to_owned(),
                })?;
            ConnectorContent::Source(source)
        }
    };
    Ok(ConnectorAsset {
        slug: metadata.slug,
        name: metadata.name,
        workspace_version: metadata.workspace_version,
        content,
        sha256: metadata.sha256,
        parent: metadata.parent,
    })
}
