//! The example connectors every generated listing is built on, each version parsed once.

use anyhow::Context;
use include_dir::{Dir, include_dir};
use serde::Deserialize;
use sha2::{Digest, Sha256};

static EXAMPLES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../examples/connectors");

#[derive(Debug, Deserialize)]
struct ExampleListing {
    category: String,
    versions: Vec<ExampleVersion>,
}

#[derive(Debug, Deserialize)]
struct ExampleVersion {
    version: String,
    #[serde(default)]
    notes: String,
    breaking: Option<String>,
}

/// One example version, parsed once and reused by every listing built on it.
pub(super) struct SourceVersion {
    pub(super) version: String,
    pub(super) source: String,
    pub(super) sha256: String,
    pub(super) notes: String,
    pub(super) breaking: Option<String>,
    pub(super) capabilities: serde_json::Value,
    /// The capabilities as the search index writes them.
    pub(super) search_text: String,
    pub(super) has_trigger: bool,
    pub(super) first_trigger: Option<String>,
    pub(super) actions: Vec<String>,
}

/// One example connector: its category and versions.
pub(super) struct Family {
    pub(super) category: String,
    pub(super) versions: Vec<SourceVersion>,
}

/// Every example connector, in the order of their folder names.
pub(super) fn load_families() -> anyhow::Result<Vec<Family>> {
    let mut dirs: Vec<&Dir<'_>> = EXAMPLES.dirs().collect();
    dirs.sort_by_key(|d| d.path().to_path_buf());
    let mut families = Vec::new();
    for dir in dirs {
        let slug = dir.path().display().to_string();
        let path = format!("{slug}/listing.json");
        let text = EXAMPLES
            .get_file(&path)
            .and_then(|f| f.contents_utf8())
            .with_context(|| format!("examples/connectors/{path} is missing"))?;
        let listing: ExampleListing =
            serde_json::from_str(text).with_context(|| format!("parsing {path}"))?;
        let versions = listing
            .versions
            .into_iter()
            .map(|v| source_version(&slug, v))
            .collect::<anyhow::Result<_>>()?;
        families.push(Family {
            category: listing.category,
            versions,
        });
    }
    anyhow::ensure!(!families.is_empty(), "no example connectors");
    Ok(families)
}

fn source_version(slug: &str, v: ExampleVersion) -> anyhow::Result<SourceVersion> {
    let source = service::seed::version_source(slug, &v.version)?.to_owned();
    let caps = sdk::parse(&source).map_err(|e| anyhow::anyhow!("{slug} {}: {e}", v.version))?;
    let search_text = caps
        .actions
        .iter()
        .chain(caps.triggers.iter())
        .map(|op| format!("{} {}", op.title, op.name.replace('_', " ")))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(SourceVersion {
        sha256: hex::encode(Sha256::digest(source.as_bytes())),
        version: v.version,
        notes: v.notes,
        breaking: v.breaking,
        capabilities: serde_json::to_value(&caps)?,
        search_text,
        has_trigger: !caps.triggers.is_empty(),
        first_trigger: caps.triggers.first().map(|t| t.name.clone()),
        actions: caps.actions.iter().map(|a| a.name.clone()).collect(),
        source,
    })
}
