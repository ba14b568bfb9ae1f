//! Closed-source connectors travel by catalog reference: no source in the archive, a reference in
//! `connector.json`, resolved (or refused) against the target's catalog by the plan.

mod common;

use std::collections::BTreeMap;

use common::*;
use packager::{
    Action, BuildError, BuildOptions, ConnectorContent, Limits, PackageSigner, ReadError, Reason,
    TargetView, build, canonical::sha256_hex, plan, read, verify,
};
use serde_json::{Value, json};

const ERP_JSON: &str = "connectors/erp/connector.json";
const ERP_SOURCE: &str = "connectors/erp/connector.js";

#[track_caller]
fn rejected(bytes: &[u8], code: &str, path: &str) -> ReadError {
    let error = read(bytes, &Limits::default()).expect_err("the archive must be rejected");
    assert_eq!(error.code(), code, "{error}");
    assert_eq!(error.path(), Some(path), "{error}");
    error
}

/// Add `path` with `bytes` to the archive and list it in the manifest as `asset_type` of `slug`.
fn with_listed_file(
    bytes: &[u8],
    slug: &str,
    asset_type: &str,
    path: &str,
    data: &[u8],
) -> Vec<u8> {
    let added = repack(bytes, |files| files.push((path.to_owned(), data.to_vec())));
    edit_manifest(&added, |m| {
        let assets = m["assets"].as_array_mut().expect("assets");
        assets.push(json!({
            "asset_id": slug, "folder": format!("connectors/{slug}"),
            "name": format!("{slug} connector"), "path": path, "sha256": sha256_hex(data),
            "size": data.len(), "type": asset_type,
        }));
        assets.sort_by_key(|a| a["path"].as_str().unwrap_or_default().to_owned());
    })
}

/// Drop `path` from the archive and from the manifest.
fn without_file(bytes: &[u8], path: &str) -> Vec<u8> {
    let removed = repack(bytes, |files| files.retain(|(n, _)| n != path));
    edit_manifest(&removed, |m| {
        m["assets"]
            .as_array_mut()
            .expect("assets")
            .retain(|a| a["path"] != path);
    })
}

/// Replace `path` with `data` (as the manifest lists it, so only the content is judged).
fn with_file_content(bytes: &[u8], path: &str, data: &[u8]) -> Vec<u8> {
    let replaced = repack(bytes, |files| {
        let file = files.iter_mut().find(|(n, _)| n == path).expect("file");
        file.1 = data.to_vec();
    });
    edit_manifest(&replaced, |m| {
        for asset in m["assets"].as_array_mut().expect("assets") {
            if asset["path"] == path {
                asset["sha256"] = sha256_hex(data).into();
                asset["size"] = data.len().into();
            }
        }
    })
}

fn erp_metadata(bytes: &[u8]) -> Value {
    let (_, data) = unpack(bytes)
        .into_iter()
        .find(|(n, _)| n == ERP_JSON)
        .expect("connector.json");
    serde_json::from_slice(&data).expect("JSON")
}

#[test]
fn a_referenced_connector_has_no_source_entry_and_no_source_bytes() {
    let bytes = referencing_archive();
    let files = unpack(&bytes);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&ERP_JSON), "{names:?}");
    assert!(!names.contains(&ERP_SOURCE), "{names:?}");
    let needle = "closed-source-line-7f3a";
    assert!(
        !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
        "the closed source is in the archive bytes"
    );
    for (name, data) in &files {
        assert!(
            !String::from_utf8_lossy(data).contains(needle),
            "the closed source is in {name}"
        );
    }
    let sha = sha256_hex(CLOSED_SOURCE.as_bytes());
    assert_eq!(
        erp_metadata(&bytes),
        json!({
            "name": "erp connector", "parent": {"listing": "erp", "version": "1.1.0"},
            "reference": {"listing": "erp", "sha256": sha, "version": "1.1.0"},
            "sha256": sha, "slug": "erp", "workspace_version": 2,
        })
    );
    // Connectors that carry their source keep connector.json exactly as before: no `reference`.
    let (_, slack) = files
        .iter()
        .find(|(n, _)| n == "connectors/slack/connector.json")
        .expect("slack");
    let slack: Value = serde_json::from_slice(slack).expect("JSON");
    assert!(slack.get("reference").is_none(), "{slack}");
}

#[test]
fn a_referencing_package_round_trips_and_builds_deterministically() {
    let input = referencing_input();
    let bytes = referencing_archive();
    let package = read(&bytes, &Limits::default()).expect("reads");
    let erp = package
        .connectors
        .iter()
        .find(|c| c.slug == "erp")
        .expect("erp");
    assert_eq!(erp.source(), None);
    let reference = erp.reference().expect("a reference");
    assert_eq!(
        (reference.listing.as_str(), reference.version.as_str()),
        ("erp", "1.1.0")
    );
    assert_eq!(package.references().count(), 1);
    assert_eq!(
        package,
        packager::assemble(&input, &BuildOptions::default()).expect("assembles")
    );
    let mut shuffled = input.clone();
    shuffled.connectors.reverse();
    shuffled.recipes.reverse();
    assert_eq!(
        build(&shuffled, &BuildOptions::default()).expect("builds"),
        bytes
    );
}

type ReferenceChange = dyn Fn(&mut packager::CatalogReference);

#[test]
fn inconsistent_references_are_refused_at_build_time() {
    let cases: Vec<(&str, Box<ReferenceChange>)> = vec![
        ("another listing", Box::new(|r| r.listing = "slack".into())),
        ("another sha256", Box::new(|r| r.sha256 = "0".repeat(64))),
        (
            "upper-case sha256",
            Box::new(|r| r.sha256 = r.sha256.to_uppercase()),
        ),
        ("empty version", Box::new(|r| r.version = String::new())),
        (
            "version with a slash",
            Box::new(|r| r.version = "1/0".into()),
        ),
    ];
    for (label, change) in cases {
        let mut input = referencing_input();
        let erp = input.connectors.last_mut().expect("erp");
        let ConnectorContent::Reference(reference) = &mut erp.content else {
            panic!("erp travels by reference");
        };
        change(reference);
        let result = build(&input, &BuildOptions::default());
        assert!(
            matches!(&result, Err(BuildError::BadReference { slug, .. }) if slug == "erp"),
            "{label}: {result:?}"
        );
    }
    // The connector's own sha256 must be the reference's too.
    let mut input = referencing_input();
    input.connectors.last_mut().expect("erp").sha256 = "1".repeat(64);
    assert!(matches!(
        build(&input, &BuildOptions::default()),
        Err(BuildError::BadReference { .. })
    ));
}

#[test]
fn a_reference_and_a_source_file_together_are_refused() {
    let bytes = with_listed_file(
        &referencing_archive(),
        "erp",
        "connector_source",
        ERP_SOURCE,
        CLOSED_SOURCE.as_bytes(),
    );
    rejected(&bytes, "CONNECTOR_SOURCE_AND_REFERENCE", ERP_JSON);
}

#[test]
fn neither_a_reference_nor_a_source_file_is_refused() {
    let path = "connectors/slack/connector.js";
    let bytes = without_file(&sample_archive(), path);
    rejected(
        &bytes,
        "CONNECTOR_SOURCE_MISSING",
        "connectors/slack/connector.json",
    );
}

#[test]
fn a_source_file_without_connector_json_is_a_malformed_manifest() {
    let bytes = without_file(&sample_archive(), "connectors/slack/connector.json");
    rejected(&bytes, "MALFORMED_MANIFEST", "manifest.json");
}

#[test]
fn a_reference_disagreeing_with_its_connector_is_a_malformed_asset() {
    for (label, change) in [
        ("another listing", json!({"listing": "slack"})),
        ("another sha256", json!({"sha256": "0".repeat(64)})),
        ("a bad version", json!({"version": "../1.1.0"})),
    ] {
        let mut metadata = erp_metadata(&referencing_archive());
        for (key, value) in change.as_object().expect("an object") {
            metadata["reference"][key] = value.clone();
        }
        let data = packager::canonical::to_canonical_bytes(&metadata).expect("JSON");
        let bytes = with_file_content(&referencing_archive(), ERP_JSON, &data);
        let error = rejected(&bytes, "MALFORMED_ASSET", ERP_JSON);
        assert!(error.to_string().contains("reference"), "{label}: {error}");
    }
    // Unknown fields in a reference are refused like everywhere else.
    let mut metadata = erp_metadata(&referencing_archive());
    metadata["reference"]["source"] = "smuggled".into();
    let data = packager::canonical::to_canonical_bytes(&metadata).expect("JSON");
    rejected(
        &with_file_content(&referencing_archive(), ERP_JSON, &data),
        "MALFORMED_ASSET",
        ERP_JSON,
    );
}

#[test]
fn the_signature_covers_the_reference() {
    let options = BuildOptions {
        signer: Some(PackageSigner::new(signing_key(7))),
    };
    let signed = build(&referencing_input(), &options).expect("builds");
    let trusted = [signing_key(7).verifying_key()];
    let package = read(&signed, &Limits::default()).expect("reads");
    assert!(verify(&package, &trusted, true).is_ok());
    // Point the reference at another version, keeping the manifest's file hashes true.
    let mut metadata = erp_metadata(&signed);
    metadata["reference"]["version"] = "1.0.0".into();
    let data = packager::canonical::to_canonical_bytes(&metadata).expect("JSON");
    let tampered = with_file_content(&signed, ERP_JSON, &data);
    let package = read(&tampered, &Limits::default()).expect("reads");
    assert_eq!(
        verify(&package, &trusted, true).map_err(|e| e.code()),
        Err("BAD_SIGNATURE")
    );
}

fn catalog(versions: &[(&str, &str, &str)]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (listing, version, sha) in versions {
        let entry = out.entry((*listing).to_owned()).or_default();
        if !version.is_empty() {
            entry.insert((*version).to_owned(), (*sha).to_owned());
        }
    }
    out
}

fn erp_plan(target: &TargetView) -> packager::ConnectorPlan {
    let package = read(&referencing_archive(), &Limits::default()).expect("reads");
    let planned = plan(&package, target);
    assert_eq!(
        planned.is_applicable(),
        planned
            .connectors
            .iter()
            .all(|c| c.action != Action::Conflict)
    );
    planned
        .connectors
        .into_iter()
        .find(|c| c.slug == "erp")
        .expect("erp")
}

#[test]
fn a_reference_the_catalog_resolves_is_created() {
    let sha = sha256_hex(CLOSED_SOURCE.as_bytes());
    let target = TargetView {
        catalog: catalog(&[("erp", "1.0.0", &"0".repeat(64)), ("erp", "1.1.0", &sha)]),
        ..TargetView::default()
    };
    let step = erp_plan(&target);
    assert_eq!(step.action, Action::Create);
    assert_eq!(step.reasons, vec![Reason::NotInTarget]);
    assert_eq!(step.create_version, Some(1));
}

#[test]
fn a_reference_the_catalog_cannot_resolve_is_a_conflict() {
    let sha = sha256_hex(CLOSED_SOURCE.as_bytes());
    let erp = || "erp".to_owned();
    let version = || "1.1.0".to_owned();
    for (catalog, reason) in [
        (catalog(&[]), Reason::UnknownListing { listing: erp() }),
        (
            catalog(&[("erp", "", "")]),
            Reason::UnknownVersion {
                listing: erp(),
                version: version(),
            },
        ),
        (
            catalog(&[("erp", "1.2.0", &sha)]),
            Reason::UnknownVersion {
                listing: erp(),
                version: version(),
            },
        ),
        (
            catalog(&[("erp", "1.1.0", &"0".repeat(64))]),
            Reason::CatalogSha256Differs {
                listing: erp(),
                version: version(),
            },
        ),
    ] {
        let target = TargetView {
            catalog,
            ..TargetView::default()
        };
        let step = erp_plan(&target);
        assert_eq!(step.action, Action::Conflict, "{reason:?}");
        assert_eq!(step.reasons, vec![Reason::NotInTarget, reason.clone()]);
        assert_eq!(step.create_version, None);
        assert_eq!(step.released_version, None);
        let serialized = serde_json::to_value(&reason).expect("serializes");
        assert!(serialized["code"].is_string(), "{serialized}");
    }
}

#[test]
fn an_unresolved_reference_conflicts_even_when_the_target_has_the_same_source() {
    let sha = sha256_hex(CLOSED_SOURCE.as_bytes());
    let package = read(&referencing_archive(), &Limits::default()).expect("reads");
    let mut target = TargetView {
        catalog: catalog(&[("erp", "1.1.0", &sha)]),
        ..TargetView::default()
    };
    let first = plan(&package, &target);
    assert!(first.is_applicable(), "{first:?}");
    target.connectors.insert(
        "erp".into(),
        packager::TargetConnector {
            latest_version: 1,
            released_version: Some(1),
            released_sha256: Some(sha.clone()),
            parent: None,
        },
    );
    assert_eq!(erp_plan(&target).action, Action::Unchanged);
    target.catalog = catalog(&[("erp", "1.0.0", &sha)]);
    let step = erp_plan(&target);
    assert_eq!(step.action, Action::Conflict);
    assert_eq!(
        step.reasons,
        vec![Reason::UnknownVersion {
            listing: "erp".into(),
            version: "1.1.0".into()
        }]
    );
}

#[test]
fn the_catalog_is_left_out_of_fingerprints_of_packages_without_references() {
    let view = TargetView::default();
    let serialized = serde_json::to_value(&view).expect("serializes");
    assert!(serialized.get("catalog").is_none(), "{serialized}");
    let with_catalog = TargetView {
        catalog: catalog(&[("erp", "1.1.0", &"0".repeat(64))]),
        ..TargetView::default()
    };
    let package = read(&referencing_archive(), &Limits::default()).expect("reads");
    let planned = plan(&package, &view);
    assert_ne!(
        planned.fingerprint(&view),
        planned.fingerprint(&with_catalog),
        "the catalog the plan relied on is part of the fingerprint"
    );
}
