//! Reading a package: bytes in, a checked [`Package`] out, or the first reason to reject it.
//!
//! Nothing touches the file system. The checks run in this order, and the first violation rejects
//! the whole archive:
//! 1. archive size; the central directory's shape and entry count (see `archive`);
//! 2. per entry, in directory order: path rules, file type (no symlinks), duplicates (also by
//!    letter case), known file kind, encryption and compression method, then the *declared*
//!    compression ratio, entry size and running total;
//! 3. local headers agree with the central directory, no overlapping or hidden entries;
//! 4. decompression, counting the bytes actually produced against the same limits;
//! 5. the manifest: format version, schema, paths agree with the layout;
//! 6. every listed file present with its size and sha256, every file listed;
//! 7. every asset file parses and agrees with its manifest entry; each connector carries exactly one
//!    of its source and a catalog reference.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use serde::de::DeserializeOwned;
use zip::ZipArchive;

use crate::archive::{CentralEntry, central_directory};
use crate::canonical::sha256_hex;
use crate::model::{
    AssetType, Connection, ConnectorAsset, ConnectorContent, ConnectorMetadata, FORMAT_VERSION,
    Manifest, ManifestAsset, Package, Recipe,
};
use crate::names;

/// Hard limits for reading a package. The defaults suit packages of a few hundred recipes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Size of the archive itself, in bytes. Default 16 MiB.
    pub max_archive_size: u64,
    /// Entries in the central directory. Default 2 000.
    pub max_entries: usize,
    /// Uncompressed size of one entry. Default 4 MiB.
    pub max_entry_size: u64,
    /// Uncompressed size of all entries together. Default 64 MiB.
    pub max_total_size: u64,
    /// Uncompressed bytes per compressed byte, for entries larger than `ratio_threshold`.
    /// Default 100.
    pub max_compression_ratio: u64,
    /// Entries up to this many uncompressed bytes are not held to the ratio (tiny, repetitive
    /// files compress well and are harmless). Default 64 KiB.
    pub ratio_threshold: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_archive_size: 16 << 20,
            max_entries: 2_000,
            max_entry_size: 4 << 20,
            max_total_size: 64 << 20,
            max_compression_ratio: 100,
            ratio_threshold: 64 << 10,
        }
    }
}

/// Why a package was rejected: one variant per way it can be bad. [`ReadError::code`] is the
/// stable code clients see, [`ReadError::path`] the offending file when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the archive is {size} bytes, more than the limit of {max}")]
    ArchiveTooLarge { size: u64, max: u64 },
    #[error("the archive has {count} entries, more than the limit of {max}")]
    TooManyEntries { count: usize, max: usize },
    #[error("{path} is larger than the limit of {max} bytes")]
    EntryTooLarge { path: String, max: u64 },
    #[error("the files together are larger than the limit of {max} bytes (at {path})")]
    TotalTooLarge { path: String, max: u64 },
    #[error("{path} is compressed more than {max} to 1")]
    CompressionRatio { path: String, max: u64 },
    #[error("{path:?} is not a safe path: {reason}")]
    UnsafePath { path: String, reason: &'static str },
    #[error("{path} is a symbolic link")]
    Symlink { path: String },
    #[error("{path} appears more than once (names may not differ only in letter case)")]
    DuplicateEntry { path: String },
    #[error("{path} is not a file a package may contain")]
    UnknownFile { path: String },
    #[error("{path} is in the archive but not in the manifest")]
    UnlistedFile { path: String },
    #[error("{path} is missing from the archive")]
    MissingFile { path: String },
    #[error("the sha256 of {path} does not match")]
    HashMismatch { path: String },
    #[error("{path} is {actual} bytes, the manifest says {listed}")]
    SizeMismatch {
        path: String,
        listed: u64,
        actual: u64,
    },
    #[error("package format version {found} is not supported (this server reads version 1)")]
    UnsupportedFormatVersion { found: String },
    #[error("{path} uses a feature packages do not: {reason}")]
    UnsupportedEntry { path: String, reason: String },
    #[error("{path} is damaged: {reason}")]
    CorruptEntry { path: String, reason: String },
    #[error("not a valid package archive: {reason}")]
    MalformedArchive { reason: String },
    #[error("manifest.json is not valid: {reason}")]
    MalformedManifest { reason: String },
    #[error("{path} is not valid: {reason}")]
    MalformedAsset { path: String, reason: String },
    /// A connector is either carried (its source file) or referenced (a `reference` in its
    /// `connector.json`), never both: a source next to a reference is a closed source leaking.
    #[error(
        "{path} carries a catalog reference, yet the package also holds the connector's source"
    )]
    SourceAndReference { path: String },
    #[error("{path} carries no catalog reference, and the package holds no source for it")]
    NoSourceNorReference { path: String },
    #[error("the package is not signed, and this workspace requires signed packages")]
    SignatureRequired,
    #[error("the package signature is not valid: {reason}")]
    BadSignature { reason: String },
    #[error("the package is signed by key {key_id}, which this workspace does not trust")]
    UntrustedKey { key_id: String },
}

impl ReadError {
    /// The stable, upper-case code of this error (documented in `docs/package-format.md`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::ArchiveTooLarge { .. } => "ARCHIVE_TOO_LARGE",
            Self::TooManyEntries { .. } => "TOO_MANY_ENTRIES",
            Self::EntryTooLarge { .. } => "ENTRY_TOO_LARGE",
            Self::TotalTooLarge { .. } => "TOTAL_TOO_LARGE",
            Self::CompressionRatio { .. } => "COMPRESSION_RATIO",
            Self::UnsafePath { .. } => "UNSAFE_PATH",
            Self::Symlink { .. } => "SYMLINK",
            Self::DuplicateEntry { .. } => "DUPLICATE_ENTRY",
            Self::UnknownFile { .. } => "UNKNOWN_FILE",
            Self::UnlistedFile { .. } => "UNLISTED_FILE",
            Self::MissingFile { .. } => "MISSING_FILE",
            Self::HashMismatch { .. } => "HASH_MISMATCH",
            Self::SizeMismatch { .. } => "SIZE_MISMATCH",
            Self::UnsupportedFormatVersion { .. } => "UNSUPPORTED_FORMAT_VERSION",
            Self::UnsupportedEntry { .. } => "UNSUPPORTED_ENTRY",
            Self::CorruptEntry { .. } => "CORRUPT_ENTRY",
            Self::MalformedArchive { .. } => "MALFORMED_ARCHIVE",
            Self::MalformedManifest { .. } => "MALFORMED_MANIFEST",
            Self::MalformedAsset { .. } => "MALFORMED_ASSET",
            Self::SourceAndReference { .. } => "CONNECTOR_SOURCE_AND_REFERENCE",
            Self::NoSourceNorReference { .. } => "CONNECTOR_SOURCE_MISSING",
            Self::SignatureRequired => "SIGNATURE_REQUIRED",
            Self::BadSignature { .. } => "BAD_SIGNATURE",
            Self::UntrustedKey { .. } => "UNTRUSTED_KEY",
        }
    }

    /// The offending path inside the archive, when the error is about one file.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::EntryTooLarge { path, .. }
            | Self::TotalTooLarge { path, .. }
            | Self::CompressionRatio { path, .. }
            | Self::UnsafePath { path, .. }
            | Self::Symlink { path }
            | Self::DuplicateEntry { path }
            | Self::UnknownFile { path }
            | Self::UnlistedFile { path }
            | Self::MissingFile { path }
            | Self::HashMismatch { path }
            | Self::SizeMismatch { path, .. }
            | Self::UnsupportedEntry { path, .. }
            | Self::CorruptEntry { path, .. }
            | Self::MalformedAsset { path, .. }
            | Self::SourceAndReference { path }
            | Self::NoSourceNorReference { path } => Some(path),
            Self::UnsupportedFormatVersion { .. }
            | Self::MalformedManifest { .. }
            | Self::SignatureRequired
            | Self::BadSignature { .. }
            | Self::UntrustedKey { .. } => Some(names::MANIFEST_PATH),
            Self::ArchiveTooLarge { .. }
            | Self::TooManyEntries { .. }
            | Self::MalformedArchive { .. } => None,
        }
    }
}

/// Read and check a package archive held in memory. Does not check the signature: see
/// [`crate::verify`].
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Package, ReadError> {
    let size = bytes.len() as u64;
    if size > limits.max_archive_size {
        return Err(ReadError::ArchiveTooLarge {
            size,
            max: limits.max_archive_size,
        });
    }
    let entries = central_directory(bytes, limits.max_entries)?;
    let paths = preflight(&entries, limits)?;
    let files = decompress(bytes, &entries, &paths, limits)?;
    let manifest = parse_manifest(&files)?;
    check_manifest(&manifest)?;
    check_files(&manifest, &files)?;
    assets(manifest, &files)
}

/// Step 2: everything that can be judged from the central directory alone.
fn preflight(entries: &[CentralEntry], limits: &Limits) -> Result<Vec<String>, ReadError> {
    let mut seen = BTreeSet::new();
    let mut declared_total: u64 = 0;
    let mut paths = Vec::with_capacity(entries.len());
    for entry in entries {
        let path = check_path(&entry.name)?;
        check_file_type(&path, entry)?;
        if !seen.insert(path.to_lowercase()) {
            return Err(ReadError::DuplicateEntry { path });
        }
        if names::classify(&path).is_none() {
            return Err(ReadError::UnknownFile { path });
        }
        check_method(&path, entry)?;
        check_ratio(
            &path,
            entry.uncompressed_size,
            entry.compressed_size,
            limits,
        )?;
        if entry.uncompressed_size > limits.max_entry_size {
            return Err(ReadError::EntryTooLarge {
                path,
                max: limits.max_entry_size,
            });
        }
        declared_total = declared_total.saturating_add(entry.uncompressed_size);
        if declared_total > limits.max_total_size {
            return Err(ReadError::TotalTooLarge {
                path,
                max: limits.max_total_size,
            });
        }
        paths.push(path);
    }
    Ok(paths)
}

/// The path rules that hold whatever the layout: see the module doc of `names` for the rest.
fn check_path(raw: &[u8]) -> Result<String, ReadError> {
    let unsafe_path = |path: String, reason| Err(ReadError::UnsafePath { path, reason });
    let Ok(path) = String::from_utf8(raw.to_vec()) else {
        return unsafe_path(String::from_utf8_lossy(raw).into_owned(), "not UTF-8");
    };
    let bytes = path.as_bytes();
    if path.is_empty() {
        return unsafe_path(path, "empty");
    }
    if path.contains('\\') {
        return unsafe_path(path, "contains a backslash");
    }
    if path.starts_with('/') {
        return unsafe_path(path, "absolute");
    }
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return unsafe_path(path, "starts with a drive letter");
    }
    if path.contains(':') {
        return unsafe_path(path, "contains a colon");
    }
    if path.chars().any(char::is_control) {
        return unsafe_path(path, "contains a control character");
    }
    if path.ends_with('/') {
        return Err(ReadError::UnknownFile { path });
    }
    for segment in path.split('/') {
        match segment {
            "" => return unsafe_path(path, "has an empty segment"),
            "." | ".." => return unsafe_path(path, "has a `.` or `..` segment"),
            _ => {}
        }
    }
    Ok(path)
}

fn check_file_type(path: &str, entry: &CentralEntry) -> Result<(), ReadError> {
    const FILE_TYPE: u32 = 0o170_000;
    const SYMLINK: u32 = 0o120_000;
    const REGULAR: u32 = 0o100_000;
    if let Some(mode) = entry.unix_mode() {
        match mode & FILE_TYPE {
            SYMLINK => {
                return Err(ReadError::Symlink {
                    path: path.to_owned(),
                });
            }
            0 | REGULAR => {}
            _ => {
                return Err(ReadError::UnknownFile {
                    path: path.to_owned(),
                });
            }
        }
    }
    if entry.is_dos_directory() {
        return Err(ReadError::UnknownFile {
            path: path.to_owned(),
        });
    }
    Ok(())
}

fn check_method(path: &str, entry: &CentralEntry) -> Result<(), ReadError> {
    const ENCRYPTED: u16 = 1;
    const STRONG_ENCRYPTION: u16 = 1 << 6;
    let unsupported = |reason: &str| {
        Err(ReadError::UnsupportedEntry {
            path: path.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if entry.flags & (ENCRYPTED | STRONG_ENCRYPTION) != 0 {
        return unsupported("encryption");
    }
    match entry.method {
        0 | 8 => Ok(()),
        other => unsupported(&format!("compression method {other}")),
    }
}

fn check_ratio(
    path: &str,
    uncompressed: u64,
    compressed: u64,
    limits: &Limits,
) -> Result<(), ReadError> {
    let over = uncompressed > limits.ratio_threshold
        && uncompressed
            > compressed
                .max(1)
                .saturating_mul(limits.max_compression_ratio);
    if over {
        return Err(ReadError::CompressionRatio {
            path: path.to_owned(),
            max: limits.max_compression_ratio,
        });
    }
    Ok(())
}

/// Steps 3 and 4: decompress every entry, trusting none of the declared sizes.
fn decompress(
    bytes: &[u8],
    entries: &[CentralEntry],
    paths: &[String],
    limits: &Limits,
) -> Result<BTreeMap<String, Vec<u8>>, ReadError> {
    let malformed = |reason: String| ReadError::MalformedArchive { reason };
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed(e.to_string()))?;
    if archive.len() != entries.len() || archive.offset() != 0 {
        return Err(malformed(
            "the zip reader sees a different archive".to_owned(),
        ));
    }
    archive
        .validate_header_consistency()
        .map_err(|e| malformed(e.to_string()))?;
    let mut files = BTreeMap::new();
    let mut total: u64 = 0;
    for (index, (entry, path)) in entries.iter().zip(paths).enumerate() {
        let corrupt = |reason: String| ReadError::CorruptEntry {
            path: path.clone(),
            reason,
        };
        let mut file = archive
            .by_index(index)
            .map_err(|e| corrupt(e.to_string()))?;
        if file.name_raw() != entry.name.as_slice() {
            return Err(malformed(
                "the zip reader sees a different archive".to_owned(),
            ));
        }
        let mut data = Vec::new();
        let mut chunk = vec![0_u8; 64 << 10];
        loop {
            let n = file.read(&mut chunk).map_err(|e| corrupt(e.to_string()))?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&chunk[..n]);
            total = total.saturating_add(n as u64);
            let actual = data.len() as u64;
            check_ratio(path, actual, entry.compressed_size, limits)?;
            if actual > limits.max_entry_size {
                return Err(ReadError::EntryTooLarge {
                    path: path.clone(),
                    max: limits.max_entry_size,
                });
            }
            if total > limits.max_total_size {
                return Err(ReadError::TotalTooLarge {
                    path: path.clone(),
                    max: limits.max_total_size,
                });
            }
        }
        if data.len() as u64 != entry.uncompressed_size {
            return Err(corrupt(
                "its size differs from the declared size".to_owned(),
            ));
        }
        files.insert(path.clone(), data);
    }
    Ok(files)
}

fn malformed_manifest(reason: impl Into<String>) -> ReadError {
    ReadError::MalformedManifest {
        reason: reason.into(),
    }
}

/// Step 5a: the format version first, so a newer format gets the clearer error.
fn parse_manifest(files: &BTreeMap<String, Vec<u8>>) -> Result<Manifest, ReadError> {
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
fn check_manifest(manifest: &Manifest) -> Result<(), ReadError> {
    if uuid::Uuid::try_parse(&manifest.package_id).is_err() {
        return Err(malformed_manifest("package_id is not a UUID"));
    }
    if !crate::build::is_rfc3339(&manifest.created_at) {
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
        if !crate::canonical::is_sha256_hex(&asset.sha256) {
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
            names::check_slug(&asset.asset_id).ok()?;
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
fn check_files(manifest: &Manifest, files: &BTreeMap<String, Vec<u8>>) -> Result<(), ReadError> {
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

/// Step 7: parse every asset and hold it to its manifest entry.
fn assets(manifest: Manifest, files: &BTreeMap<String, Vec<u8>>) -> Result<Package, ReadError> {
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
