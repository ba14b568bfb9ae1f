//! The hard limits a package is read under.

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
