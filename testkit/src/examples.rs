//! Where the repository's example connectors and their run fixtures are.
//!
//! An example connector is a folder `examples/connectors/<slug>/` whose versions are files
//! `versions/<semver>.js`; its run fixture is `sdk/tests/fixtures/run/<slug>.json`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::Value;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The folder `examples/` at the repository's root.
pub fn examples_dir() -> PathBuf {
    repo_root().join("examples")
}

/// The folder of the example connectors, `examples/connectors/`.
pub fn connectors_dir() -> PathBuf {
    examples_dir().join("connectors")
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| path.display().to_string())
}

/// The source of an example connector's version, `versions/<version>.js`, e.g.
/// `example_source("github-issues", "2.0.0")`.
pub fn example_source(slug: &str, version: &str) -> anyhow::Result<String> {
    read(&version_path(slug, version))
}

/// The file of an example connector's version.
pub fn version_path(slug: &str, version: &str) -> PathBuf {
    connectors_dir()
        .join(slug)
        .join("versions")
        .join(format!("{version}.js"))
}

/// The slugs of every example connector (every folder of `examples/connectors/`), sorted.
pub fn example_slugs() -> anyhow::Result<Vec<String>> {
    let mut slugs = Vec::new();
    for entry in std::fs::read_dir(connectors_dir())? {
        let dir = entry?.path();
        if let Some(slug) = dir.file_name().and_then(|n| n.to_str())
            && dir.is_dir()
        {
            slugs.push(slug.to_owned());
        }
    }
    slugs.sort();
    Ok(slugs)
}

/// The newest version of the example connector `slug`.
pub fn newest_version(slug: &str) -> anyhow::Result<semver::Version> {
    let dir = connectors_dir().join(slug).join("versions");
    let mut newest = None;
    for file in std::fs::read_dir(&dir).with_context(|| dir.display().to_string())? {
        let file = file?.path();
        if file.extension().and_then(|e| e.to_str()) != Some("js") {
            continue;
        }
        if let Some(stem) = file.file_stem().and_then(|s| s.to_str()) {
            let version =
                semver::Version::parse(stem).with_context(|| file.display().to_string())?;
            newest = newest.max(Some(version));
        }
    }
    newest.with_context(|| format!("{slug} has no versions/<version>.js"))
}

/// The newest version's source of the example connector `slug`.
pub fn newest_source(slug: &str) -> anyhow::Result<String> {
    example_source(slug, &newest_version(slug)?.to_string())
}

/// The run fixture of the example connector `slug`: a JSON object with `connection`, `inputs`
/// (action or trigger name → input or array of inputs) and `routes` (`[method, path or URL,
/// body, status?]`).
pub fn run_fixture(slug: &str) -> anyhow::Result<Value> {
    let path = repo_root()
        .join("sdk/tests/fixtures/run")
        .join(format!("{slug}.json"));
    serde_json::from_str(&read(&path)?).with_context(|| path.display().to_string())
}
