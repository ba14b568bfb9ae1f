//! Every example connector under `examples/connectors/` is a valid, well-formed listing: each
//! listed version is a JavaScript file that parses, every file in `versions/` is a listed
//! version, and versions strictly increase.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use semver::Version;
use serde::Deserialize;
use testkit::examples::{connectors_dir, example_slugs};

/// The demo catalog must have at least this many connectors.
const MIN_CONNECTORS: usize = 8;

/// The parts of `listing.json` this test checks.
#[derive(Debug, Deserialize)]
struct Listing {
    slug: String,
    name: String,
    versions: Vec<ListedVersion>,
}

#[derive(Debug, Deserialize)]
struct ListedVersion {
    version: String,
}

fn connector_dirs() -> Vec<PathBuf> {
    example_slugs()
        .expect("examples/connectors exists")
        .into_iter()
        .map(|slug| connectors_dir().join(slug))
        .collect()
}

#[test]
fn there_are_enough_example_connectors() {
    let count = connector_dirs().len();
    assert!(
        count >= MIN_CONNECTORS,
        "{count} example connectors, want at least {MIN_CONNECTORS}"
    );
}

#[test]
fn every_example_connector_is_a_valid_listing() {
    let problems: Vec<String> = connector_dirs()
        .iter()
        .flat_map(|dir| check_connector(dir))
        .collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// Everything wrong with one connector's directory, one line each.
fn check_connector(dir: &Path) -> Vec<String> {
    let slug = dir
        .file_name()
        .expect("named")
        .to_string_lossy()
        .into_owned();
    let listing: Listing = match fs::read_to_string(dir.join("listing.json"))
        .map_err(|error| error.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|error| error.to_string()))
    {
        Ok(listing) => listing,
        Err(error) => return vec![format!("{slug}/listing.json: {error}")],
    };
    let mut problems = Vec::new();
    if listing.slug != slug {
        problems.push(format!("{slug}/listing.json: slug is `{}`", listing.slug));
    }
    if listing.name.trim().is_empty() {
        problems.push(format!("{slug}/listing.json: name is empty"));
    }
    if listing.versions.is_empty() {
        problems.push(format!("{slug}/listing.json: no versions"));
    }
    problems.extend(check_version_order(&slug, &listing));
    problems.extend(check_version_files(dir, &slug, &listing));
    problems
}

fn check_version_order(slug: &str, listing: &Listing) -> Vec<String> {
    let mut problems = Vec::new();
    let mut previous: Option<Version> = None;
    for listed in &listing.versions {
        let version = match Version::parse(&listed.version) {
            Ok(version) => version,
            Err(error) => {
                problems.push(format!("{slug}: version `{}`: {error}", listed.version));
                continue;
            }
        };
        if let Some(previous) = previous.as_ref().filter(|previous| version <= **previous) {
            problems.push(format!(
                "{slug}: version {version} does not follow {previous}"
            ));
        }
        previous = Some(version);
    }
    problems
}

fn check_version_files(dir: &Path, slug: &str, listing: &Listing) -> Vec<String> {
    let mut problems = Vec::new();
    // A version is `versions/<version>.js`, and nothing else lives there.
    let on_disk: BTreeSet<String> = fs::read_dir(dir.join("versions"))
        .map(|entries| {
            entries
                .map(|entry| {
                    entry
                        .expect("readable entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    let listed: BTreeSet<String> = listing
        .versions
        .iter()
        .map(|listed| format!("{}.js", listed.version))
        .collect();
    for file in on_disk.difference(&listed) {
        problems.push(format!(
            "{slug}/versions/{file}: not a version listed in listing.json"
        ));
    }
    for file in &listed {
        match fs::read_to_string(dir.join("versions").join(file)) {
            Ok(source) => {
                if let Err(error) = sdk::parse(&source) {
                    problems.push(format!("{slug}/versions/{file}: {} {error}", error.code()));
                }
            }
            Err(error) => problems.push(format!("{slug}/versions/{file}: {error}")),
        }
    }
    problems
}
