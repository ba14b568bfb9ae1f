//! Building and reading well-formed packages.

mod common;

use std::process::Command;

use common::*;
use packager::{
    BuildError, BuildOptions, Limits, PackageSigner, Verification, assemble, build, key_id, read,
    verify,
};

#[test]
fn round_trip_returns_what_was_built() {
    let input = sample_input();
    let options = BuildOptions::default();
    let package = read(&sample_archive(), &Limits::default()).expect("reads back");
    assert_eq!(package, assemble(&input, &options).expect("assembles"));

    let mut recipes = input.recipes.clone();
    recipes.sort_by(|a, b| a.folder.cmp(&b.folder));
    assert_eq!(package.recipes, recipes);
    let mut connections = input.connections.clone();
    connections.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(package.connections, connections);
    let mut connectors = input.connectors.clone();
    connectors.sort_by(|a, b| a.slug.cmp(&b.slug));
    assert_eq!(package.connectors, connectors);
    assert_eq!(package.manifest.format_version, 1);
    assert_eq!(package.manifest.package_id, PACKAGE_ID);
}

#[test]
fn layout_and_manifest_follow_the_design() {
    let package = read(&sample_archive(), &Limits::default()).expect("reads");
    let paths: Vec<&str> = package
        .manifest
        .assets
        .iter()
        .map(|a| a.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "Daily digest.recipe.json",
            "connectors/crm-sync/connector.js",
            "connectors/crm-sync/connector.json",
            "connectors/slack/connector.js",
            "connectors/slack/connector.json",
            "sales/leads/Sync leads (v2).recipe.json",
            "shared/CRM.connection.json",
            "shared/Slack.connection.json",
        ]
    );
    let edges: Vec<(&str, &str)> = package
        .manifest
        .dependencies
        .iter()
        .map(|d| (d.from.as_str(), d.to.as_str()))
        .collect();
    assert_eq!(
        edges,
        [
            (LEAD_SYNC, "crm-sync"),
            (LEAD_SYNC, "slack"),
            (LEAD_SYNC, SLACK_CONN),
            (LEAD_SYNC, CRM_CONN),
            (DIGEST, "crm-sync"),
            (DIGEST, "slack"),
            (SLACK_CONN, "slack"),
            (CRM_CONN, "crm-sync"),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    let names: Vec<String> = unpack(&sample_archive())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries are written in path order");
    assert_eq!(names[0], "Daily digest.recipe.json");
    assert!(names.contains(&"manifest.json".to_owned()));
}

#[test]
fn json_files_are_canonical() {
    let files = unpack(&sample_archive());
    let (_, manifest) = files
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest");
    let text = std::str::from_utf8(manifest).expect("utf-8");
    assert!(text.starts_with("{\n  \"assets\": [\n"), "{text}");
    assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
    let (_, recipe) = files
        .iter()
        .find(|(n, _)| n.ends_with("Sync leads (v2).recipe.json"))
        .expect("recipe");
    let value: serde_json::Value = serde_json::from_slice(recipe).expect("json");
    assert_eq!(
        &packager::canonical::to_canonical_bytes(&value).expect("canonical"),
        recipe
    );
}

#[test]
fn two_builds_are_byte_identical() {
    let first = sample_archive();
    let second = sample_archive();
    assert_eq!(first, second);
    // Input order does not matter either.
    let mut shuffled = sample_input();
    shuffled.recipes.reverse();
    shuffled.connections.reverse();
    shuffled.connectors.reverse();
    assert_eq!(
        build(&shuffled, &BuildOptions::default()).expect("builds"),
        first
    );
    // Signed builds are deterministic too (Ed25519 signatures are).
    let signed = |seed| BuildOptions {
        signer: Some(PackageSigner::new(signing_key(seed))),
    };
    assert_eq!(
        build(&sample_input(), &signed(7)).expect("builds"),
        build(&sample_input(), &signed(7)).expect("builds")
    );
}

#[test]
fn entries_have_fixed_timestamps_and_permissions() {
    let bytes = sample_archive();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    for i in 0..archive.len() {
        let file = archive.by_index(i).expect("entry");
        assert_eq!(file.unix_mode(), Some(0o100_644), "{:?}", file.name_raw());
        let time = file.last_modified().expect("a timestamp");
        assert_eq!((time.year(), time.month(), time.day()), (1980, 1, 1));
        assert_eq!(file.compression(), zip::CompressionMethod::Deflated);
    }
}

fn temp_archive(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("packager-{}-{name}.zip", std::process::id()));
    std::fs::write(&path, sample_archive()).expect("write temp archive");
    path
}

#[test]
fn python_zipfile_reads_our_archive() {
    let path = temp_archive("python");
    let check = "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None";
    match Command::new("python3")
        .arg("-c")
        .arg(check)
        .arg(&path)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "python zipfile rejected the archive: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("note: python3 not available, skipping ({e})"),
    }
    let _ = std::fs::remove_file(path);
}

#[test]
fn unzip_tests_our_archive() {
    let path = temp_archive("unzip");
    match Command::new("unzip").arg("-t").arg(&path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "unzip -t failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("note: unzip not installed, skipping (apt-get install -y unzip): {e}"),
    }
    let _ = std::fs::remove_file(path);
}

#[test]
fn signed_packages_verify_against_trusted_keys() {
    let signer = PackageSigner::new(signing_key(7));
    let public = signer.verifying_key();
    let options = BuildOptions {
        signer: Some(signer),
    };
    let package = read(
        &build(&sample_input(), &options).expect("builds"),
        &Limits::default(),
    )
    .expect("reads");
    let signature = package.manifest.signature.as_ref().expect("signed");
    assert_eq!(signature.algorithm, "ed25519");
    assert_eq!(signature.key_id, key_id(&public));
    assert_eq!(
        verify(&package, &[signing_key(9).verifying_key(), public], true),
        Ok(Verification::Verified {
            key_id: key_id(&public)
        })
    );
    // Not required and not trusted: reported, not refused.
    assert_eq!(
        verify(&package, &[], false),
        Ok(Verification::UnknownSigner {
            key_id: key_id(&public)
        })
    );
    let unsigned = read(&sample_archive(), &Limits::default()).expect("reads");
    assert_eq!(
        verify(&unsigned, &[public], false),
        Ok(Verification::Unsigned)
    );
}

type InputChange = dyn Fn(&mut packager::PackageInput);

#[test]
fn unsafe_names_are_refused_at_build_time() {
    let cases: Vec<(&str, Box<InputChange>)> = vec![
        (
            "dot-dot folder",
            Box::new(|i| i.recipes[0].folder = "../etc".into()),
        ),
        (
            "absolute folder",
            Box::new(|i| i.recipes[0].folder = "/etc".into()),
        ),
        (
            "backslash name",
            Box::new(|i| i.recipes[0].name = "a\\b".into()),
        ),
        (
            "slash in name",
            Box::new(|i| i.connections[0].name = "a/b".into()),
        ),
        (
            "reserved folder",
            Box::new(|i| i.recipes[0].folder = "connectors".into()),
        ),
        (
            "long name",
            Box::new(|i| i.recipes[0].name = "n".repeat(101)),
        ),
        (
            "device name",
            Box::new(|i| i.recipes[0].name = "CON".into()),
        ),
        (
            "bad slug",
            Box::new(|i| i.connectors[0].slug = "../slack".into()),
        ),
    ];
    for (label, change) in cases {
        let mut input = sample_input();
        change(&mut input);
        let result = build(&input, &BuildOptions::default());
        assert!(
            matches!(result, Err(BuildError::BadName { .. })),
            "{label}: {result:?}"
        );
    }
}

#[test]
fn ambiguous_input_is_refused_at_build_time() {
    let mut input = sample_input();
    input.recipes[1].folder = "Sales/Leads".into();
    input.recipes[1].name = "SYNC LEADS (V2)".into();
    assert!(matches!(
        build(&input, &BuildOptions::default()),
        Err(BuildError::DuplicatePath { .. })
    ));

    let mut input = sample_input();
    input.connections[1].asset_id = input.recipes[0].asset_id.clone();
    assert!(matches!(
        build(&input, &BuildOptions::default()),
        Err(BuildError::DuplicateAssetId(_))
    ));

    let mut input = sample_input();
    input.connectors[0].content = packager::ConnectorContent::Source(
        "export default { title: \"Slack\" };\n// edited\n".into(),
    );
    assert!(matches!(
        build(&input, &BuildOptions::default()),
        Err(BuildError::SourceHashMismatch { .. })
    ));

    let mut input = sample_input();
    input.recipes[0].asset_id = "not-a-uuid".into();
    assert!(matches!(
        build(&input, &BuildOptions::default()),
        Err(BuildError::BadId { .. })
    ));

    let mut input = sample_input();
    input.created_at = "yesterday".into();
    assert!(matches!(
        build(&input, &BuildOptions::default()),
        Err(BuildError::BadTimestamp(_))
    ));
}

#[test]
fn an_empty_package_round_trips() {
    let mut input = sample_input();
    input.recipes.clear();
    input.connections.clear();
    input.connectors.clear();
    let bytes = build(&input, &BuildOptions::default()).expect("builds");
    let package = read(&bytes, &Limits::default()).expect("reads");
    assert!(package.manifest.assets.is_empty());
}

/// The manifest is a public contract: its exact bytes for the sample package are checked in.
/// Run with `UPDATE_SNAPSHOTS=1` to accept a deliberate change.
#[test]
fn manifest_snapshot() {
    let files = unpack(&sample_archive());
    let (_, manifest) = files
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest");
    let snapshot =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/manifest.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot.parent().expect("a parent")).expect("snapshot dir");
        std::fs::write(&snapshot, manifest).expect("write snapshot");
    }
    let expected =
        std::fs::read(&snapshot).expect("the snapshot exists (run with UPDATE_SNAPSHOTS=1)");
    assert_eq!(
        String::from_utf8_lossy(manifest),
        String::from_utf8_lossy(&expected),
        "the manifest changed; if deliberate, rerun with UPDATE_SNAPSHOTS=1"
    );
}
