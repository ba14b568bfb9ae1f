//! `package inspect` and `package verify`: an archive read locally, under the packager's limits.

use std::path::Path;

use anyhow::Context;
use base64::Engine as _;
use serde_json::{Value, json};

use super::CliFailure;
use crate::output::say;

fn read_archive(file: &Path) -> Result<packager::Package, CliFailure> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    packager::read(&bytes, &packager::Limits::default()).map_err(|err| {
        let path = err.path().map(|p| format!(" at {p:?}")).unwrap_or_default();
        CliFailure::new(
            2,
            format!("{}: [{}] {err}{path}", file.display(), err.code()),
        )
    })
}

/// Print a readable summary of an archive (and check it under the limits); with `as_json`, the
/// same as one JSON document.
pub fn inspect(file: &Path, as_json: bool) -> Result<(), CliFailure> {
    let package = read_archive(file)?;
    if as_json {
        say(summary_json(&package));
        return Ok(());
    }
    let m = &package.manifest;
    say(format_args!(
        "package {} (format {})",
        m.package_id, m.format_version
    ));
    say(format_args!(
        "from {} ({}), exported by {} at {}",
        m.source.workspace, m.source.environment, m.exporter, m.created_at
    ));
    say(format_args!(
        "signature: {}",
        m.signature.as_ref().map_or("none".to_owned(), |s| format!(
            "{} key {}",
            s.algorithm, s.key_id
        ))
    ));
    for c in &package.connectors {
        let parent = c
            .parent
            .as_ref()
            .map(|p| format!(" (from {} {})", p.listing, p.version))
            .unwrap_or_default();
        // A closed-source connector is not in the archive: the importing server's catalog has it.
        let by_reference = c
            .reference()
            .map(|r| format!(" by reference to {} {}", r.listing, r.version))
            .unwrap_or_default();
        say(format_args!(
            "  connector  {} v{}{parent}{by_reference} sha256 {}",
            c.slug,
            c.workspace_version,
            &c.sha256[..12.min(c.sha256.len())]
        ));
    }
    for c in &package.connections {
        say(format_args!(
            "  connection {}/{} for {}",
            c.folder, c.name, c.connector
        ));
    }
    for r in &package.recipes {
        say(format_args!(
            "  recipe     {}/{} uses {}",
            r.folder,
            r.name,
            r.connector_slugs()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// `inspect --json`: the fields `docs/cli.md` documents.
fn summary_json(package: &packager::Package) -> Value {
    let m = &package.manifest;
    json!({
        "package_id": m.package_id,
        "format_version": m.format_version,
        "created_at": m.created_at,
        "exporter": m.exporter,
        "source": { "workspace": m.source.workspace, "environment": m.source.environment },
        "signature": m.signature.as_ref().map(|s| json!({ "algorithm": s.algorithm, "key_id": s.key_id })),
        "connectors": package.connectors.iter().map(|c| json!({
            "slug": c.slug,
            "workspace_version": c.workspace_version,
            "parent": c.parent.as_ref().map(|p| json!({ "listing": p.listing, "version": p.version })),
            "sha256": c.sha256,
            "reference": c.reference().map(|r| json!({ "listing": r.listing, "version": r.version, "sha256": r.sha256 })),
        })).collect::<Vec<_>>(),
        "connections": package.connections.iter().map(|c| json!({
            "folder": c.folder, "name": c.name, "connector": c.connector,
        })).collect::<Vec<_>>(),
        "recipes": package.recipes.iter().map(|r| json!({
            "folder": r.folder,
            "name": r.name,
            "connectors": r.connector_slugs().into_iter().collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Check integrity (always) and the signature against trusted keys; say what was found, for
/// people or (with `as_json`) as one JSON document.
pub fn verify(
    file: &Path,
    trusted_keys: &[String],
    require_signature: bool,
    as_json: bool,
) -> Result<(), CliFailure> {
    let package = read_archive(file)?;
    let mut keys = Vec::new();
    for key in trusted_keys {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|e| CliFailure::new(1, format!("--trusted-key {key}: {e}")))?;
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CliFailure::new(1, format!("--trusted-key {key}: not 32 bytes")))?;
        keys.push(
            packager::VerifyingKey::from_bytes(&array)
                .map_err(|e| CliFailure::new(1, format!("--trusted-key: {e}")))?,
        );
    }
    let verification = packager::verify(&package, &keys, require_signature)
        .map_err(|err| CliFailure::new(2, format!("{}: [{}] {err}", file.display(), err.code())))?;
    let (signature, key_id, sentence) = match &verification {
        packager::Verification::Unsigned => ("unsigned", None, "not signed".to_owned()),
        packager::Verification::Verified { key_id } => (
            "verified",
            Some(key_id),
            format!("signed by trusted key {key_id}, and the signature holds"),
        ),
        packager::Verification::UnknownSigner { key_id } => (
            "unknown_signer",
            Some(key_id),
            format!(
                "signed by key {key_id}, which is not among the trusted keys: not checked, proves nothing"
            ),
        ),
    };
    if as_json {
        say(json!({
            "file": file.display().to_string(),
            "package_id": package.manifest.package_id,
            "integrity": "ok",
            "signature": signature,
            "key_id": key_id,
        }));
    } else {
        say(format_args!(
            "{}: every file matches its sha256",
            file.display()
        ));
        say(format_args!("signature: {sentence}"));
    }
    Ok(())
}
