//! Steps 1 to 4 of reading: what the central directory declares, then what decompression yields.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::archive::CentralEntry;
use crate::error::ReadError;
use crate::limits::Limits;
use crate::names;

/// Step 2: everything that can be judged from the central directory alone.
pub(super) fn preflight(
    entries: &[CentralEntry],
    limits: &Limits,
) -> Result<Vec<String>, ReadError> {
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
pub(super) fn decompress(
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

#[cfg(test)]
mod tests {
    //! Decompression holds the bytes it actually produces to the limits, whatever the central
    //! directory declared: these call it directly, with limits the declared sizes were never
    //! checked against, so only its own comparisons can refuse.
    use std::io::{Cursor, Write};

    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    use super::*;
    use crate::archive::central_directory;

    const FILES: [(&str, usize); 2] = [("a.recipe.json", 3_000), ("b.recipe.json", 5_000)];

    fn archive() -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, size) in FILES {
            writer
                .start_file(name, SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(&vec![b'x'; size]).expect("data");
        }
        writer.finish().expect("finish").into_inner()
    }

    fn run(limits: &Limits) -> Result<BTreeMap<String, Vec<u8>>, ReadError> {
        let bytes = archive();
        let entries = central_directory(&bytes, 10).expect("a directory");
        let paths: Vec<String> = FILES.iter().map(|(name, _)| (*name).to_owned()).collect();
        decompress(&bytes, &entries, &paths, limits)
    }

    #[test]
    fn entry_size_at_the_limit_decompresses_and_one_byte_over_is_refused() {
        let at = |max_entry_size| Limits {
            max_entry_size,
            ..Limits::default()
        };
        let files = run(&at(5_000)).expect("at the limit");
        assert_eq!(files["b.recipe.json"].len(), 5_000);
        assert_eq!(
            run(&at(4_999)),
            Err(ReadError::EntryTooLarge {
                path: "b.recipe.json".to_owned(),
                max: 4_999
            })
        );
    }

    #[test]
    fn total_size_at_the_limit_decompresses_and_one_byte_over_is_refused() {
        let at = |max_total_size| Limits {
            max_total_size,
            ..Limits::default()
        };
        assert_eq!(run(&at(8_000)).map(|files| files.len()), Ok(2));
        assert_eq!(
            run(&at(7_999)),
            Err(ReadError::TotalTooLarge {
                path: "b.recipe.json".to_owned(),
                max: 7_999
            })
        );
    }

    #[test]
    fn the_ratio_is_checked_on_the_bytes_produced() {
        let bytes = archive();
        let entries = central_directory(&bytes, 10).expect("a directory");
        let compressed = entries[1].compressed_size;
        // Ratio 1 from the first byte on: refused while decompressing, at the second entry only
        // if the first keeps to it (it does not: 3 000 bytes of one letter compress well).
        let limits = Limits {
            max_compression_ratio: 1,
            ratio_threshold: 0,
            ..Limits::default()
        };
        assert!(matches!(
            run(&limits),
            Err(ReadError::CompressionRatio { path, max: 1 }) if path == "a.recipe.json"
        ));
        let generous = Limits {
            max_compression_ratio: 5_000_u64.div_ceil(compressed),
            ratio_threshold: 3_000,
            ..Limits::default()
        };
        assert_eq!(run(&generous).map(|files| files.len()), Ok(2));
    }

    fn ratio(uncompressed: u64, compressed: u64, ratio: u64, threshold: u64) -> bool {
        let limits = Limits {
            max_compression_ratio: ratio,
            ratio_threshold: threshold,
            ..Limits::default()
        };
        check_ratio("p", uncompressed, compressed, &limits).is_ok()
    }

    #[test]
    fn ratio_boundaries() {
        // Exactly at the ratio passes; one byte more is refused.
        assert!(ratio(1_000, 10, 100, 0));
        assert!(!ratio(1_001, 10, 100, 0));
        // Up to the threshold, any ratio passes; past it, the ratio counts.
        assert!(ratio(1_000, 1, 1, 1_000));
        assert!(!ratio(1_001, 1, 1, 1_000));
        // Well within the ratio, past the threshold: passes (both conditions must hold).
        assert!(ratio(2_000, 1_000, 100, 0));
        // A declared compressed size of 0 counts as 1.
        assert!(ratio(100, 0, 100, 0));
        assert!(!ratio(101, 0, 100, 0));
    }

    #[test]
    fn each_path_rule_gives_its_own_reason() {
        for (path, reason) in [
            ("", "empty"),
            ("a\\b.recipe.json", "contains a backslash"),
            ("/a.recipe.json", "absolute"),
            ("C:/a.recipe.json", "starts with a drive letter"),
            ("c:a.recipe.json", "starts with a drive letter"),
            ("c:", "starts with a drive letter"),
            ("a:b.recipe.json", "starts with a drive letter"),
            ("ab:c.recipe.json", "contains a colon"),
            ("a\u{7}.recipe.json", "contains a control character"),
            ("a//b.recipe.json", "has an empty segment"),
            ("a/../b.recipe.json", "has a `.` or `..` segment"),
            ("./b.recipe.json", "has a `.` or `..` segment"),
        ] {
            assert_eq!(
                check_path(path.as_bytes()),
                Err(ReadError::UnsafePath {
                    path: path.to_owned(),
                    reason
                }),
                "{path:?}"
            );
        }
        assert_eq!(check_path(b"a").as_deref(), Ok("a"));
        assert_eq!(check_path(b"1:").map_err(|e| e.code()), Err("UNSAFE_PATH"));
        assert_eq!(
            check_path(b"sales/"),
            Err(ReadError::UnknownFile {
                path: "sales/".to_owned()
            })
        );
    }

    fn entry(flags: u16, method: u16) -> CentralEntry {
        CentralEntry {
            name: b"a.recipe.json".to_vec(),
            host: 3,
            flags,
            method,
            compressed_size: 10,
            uncompressed_size: 10,
            external_attributes: 0o100_644 << 16,
            local_header_offset: 0,
        }
    }

    #[test]
    fn encryption_of_either_kind_and_unknown_methods_are_refused() {
        let unsupported = |reason: &str| {
            Err(ReadError::UnsupportedEntry {
                path: "a.recipe.json".to_owned(),
                reason: reason.to_owned(),
            })
        };
        assert_eq!(check_method("a.recipe.json", &entry(0, 0)), Ok(()));
        assert_eq!(check_method("a.recipe.json", &entry(0, 8)), Ok(()));
        // Bit 3 (sizes in a data descriptor) is harmless.
        assert_eq!(check_method("a.recipe.json", &entry(1 << 3, 8)), Ok(()));
        assert_eq!(
            check_method("a.recipe.json", &entry(1, 8)),
            unsupported("encryption")
        );
        assert_eq!(
            check_method("a.recipe.json", &entry(1 << 6, 8)),
            unsupported("encryption")
        );
        assert_eq!(
            check_method("a.recipe.json", &entry(0, 12)),
            unsupported("compression method 12")
        );
    }

    #[test]
    fn an_archive_the_zip_reader_sees_differently_is_refused() {
        // Two entries named alike: the zip reader keeps one, the strict walk sees both. `read`
        // refuses the duplicate in step 2; decompressing alone must still not go on.
        let mut bytes = archive();
        let (from, to) = (b"b.recipe.json", b"a.recipe.json");
        while let Some(at) = bytes.windows(from.len()).position(|w| w == from) {
            bytes[at..at + to.len()].copy_from_slice(to);
        }
        let entries = central_directory(&bytes, 10).expect("a directory");
        let paths = vec!["a.recipe.json".to_owned(); 2];
        assert_eq!(
            decompress(&bytes, &entries, &paths, &Limits::default()),
            Err(ReadError::MalformedArchive {
                reason: "the zip reader sees a different archive".to_owned()
            })
        );
    }

    fn typed(host: u8, external_attributes: u32) -> CentralEntry {
        CentralEntry {
            host,
            external_attributes,
            ..entry(0, 8)
        }
    }

    #[test]
    fn file_types_by_host() {
        let path = "a.recipe.json";
        let unknown = Err(ReadError::UnknownFile {
            path: path.to_owned(),
        });
        let symlink = Err(ReadError::Symlink {
            path: path.to_owned(),
        });
        // MS-DOS (host 0): no unix mode, the directory attribute alone decides.
        assert_eq!(check_file_type(path, &typed(0, 0)), Ok(()));
        assert_eq!(check_file_type(path, &typed(0, 0x10)), unknown);
        // Unix (3) and macOS (19) carry a mode in the high half.
        for host in [3, 19] {
            assert_eq!(check_file_type(path, &typed(host, 0o100_644 << 16)), Ok(()));
            assert_eq!(check_file_type(path, &typed(host, 0)), Ok(()));
            assert_eq!(
                check_file_type(path, &typed(host, 0o120_777 << 16)),
                symlink
            );
            assert_eq!(
                check_file_type(path, &typed(host, 0o040_755 << 16)),
                unknown
            );
        }
        // Another host's high half means nothing: a "symlink" mode there is a file.
        assert_eq!(check_file_type(path, &typed(10, 0o120_777 << 16)), Ok(()));
    }
}
