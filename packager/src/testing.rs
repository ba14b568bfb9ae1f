//! Raw zip tools for tests (feature `testing`): archives made entry by entry and patched byte by
//! byte, past every check a writer makes, to build the hostile archives that [`crate::read`] must
//! refuse. The packager's own tests and the end-to-end tests build their corpora with these; no
//! production code enables the feature. They panic on a failure: a test that cannot build its
//! archive has failed.

use std::io::{Cursor, Read as _, Write as _};

use serde_json::Value;

use crate::{Package, PackageInput};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// Deflated entries with a fixed time and mode, as a careful writer makes them.
pub fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
}

/// An archive of exactly these entries, in this order.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        writer.start_file(*name, options()).expect("start entry");
        writer.write_all(bytes).expect("write entry");
    }
    writer.finish().expect("finish").into_inner()
}

/// Every entry of an archive, in order.
pub fn unpack(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).expect("a readable archive");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("entry");
            let mut data = Vec::new();
            file.read_to_end(&mut data).expect("entry data");
            (file.name().expect("utf-8 name").into_owned(), data)
        })
        .collect()
}

/// Rezip after `change` edits the entry list.
pub fn repack(bytes: &[u8], change: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> Vec<u8> {
    let mut files = unpack(bytes);
    change(&mut files);
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_of(&refs)
}

/// Rezip with the manifest JSON edited by `change` (keys stay sorted: serde_json maps are
/// BTreeMaps unless `preserve_order` is on, and the reader does not care either way).
pub fn edit_manifest(bytes: &[u8], change: impl FnOnce(&mut Value)) -> Vec<u8> {
    repack(bytes, |files| {
        let entry = files
            .iter_mut()
            .find(|(name, _)| name == "manifest.json")
            .expect("a manifest");
        let mut manifest: Value = serde_json::from_slice(&entry.1).expect("manifest JSON");
        change(&mut manifest);
        entry.1 = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    })
}

/// Replace every occurrence of `from` with `to` (same length) in the raw bytes: renames an entry
/// in both its local header and the central directory, past any writer-side checks.
pub fn patch_bytes(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "patches keep lengths");
    let mut out = bytes.to_vec();
    let mut at = 0;
    let mut hits = 0;
    while let Some(pos) = out[at..].windows(from.len()).position(|w| w == from) {
        out[at + pos..at + pos + to.len()].copy_from_slice(to);
        at += pos + to.len();
        hits += 1;
    }
    assert!(hits > 0, "nothing to patch");
    out
}

/// A one-file archive whose entry name is patched to `name` after writing, in the local header and
/// the central directory, so no writer-side check can interfere.
pub fn archive_named(name: &str) -> Vec<u8> {
    let placeholder = "Z".repeat(name.len());
    let bytes = zip_of(&[(placeholder.as_str(), b"{}")]);
    patch_bytes(&bytes, placeholder.as_bytes(), name.as_bytes())
}

/// Offset of the central directory, from the end record (no comment).
pub fn central_directory_offset(bytes: &[u8]) -> usize {
    let end = bytes.len() - 22;
    u32::from_le_bytes(bytes[end + 16..end + 20].try_into().expect("4 bytes")) as usize
}

/// Overwrite the declared uncompressed size of the first entry, in its local header and in the
/// central directory.
pub fn lie_about_first_size(bytes: &[u8], size: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[22..26].copy_from_slice(&size.to_le_bytes());
    let cd = central_directory_offset(bytes);
    out[cd + 24..cd + 28].copy_from_slice(&size.to_le_bytes());
    out
}

/// The input that builds `package` again: read an archive, change its assets, build it anew.
pub fn input_of(package: &Package) -> PackageInput {
    PackageInput {
        package_id: package.manifest.package_id.clone(),
        created_at: package.manifest.created_at.clone(),
        source: package.manifest.source.clone(),
        exporter: package.manifest.exporter.clone(),
        recipes: package.recipes.clone(),
        connections: package.connections.clone(),
        connectors: package.connectors.clone(),
    }
}
