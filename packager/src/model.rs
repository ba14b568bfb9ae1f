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

/// A published community version, named so that the importing server takes the source from its
/// own catalog: what a closed-source connector carries instead of its source. The importer never
/// sees that source; it resolves only if the importing server's catalog holds `version` of
/// `listing` with exactly this `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogReference {
    /// The listing's slug; always the connector's own slug.
    pub listing: String,
    /// The community version (semver) whose source is byte-identical to the released one.
    pub version: String,
    /// Lowercase hex sha256 of that version's source; always the connector's own `sha256`.
    pub sha256: String,
}

impl CatalogReference {
    /// Why this reference cannot be the one of connector `slug` whose source hashes to `sha256`,
    /// if it cannot. The same rule holds when building and when reading.
    pub(crate) fn problem(&self, slug: &str, sha256: &str) -> Option<&'static str> {
        let version_ok = (1..=64).contains(&self.version.len())
            && self
                .version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'));
        if self.listing != slug {
            Some("names another listing than the connector's own slug")
        } else if !crate::canonical::is_sha256_hex(&self.sha256) {
            Some("has a sha256 that is not 64 lowercase hex digits")
        } else if self.sha256 != sha256 {
            Some("pins another sha256 than the connector's")
        } else if !version_ok {
            Some("has a version that is not 1 to 64 letters, digits, `.`, `-` or `+`")
        } else {
            None
        }
    }
}

/// How a connector's released source travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorContent {
    /// In the package, as `connectors/<slug>/connector.js`.
    Source(String),
    /// Not in the package at all: `connector.json` names a catalog version instead.
    Reference(CatalogReference),
}

/// A workspace connector at its released version: its source (when it travels with the package)
/// goes to `connectors/<slug>/connector.js`, everything else to
/// `connectors/<slug>/connector.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorAsset {
    pub slug: String,
    pub name: String,
    pub workspace_version: i32,
    pub content: ConnectorContent,
    /// Lowercase hex sha256 of the released source, carried or referenced.
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
    /// Absent (not `null`) for a connector whose source is in the package, so those files read
    /// exactly as before references existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<CatalogReference>,
}

impl ConnectorAsset {
    /// The source, when the package carries it.
    pub fn source(&self) -> Option<&str> {
        match &self.content {
            ConnectorContent::Source(source) => Some(source),
            ConnectorContent::Reference(_) => None,
        }
    }

    /// The catalog version to take the source from, when the package carries none.
    pub fn reference(&self) -> Option<&CatalogReference> {
        match &self.content {
            ConnectorContent::Source(_) => None,
            ConnectorContent::Reference(reference) => Some(reference),
        }
    }

    pub(crate) fn metadata(&self) -> ConnectorMetadata {
        ConnectorMetadata {
            slug: self.slug.clone(),
            name: self.name.clone(),
            workspace_version: self.workspace_version,
            sha256: self.sha256.clone(),
            parent: self.parent.clone(),
            reference: self.reference().cloned(),
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
    /// `connectors/<slug>/connector.js` (absent for a connector that travels by reference)
    ConnectorSource,
}

/// One file of the package, as listed in the manifest. A connector has two entries (metadata and
/// source), or one (metadata) when it travels by reference; their `asset_id` is the slug and their
/// `folder` is `connectors/<slug>`.
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

impl Package {
    /// The catalog references of the connectors that travel by one: what the importing server
    /// looks up in its catalog to fill in [`crate::TargetView::catalog`].
    pub fn references(&self) -> impl Iterator<Item = &CatalogReference> {
        self.connectors.iter().filter_map(ConnectorAsset::reference)
    }
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
