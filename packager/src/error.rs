//! Why a package was rejected. Shared by reading (`read`), the central directory walk (`archive`)
//! and signature checks (`signature`), so it lives below all three.

use crate::names;

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
