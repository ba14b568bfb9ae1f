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

mod assets;
mod entries;
mod manifest;

use crate::archive::central_directory;
use crate::error::ReadError;
use crate::limits::Limits;
use crate::model::Package;

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
    let directory = central_directory(bytes, limits.max_entries)?;
    let paths = entries::preflight(&directory, limits)?;
    let files = entries::decompress(bytes, &directory, &paths, limits)?;
    let listed = manifest::parse(&files)?;
    manifest::check(&listed)?;
    manifest::check_files(&listed, &files)?;
    assets::collect(listed, &files)
}
