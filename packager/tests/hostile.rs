//! The hostile corpus: every archive here must be rejected whole, with its own code and path.
//! All of them are made in code, from the zip writer and raw byte patches.

mod common;

use std::io::{Cursor, Write};

use common::*;
use packager::{BuildOptions, Limits, PackageSigner, ReadError, build, read, verify};
use zip::ZipWriter;

#[track_caller]
fn rejected(bytes: &[u8], limits: &Limits, code: &str, path: Option<&str>) -> ReadError {
    let error = read(bytes, limits).expect_err("the archive must be rejected");
    assert_eq!(error.code(), code, "{error}");
    assert_eq!(error.path(), path, "{error}");
    error
}

#[track_caller]
fn rejected_by_default(bytes: &[u8], code: &str, path: Option<&str>) -> ReadError {
    rejected(bytes, &Limits::default(), code, path)
}

#[test]
fn zip_slip_and_other_unsafe_paths() {
    for (name, path) in [
        ("../x", "../x"),
        ("..\\x", "..\\x"),
        ("/abs", "/abs"),
        ("C:/x", "C:/x"),
        ("a/../../b.recipe.json", "a/../../b.recipe.json"),
        ("a//b.recipe.json", "a//b.recipe.json"),
        ("./a.recipe.json", "./a.recipe.json"),
        ("a\u{0}.recipe.json", "a\u{0}.recipe.json"),
    ] {
        rejected_by_default(&archive_named(name), "UNSAFE_PATH", Some(path));
    }
    let not_utf8 = patch_bytes(&zip_of(&[("ZZ.recipe.json", b"{}")]), b"ZZ", &[0xff, 0xfe]);
    rejected_by_default(
        &not_utf8,
        "UNSAFE_PATH",
        Some("\u{fffd}\u{fffd}.recipe.json"),
    );
}

#[test]
fn symlink_entry() {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .add_symlink("sales/a.recipe.json", "/etc/passwd", options())
        .expect("symlink");
    let bytes = writer.finish().expect("finish").into_inner();
    rejected_by_default(&bytes, "SYMLINK", Some("sales/a.recipe.json"));
}

#[test]
fn directory_entry() {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .add_directory("sales/", options())
        .expect("directory");
    let bytes = writer.finish().expect("finish").into_inner();
    rejected_by_default(&bytes, "UNKNOWN_FILE", Some("sales/"));
}

#[test]
fn duplicate_names() {
    let bytes = zip_of(&[("a.recipe.json", b"{}"), ("b.recipe.json", b"[]")]);
    let bytes = patch_bytes(&bytes, b"b.recipe.json", b"a.recipe.json");
    rejected_by_default(&bytes, "DUPLICATE_ENTRY", Some("a.recipe.json"));
}

#[test]
fn names_that_differ_only_in_case() {
    let bytes = zip_of(&[
        ("Sales/A.recipe.json", b"{}"),
        ("sales/a.recipe.json", b"{}"),
    ]);
    rejected_by_default(&bytes, "DUPLICATE_ENTRY", Some("sales/a.recipe.json"));
}

#[test]
fn unknown_files() {
    for name in [
        "README.md",
        "connectors/slack/other.js",
        "sales/x.recipe.yaml",
        "sales/a?.recipe.json",
    ] {
        rejected_by_default(&zip_of(&[(name, b"{}")]), "UNKNOWN_FILE", Some(name));
    }
}

#[test]
fn too_many_entries() {
    let names: Vec<String> = (0..=2_000).map(|i| format!("r{i}.recipe.json")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"{}" as &[u8])).collect();
    let error = rejected_by_default(&zip_of(&files), "TOO_MANY_ENTRIES", None);
    assert_eq!(
        error,
        ReadError::TooManyEntries {
            count: 2_001,
            max: 2_000
        }
    );
}

#[test]
fn archive_too_large() {
    let limits = Limits {
        max_archive_size: 100,
        ..Limits::default()
    };
    rejected(&sample_archive(), &limits, "ARCHIVE_TOO_LARGE", None);
}

#[test]
fn compression_bomb() {
    // 50 MB of zeros deflates to about 50 KB.
    let zeros = vec![0_u8; 50_000_000];
    let bytes = zip_of(&[("bomb.recipe.json", &zeros)]);
    assert!(bytes.len() < 200_000);
    rejected_by_default(&bytes, "COMPRESSION_RATIO", Some("bomb.recipe.json"));
}

#[test]
fn a_bomb_that_lies_about_its_size_is_caught_while_decompressing() {
    // Declared 1 000 bytes, so every declared-size check passes; the data is 50 MB.
    let zeros = vec![0_u8; 50_000_000];
    let bytes = lie_about_first_size(&zip_of(&[("bomb.recipe.json", &zeros)]), 1_000);
    rejected_by_default(&bytes, "CORRUPT_ENTRY", Some("bomb.recipe.json"));
}

#[test]
fn declared_size_smaller_than_the_data() {
    let data = vec![b'x'; 5_000];
    let bytes = lie_about_first_size(&zip_of(&[("a.recipe.json", &data)]), 10);
    rejected_by_default(&bytes, "CORRUPT_ENTRY", Some("a.recipe.json"));
}

#[test]
fn declared_size_only_in_the_local_header() {
    // The central directory tells the truth; the local header does not.
    let data = vec![b'x'; 5_000];
    let mut bytes = zip_of(&[("a.recipe.json", &data)]);
    bytes[22..26].copy_from_slice(&10_u32.to_le_bytes());
    rejected_by_default(&bytes, "MALFORMED_ARCHIVE", None);
}

#[test]
fn entry_too_large() {
    let limits = Limits {
        max_entry_size: 1_000,
        ..Limits::default()
    };
    let data = vec![b'x'; 5_000];
    let bytes = zip_of(&[("a.recipe.json", &data)]);
    rejected(&bytes, &limits, "ENTRY_TOO_LARGE", Some("a.recipe.json"));
}

#[test]
fn total_size() {
    let limits = Limits {
        max_total_size: 2_000,
        ..Limits::default()
    };
    rejected(
        &sample_archive(),
        &limits,
        "TOTAL_TOO_LARGE",
        Some("manifest.json"),
    );
}

#[test]
fn truncated_archive() {
    let bytes = sample_archive();
    rejected_by_default(&bytes[..bytes.len() - 10], "MALFORMED_ARCHIVE", None);
    rejected_by_default(&bytes[..bytes.len() / 2], "MALFORMED_ARCHIVE", None);
    rejected_by_default(&[], "MALFORMED_ARCHIVE", None);
}

#[test]
fn junk_before_or_after_the_archive() {
    let bytes = sample_archive();
    let mut prefixed = b"#!/bin/sh\nexit 0\n".to_vec();
    prefixed.extend(&bytes);
    rejected_by_default(&prefixed, "MALFORMED_ARCHIVE", None);
    let mut suffixed = bytes.clone();
    suffixed.extend(b"trailing");
    rejected_by_default(&suffixed, "MALFORMED_ARCHIVE", None);
}

#[test]
fn unsupported_compression_method() {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = options().compression_method(zip::CompressionMethod::Stored);
    writer.start_file("a.recipe.json", stored).expect("start");
    writer.write_all(b"{}").expect("write");
    let bytes = writer.finish().expect("finish").into_inner();
    // Method 0 (stored) is fine; rewrite it to 12 (bzip2) in both headers.
    let mut patched = bytes.clone();
    patched[8..10].copy_from_slice(&12_u16.to_le_bytes());
    let cd = central_directory_offset(&bytes);
    patched[cd + 10..cd + 12].copy_from_slice(&12_u16.to_le_bytes());
    rejected_by_default(&patched, "UNSUPPORTED_ENTRY", Some("a.recipe.json"));
}

#[test]
fn unknown_format_version() {
    let bytes = edit_manifest(&sample_archive(), |m| m["format_version"] = 2.into());
    let error = rejected_by_default(&bytes, "UNSUPPORTED_FORMAT_VERSION", Some("manifest.json"));
    assert_eq!(
        error,
        ReadError::UnsupportedFormatVersion { found: "2".into() }
    );
}

#[test]
fn malformed_manifest() {
    let bytes = repack(&sample_archive(), |files| {
        let manifest = files
            .iter_mut()
            .find(|(n, _)| n == "manifest.json")
            .expect("manifest");
        manifest.1 = b"{\"format_version\": 1, ".to_vec();
    });
    rejected_by_default(&bytes, "MALFORMED_MANIFEST", Some("manifest.json"));

    let bytes = edit_manifest(&sample_archive(), |m| m["surprise"] = true.into());
    rejected_by_default(&bytes, "MALFORMED_MANIFEST", Some("manifest.json"));

    // A listed path that disagrees with the asset's folder and name.
    let bytes = edit_manifest(&sample_archive(), |m| {
        m["assets"][0]["name"] = "Other".into()
    });
    rejected_by_default(&bytes, "MALFORMED_MANIFEST", Some("manifest.json"));
}

#[test]
fn missing_manifest() {
    let bytes = repack(&sample_archive(), |files| {
        files.retain(|(n, _)| n != "manifest.json")
    });
    rejected_by_default(&bytes, "MISSING_FILE", Some("manifest.json"));
}

#[test]
fn hash_mismatch() {
    let path = "shared/Slack.connection.json";
    let bytes = repack(&sample_archive(), |files| {
        let file = files.iter_mut().find(|(n, _)| n == path).expect("file");
        let at = file.1.iter().position(|b| *b == b'a').expect("an a");
        file.1[at] = b'b'; // same size, different bytes
    });
    rejected_by_default(&bytes, "HASH_MISMATCH", Some(path));
}

#[test]
fn size_mismatch() {
    let path = "connectors/slack/connector.js";
    let bytes = repack(&sample_archive(), |files| {
        let file = files.iter_mut().find(|(n, _)| n == path).expect("file");
        file.1.extend(b"// more\n");
    });
    rejected_by_default(&bytes, "SIZE_MISMATCH", Some(path));
}

#[test]
fn connector_source_not_matching_its_metadata() {
    // Manifest and source agree, connector.json does not.
    const EVIL: &[u8] = b"export default { title: \"Evil\" };\n";
    let path = "connectors/slack/connector.js";
    let bytes = repack(&sample_archive(), |files| {
        let file = files.iter_mut().find(|(n, _)| n == path).expect("file");
        file.1 = EVIL.to_vec();
    });
    let source_sha = packager::canonical::sha256_hex(EVIL);
    let bytes = edit_manifest(&bytes, |m| {
        for asset in m["assets"].as_array_mut().expect("assets") {
            if asset["path"] == path {
                asset["sha256"] = source_sha.clone().into();
                asset["size"] = EVIL.len().into();
            }
        }
    });
    rejected_by_default(&bytes, "HASH_MISMATCH", Some(path));
}

#[test]
fn unlisted_file() {
    let path = "sales/extra.recipe.json";
    let bytes = repack(&sample_archive(), |files| {
        files.push((path.into(), b"{}".to_vec()))
    });
    rejected_by_default(&bytes, "UNLISTED_FILE", Some(path));
}

#[test]
fn listed_but_missing_file() {
    let path = "shared/CRM.connection.json";
    let bytes = repack(&sample_archive(), |files| files.retain(|(n, _)| n != path));
    rejected_by_default(&bytes, "MISSING_FILE", Some(path));
}

#[test]
fn asset_file_disagreeing_with_the_manifest() {
    let path = "shared/CRM.connection.json";
    let bytes = repack(&sample_archive(), |files| {
        let file = files.iter_mut().find(|(n, _)| n == path).expect("file");
        file.1 = b"not json".to_vec();
    });
    let sha = packager::canonical::sha256_hex(b"not json");
    let bytes = edit_manifest(&bytes, |m| {
        for asset in m["assets"].as_array_mut().expect("assets") {
            if asset["path"] == path {
                asset["sha256"] = sha.clone().into();
                asset["size"] = 8.into();
            }
        }
    });
    rejected_by_default(&bytes, "MALFORMED_ASSET", Some(path));
}

fn signed_archive(seed: u8) -> Vec<u8> {
    let options = BuildOptions {
        signer: Some(PackageSigner::new(signing_key(seed))),
    };
    build(&sample_input(), &options).expect("builds")
}

#[track_caller]
fn refused(bytes: &[u8], trusted: &[packager::VerifyingKey], code: &str) {
    let package = read(bytes, &Limits::default()).expect("reads");
    let error = verify(&package, trusted, true).expect_err("must be refused");
    assert_eq!(error.code(), code, "{error}");
    assert_eq!(error.path(), Some("manifest.json"));
}

#[test]
fn missing_signature_when_required() {
    refused(
        &sample_archive(),
        &[signing_key(7).verifying_key()],
        "SIGNATURE_REQUIRED",
    );
}

#[test]
fn bad_signature() {
    let trusted = [signing_key(7).verifying_key()];
    // The manifest changed after signing (the files still match it).
    let tampered = edit_manifest(&signed_archive(7), |m| m["exporter"] = "mallory".into());
    refused(&tampered, &trusted, "BAD_SIGNATURE");
    // A signature value that is not a signature at all.
    let garbage = edit_manifest(&signed_archive(7), |m| {
        m["signature"]["value"] = "AAAA".into()
    });
    refused(&garbage, &trusted, "BAD_SIGNATURE");
    // Another algorithm.
    let rsa = edit_manifest(&signed_archive(7), |m| {
        m["signature"]["algorithm"] = "rsa".into()
    });
    refused(&rsa, &trusted, "BAD_SIGNATURE");
    // A bad signature is refused even when signatures are optional.
    let package = read(&tampered, &Limits::default()).expect("reads");
    assert_eq!(
        verify(&package, &trusted, false).map_err(|e| e.code()),
        Err("BAD_SIGNATURE")
    );
}

#[test]
fn untrusted_key() {
    refused(
        &signed_archive(8),
        &[signing_key(7).verifying_key()],
        "UNTRUSTED_KEY",
    );
}

#[test]
fn every_code_is_distinct_and_upper_case() {
    let errors: Vec<ReadError> = errors_about_the_archive()
        .into_iter()
        .chain(errors_about_one_entry())
        .collect();
    let codes: std::collections::BTreeSet<&str> = errors.iter().map(ReadError::code).collect();
    assert_eq!(codes.len(), errors.len());
    assert!(
        codes
            .iter()
            .all(|c| c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
    );
}

/// One of each error about the archive as a whole: its size, format, manifest and signature.
fn errors_about_the_archive() -> Vec<ReadError> {
    vec![
        ReadError::ArchiveTooLarge { size: 0, max: 0 },
        ReadError::TooManyEntries { count: 0, max: 0 },
        ReadError::UnsupportedFormatVersion {
            found: String::new(),
        },
        ReadError::MalformedArchive {
            reason: String::new(),
        },
        ReadError::MalformedManifest {
            reason: String::new(),
        },
        ReadError::SignatureRequired,
        ReadError::BadSignature {
            reason: String::new(),
        },
        ReadError::UntrustedKey {
            key_id: String::new(),
        },
    ]
}

/// One of each error about a single file in the archive (each names its path).
fn errors_about_one_entry() -> Vec<ReadError> {
    vec![
        ReadError::EntryTooLarge {
            path: String::new(),
            max: 0,
        },
        ReadError::TotalTooLarge {
            path: String::new(),
            max: 0,
        },
        ReadError::CompressionRatio {
            path: String::new(),
            max: 0,
        },
        ReadError::UnsafePath {
            path: String::new(),
            reason: "",
        },
        ReadError::Symlink {
            path: String::new(),
        },
        ReadError::DuplicateEntry {
            path: String::new(),
        },
        ReadError::UnknownFile {
            path: String::new(),
        },
        ReadError::UnlistedFile {
            path: String::new(),
        },
        ReadError::MissingFile {
            path: String::new(),
        },
        ReadError::HashMismatch {
            path: String::new(),
        },
        ReadError::SizeMismatch {
            path: String::new(),
            listed: 0,
            actual: 0,
        },
        ReadError::UnsupportedEntry {
            path: String::new(),
            reason: String::new(),
        },
        ReadError::CorruptEntry {
            path: String::new(),
            reason: String::new(),
        },
        ReadError::MalformedAsset {
            path: String::new(),
            reason: String::new(),
        },
        ReadError::SourceAndReference {
            path: String::new(),
        },
        ReadError::NoSourceNorReference {
            path: String::new(),
        },
    ]
}

#[test]
fn a_writer_cannot_sneak_in_a_second_copy_under_a_zip_crate_dedup() {
    // Same bytes written twice, the second with different content: the zip crate alone would keep
    // one of them silently.
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .start_file("manifest.json", options())
        .expect("start");
    writer.write_all(b"{}").expect("write");
    writer
        .start_file("manifesT.json", options())
        .expect("start");
    writer.write_all(b"[]").expect("write");
    let bytes = writer.finish().expect("finish").into_inner();
    let bytes = patch_bytes(&bytes, b"manifesT.json", b"manifest.json");
    rejected_by_default(&bytes, "DUPLICATE_ENTRY", Some("manifest.json"));
}
