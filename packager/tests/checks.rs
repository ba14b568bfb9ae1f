//! One test per check of the reader, each failing without the check it names: every limit exactly at
//! the limit (read) and one past it (rejected), every way an asset file can disagree with its
//! manifest entry, an incomplete connector, and the digests against known values.

mod common;

use std::collections::BTreeMap;

use common::*;
use packager::canonical::{canonical_sha256, sha256_hex, to_canonical_bytes};
use packager::{Limits, ReadError, definition_sha256, fields_sha256, read};
use serde_json::{Value, json};

#[track_caller]
fn rejected(bytes: &[u8], limits: &Limits, code: &str, path: Option<&str>) {
    let error = read(bytes, limits).expect_err("the archive must be rejected");
    assert_eq!(error.code(), code, "{error}");
    assert_eq!(error.path(), path, "{error}");
}

#[track_caller]
fn reads(bytes: &[u8], limits: &Limits) {
    if let Err(error) = read(bytes, limits) {
        panic!("the archive must read: {error}");
    }
}

/// The sample's entries: (path, uncompressed size).
fn sizes(bytes: &[u8]) -> Vec<(String, u64)> {
    unpack(bytes)
        .into_iter()
        .map(|(path, data)| (path, data.len() as u64))
        .collect()
}

#[test]
fn archive_size_at_the_limit_reads_and_one_byte_over_is_refused() {
    let bytes = sample_archive();
    let size = bytes.len() as u64;
    let at = |max_archive_size| Limits {
        max_archive_size,
        ..Limits::default()
    };
    reads(&bytes, &at(size));
    rejected(&bytes, &at(size - 1), "ARCHIVE_TOO_LARGE", None);
}

#[test]
fn entry_count_at_the_limit_reads_and_one_over_is_refused() {
    let bytes = sample_archive();
    let count = sizes(&bytes).len();
    let at = |max_entries| Limits {
        max_entries,
        ..Limits::default()
    };
    reads(&bytes, &at(count));
    let error = read(&bytes, &at(count - 1)).expect_err("one entry too many");
    assert_eq!(
        error,
        ReadError::TooManyEntries {
            count,
            max: count - 1
        }
    );
}

#[test]
fn entry_size_at_the_limit_reads_and_one_byte_over_is_refused() {
    let bytes = sample_archive();
    let entries = sizes(&bytes);
    let largest = entries
        .iter()
        .map(|(_, size)| *size)
        .max()
        .expect("entries");
    // The first entry of that size, in directory order, is the one refused.
    let (path, _) = entries
        .iter()
        .find(|(_, size)| *size == largest)
        .expect("entries");
    let at = |max_entry_size| Limits {
        max_entry_size,
        ..Limits::default()
    };
    reads(&bytes, &at(largest));
    rejected(&bytes, &at(largest - 1), "ENTRY_TOO_LARGE", Some(path));
}

#[test]
fn total_size_at_the_limit_reads_and_one_byte_over_is_refused() {
    let bytes = sample_archive();
    let entries = sizes(&bytes);
    let total: u64 = entries.iter().map(|(_, size)| size).sum();
    let last = entries.last().map(|(path, _)| path.clone());
    let at = |max_total_size| Limits {
        max_total_size,
        ..Limits::default()
    };
    reads(&bytes, &at(total));
    rejected(&bytes, &at(total - 1), "TOTAL_TOO_LARGE", last.as_deref());
}

/// 200 KB of one byte: far above the ratio threshold, and compressed well over 100 to 1.
fn compressible() -> (Vec<u8>, u64, u64) {
    let data = vec![b'x'; 200_000];
    let bytes = zip_of(&[("big.recipe.json", &data)]);
    let cd = central_directory_offset(&bytes);
    let compressed = u32::from_le_bytes(bytes[cd + 20..cd + 24].try_into().expect("4 bytes"));
    (bytes, u64::from(compressed), data.len() as u64)
}

#[test]
fn compression_ratio_at_the_limit_passes_and_just_over_is_refused() {
    let (bytes, compressed, size) = compressible();
    // The smallest whole ratio the entry keeps to, and the largest it breaks.
    let keeps = size.div_ceil(compressed);
    let limits = |max_compression_ratio, ratio_threshold| Limits {
        max_compression_ratio,
        ratio_threshold,
        ..Limits::default()
    };
    // Past the ratio check the archive has no manifest: that is the next refusal.
    rejected(
        &bytes,
        &limits(keeps, 0),
        "MISSING_FILE",
        Some("manifest.json"),
    );
    rejected(
        &bytes,
        &limits(keeps - 1, 0),
        "COMPRESSION_RATIO",
        Some("big.recipe.json"),
    );
    // An entry exactly at the threshold is not held to the ratio; one byte over it is.
    rejected(
        &bytes,
        &limits(1, size),
        "MISSING_FILE",
        Some("manifest.json"),
    );
    rejected(
        &bytes,
        &limits(1, size - 1),
        "COMPRESSION_RATIO",
        Some("big.recipe.json"),
    );
}

/// Rewrite the asset file at `path` with `change`, keeping its manifest entry's size and sha256
/// true, so that only the disagreement itself is left to find.
fn with_asset_edited(path: &str, change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut new_bytes = Vec::new();
    let bytes = repack(&sample_archive(), |files| {
        let file = files.iter_mut().find(|(n, _)| n == path).expect("the file");
        let mut value: Value = serde_json::from_slice(&file.1).expect("JSON");
        change(&mut value);
        file.1 = to_canonical_bytes(&value).expect("serializes");
        new_bytes = file.1.clone();
    });
    edit_manifest(&bytes, |manifest| {
        for asset in manifest["assets"].as_array_mut().expect("assets") {
            if asset["path"] == path {
                asset["sha256"] = sha256_hex(&new_bytes).into();
                asset["size"] = new_bytes.len().into();
            }
        }
    })
}

#[test]
fn an_edited_asset_with_its_hash_updated_still_reads() {
    // The control for the tests below: the edit itself is not what they catch.
    let bytes = with_asset_edited("shared/CRM.connection.json", |_| {});
    reads(&bytes, &Limits::default());
}

#[test]
fn every_field_an_asset_shares_with_its_manifest_entry_must_agree() {
    let cases = [
        (
            "sales/leads/Sync leads (v2).recipe.json",
            "asset_id",
            json!(DIGEST),
        ),
        (
            "sales/leads/Sync leads (v2).recipe.json",
            "folder",
            json!("sales"),
        ),
        (
            "sales/leads/Sync leads (v2).recipe.json",
            "name",
            json!("Sync"),
        ),
        ("shared/CRM.connection.json", "asset_id", json!(SLACK_CONN)),
        ("shared/CRM.connection.json", "folder", json!("")),
        ("shared/CRM.connection.json", "name", json!("CRM2")),
        ("connectors/slack/connector.json", "slug", json!("slack-2")),
        ("connectors/slack/connector.json", "name", json!("Slack 2")),
    ];
    for (path, field, value) in cases {
        let bytes = with_asset_edited(path, |asset| {
            assert!(asset.get(field).is_some(), "{path} has {field}");
            asset[field] = value;
        });
        let error = read(&bytes, &Limits::default()).expect_err(field);
        assert_eq!(error.code(), "MALFORMED_ASSET", "{path} {field}: {error}");
        assert_eq!(error.path(), Some(path), "{path} {field}: {error}");
    }
}

#[test]
fn a_connector_source_without_its_metadata_is_refused() {
    let metadata = "connectors/slack/connector.json";
    let bytes = repack(&sample_archive(), |files| {
        files.retain(|(n, _)| n != metadata);
    });
    let bytes = edit_manifest(&bytes, |manifest| {
        let assets = manifest["assets"].as_array_mut().expect("assets");
        assets.retain(|asset| asset["path"] != metadata);
    });
    let error = read(&bytes, &Limits::default()).expect_err("incomplete connector");
    assert_eq!(error.code(), "MALFORMED_MANIFEST", "{error}");
    assert!(error.to_string().contains("connector slack"), "{error}");
}

#[test]
fn digests_are_the_sha256_of_the_canonical_bytes() {
    // Known values, computed apart from this crate (sha256 of the canonical text shown).
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let fields: BTreeMap<String, Value> = [
        ("url".to_owned(), json!("https://x.test")),
        ("region".to_owned(), json!("eu")),
    ]
    .into();
    // "{\n  \"region\": \"eu\",\n  \"url\": \"https://x.test\"\n}\n"
    let expected = "7ea5d4323a66a938549a346562bed1b5dc9e28f3d95214af272ab65ed2267ed4";
    assert_eq!(fields_sha256(&fields), expected);
    assert_eq!(canonical_sha256(&fields).expect("serializes"), expected);
    // "{}\n"
    assert_eq!(
        fields_sha256(&BTreeMap::new()),
        "ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356"
    );
    // "{\n  \"steps\": [],\n  \"trigger\": {\n    \"connector\": \"slack\"\n  }\n}\n"
    assert_eq!(
        definition_sha256(&json!({"trigger": {"connector": "slack"}, "steps": []})),
        "590b71230e454dae12fa2f8a675421f8354aa796b0b44224c0589d062334a5ff"
    );
}

#[test]
fn a_dependency_naming_an_asset_not_in_the_package_is_refused_at_either_end() {
    const ABSENT: &str = "0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5eff";
    for end in ["from", "to"] {
        let bytes = edit_manifest(&sample_archive(), |manifest| {
            let edge = &mut manifest["dependencies"][0];
            assert!(edge.get(end).is_some(), "an edge has {end}");
            edge[end] = ABSENT.into();
        });
        let error = read(&bytes, &Limits::default()).expect_err(end);
        assert_eq!(error.code(), "MALFORMED_MANIFEST", "{end}: {error}");
        assert!(error.to_string().contains(ABSENT), "{end}: {error}");
    }
}

#[test]
fn a_listed_sha256_must_be_64_lowercase_hex_digits() {
    let path = "shared/CRM.connection.json";
    let spellings: [fn(&str) -> String; 3] = [
        |sha| sha.to_uppercase(),
        |sha| sha[..63].to_owned(),
        |sha| format!("{sha}0"),
    ];
    for spell in spellings {
        let bytes = edit_manifest(&sample_archive(), |manifest| {
            for asset in manifest["assets"].as_array_mut().expect("assets") {
                if asset["path"] == path {
                    let sha = asset["sha256"].as_str().expect("a sha256").to_owned();
                    asset["sha256"] = spell(&sha).into();
                }
            }
        });
        let error = read(&bytes, &Limits::default()).expect_err("a misspelled sha256");
        assert_eq!(error.code(), "MALFORMED_MANIFEST", "{error}");
        assert!(error.to_string().contains("not lowercase hex"), "{error}");
    }
}

#[test]
fn asset_ids_are_built_in_their_one_hyphenated_lowercase_spelling() {
    for spelling in [LEAD_SYNC.to_uppercase(), LEAD_SYNC.replace('-', "")] {
        let mut input = sample_input();
        input.recipes[0].asset_id = spelling.clone();
        let error = packager::build(&input, &packager::BuildOptions::default())
            .expect_err("a second spelling of an id");
        assert!(
            matches!(error, packager::BuildError::BadId { ref value, .. } if *value == spelling),
            "{error}"
        );
    }
}

#[test]
fn a_signer_prints_its_key_id_and_never_its_secret() {
    let key = signing_key(7);
    let secret = hex::encode(key.to_bytes());
    let signer = packager::PackageSigner::new(key);
    let printed = format!("{signer:?}");
    assert!(printed.contains(&signer.key_id()), "{printed}");
    assert!(!printed.contains(&secret), "{printed}");
}
