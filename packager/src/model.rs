//! The in-memory assets a package carries and the manifest that lists them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The only package format this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Whether a recipe runs. A package records the state at export; an import keeps the target's state
/// for recipes it already holds and creates new recipes stopped (see `plan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipeState {
    Stopped,
    Running,
}

/// A recipe, as stored in `<folder>/<name>.recipe.json`.
///
/// `definition` is opaque to the packager except for the connectors and connections it names: a
/// `trigger` object and a `steps` array whose elements carry `connector` (a slug) and optionally
/// `connection` (a connection's asset id). See [`Recipe::connector_slugs`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub asset_id: String,
    pub folder: String,
    pub name: String,
    pub description: String,
    pub definition: Value,
    pub state: RecipeState,
}

impl Recipe {
    fn parts(&self) -> impl Iterator<Item = &Value> {
        let trigger = self.definition.get("trigger").into_iter();
        let steps = self
            .definition
            .get("steps")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        trigger.chain(steps)
    }

    /// Slugs of the connectors the trigger and the steps name.
    pub fn connector_slugs(&self) -> BTreeSet<String> {
        self.parts()
            .filter_map(|part| part.get("connector").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    }

    /// Asset ids of the connections the trigger and the steps name.
    pub fn connection_ids(&self) -> BTreeSet<String> {
        self.parts()
            .filter_map(|part| part.get("connection").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    }
}

/// A connection, as stored in `<folder>/<name>.connection.json`. `fields` holds the non-secret
/// fields only: the caller must leave secret fields out, they never enter a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub asset_id: String,
    pub folder: String,
    pub name: String,
    pub connector: String,
    pub fields: BTreeMap<String, Value>,
}

/// The community listing and version a workspace connector was last synced from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorParent {
    pub listing: String,
    pub version: String,
}

/// A workspace connector at its released version: `source` goes to
/// `connectors/<slug>/connector.rhai`, everything else to `connectors/<slug>/connector.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorAsset {
    pub slug: String,
    pub name: String,
    pub workspace_version: i32,
    pub source: String,
    /// Lowercase hex sha256 of `source`.
    pub sha256: String,
    pub parent: Option<ConnectorParent>,
}

/// The content of `connectors/<slug>/connector.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConnectorMetadata {
    pub slug: String,
    pub name: String,
    pub workspace_version: i32,
    pub sha256: String,
    pub parent: Option<ConnectorParent>,
}

impl ConnectorAsset {
    pub(crate) fn metadata(&self) -> ConnectorMetadata {
        ConnectorMetadata {
            slug: self.slug.clone(),
            name: self.name.clone(),
            workspace_version: self.workspace_version,
            sha256: self.sha256.clone(),
            parent: self.parent.clone(),
        }
    }
}

/// Where a package was exported from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSource {
    pub workspace: String,
    pub environment: String,
}

/// What one file in the archive is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetType {
    Recipe,
    Connection,
    /// `connectors/<slug>/connector.json`
    Connector,
    /// `connectors/<slug>/connector.rhai`
    ConnectorSource,
}

/// One file of the package, as listed in the manifest. Connectors have two entries (metadata and
/// source); their `asset_id` is the slug and their `folder` is `connectors/<slug>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestAsset {
    #[serde(rename = "type")]
    pub asset_type: AssetType,
    pub asset_id: String,
    pub name: String,
    pub folder: String,
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// "`from` needs `to`": a recipe needs its connectors and connections, a connection its
/// connector. Only edges between assets inside the package are listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    pub from: String,
    pub to: String,
}

/// An Ed25519 signature over the canonical manifest without this block (see `signature`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub key_id: String,
    pub algorithm: String,
    /// Standard base64 (with padding) of the 64 signature bytes.
    pub value: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format_version: u32,
    pub package_id: String,
    pub created_at: String,
    pub source: PackageSource,
    pub exporter: String,
    /// Sorted by path.
    pub assets: Vec<ManifestAsset>,
    /// Sorted.
    pub dependencies: Vec<Dependency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
}

/// A package as read back (or assembled before writing): assets sorted by their paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub manifest: Manifest,
    pub recipes: Vec<Recipe>,
    pub connections: Vec<Connection>,
    pub connectors: Vec<ConnectorAsset>,
}

/// Everything `build` needs. `created_at` is supplied by the caller so that builds are
/// reproducible.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageInput {
    pub package_id: String,
    /// RFC 3339, UTC, e.g. `2026-05-01T12:00:00Z`.
    pub created_at: String,
    pub source: PackageSource,
    pub exporter: String,
    pub recipes: Vec<Recipe>,
    pub connections: Vec<Connection>,
    pub connectors: Vec<ConnectorAsset>,
}
