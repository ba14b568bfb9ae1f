//! Writing a package: assets in, the same archive bytes out every time.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

use crate::canonical::{sha256_hex, to_canonical_bytes};
use crate::model::{
    AssetType, Connection, ConnectorAsset, ConnectorContent, Dependency, FORMAT_VERSION, Manifest,
    ManifestAsset, Package, PackageInput, Recipe,
};
use crate::names::{self, NameProblem};
use crate::signature::PackageSigner;

/// How to build: today only whether to sign.
#[derive(Debug, Default)]
pub struct BuildOptions {
    pub signer: Option<PackageSigner>,
}

/// Why assets cannot become a package. Every variant is the caller's data being wrong, except
/// `Json` and `Zip`, which would be a bug.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A folder, name or slug breaks the naming rules (see `names`).
    #[error("the {what} {value:?} {problem}")]
    BadName {
        what: &'static str,
        value: String,
        problem: NameProblem,
    },
    #[error("{what} {value:?} is not a UUID")]
    BadId { what: &'static str, value: String },
    #[error("created_at {0:?} is not an RFC 3339 timestamp")]
    BadTimestamp(String),
    #[error("asset id {0:?} is used by more than one asset")]
    DuplicateAssetId(String),
    #[error("two assets would be written to {path:?} (paths must differ in more than letter case)")]
    DuplicatePath { path: String },
    #[error("the sha256 given for connector {slug:?} is not the sha256 of its source")]
    SourceHashMismatch { slug: String },
    /// A connector travelling by reference names a catalog version it cannot be.
    #[error("the catalog reference of connector {slug:?} {problem}")]
    BadReference { slug: String, problem: &'static str },
    #[error("could not serialize {path}: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("could not write the archive: {0}")]
    Zip(#[from] zip::result::ZipError),
}

/// One file to write, at its path.
struct PackageFile {
    path: String,
    bytes: Vec<u8>,
}

/// Build the package archive for `input`. Deterministic: the same input and options give the same
/// bytes (entries sorted by path, fixed timestamps and permissions, canonical JSON).
pub fn build(input: &PackageInput, options: &BuildOptions) -> Result<Vec<u8>, BuildError> {
    let (_, files) = assemble_files(input, options)?;
    write_zip(&files)
}

/// The package `build` would write, without writing it: what `read` of the archive returns.
pub fn assemble(input: &PackageInput, options: &BuildOptions) -> Result<Package, BuildError> {
    assemble_files(input, options).map(|(package, _)| package)
}

fn assemble_files(
    input: &PackageInput,
    options: &BuildOptions,
) -> Result<(Package, Vec<PackageFile>), BuildError> {
    check_input(input)?;
    let mut recipes = input.recipes.clone();
    recipes.sort_by_key(|r| names::recipe_path(&r.folder, &r.name));
    let mut connections = input.connections.clone();
    connections.sort_by_key(|c| names::connection_path(&c.folder, &c.name));
    let mut connectors = input.connectors.clone();
    connectors.sort_by_key(|c| names::connector_metadata_path(&c.slug));

    let (assets, mut files) = asset_files(&recipes, &connections, &connectors)?;

    let mut manifest = Manifest {
        format_version: FORMAT_VERSION,
        package_id: input.package_id.clone(),
        created_at: input.created_at.clone(),
        source: input.source.clone(),
        exporter: input.exporter.clone(),
        assets,
        dependencies: dependencies(&recipes, &connections, &connectors),
        signature: None,
    };
    if let Some(signer) = &options.signer {
        manifest.signature = Some(signer.sign(&manifest).map_err(|source| BuildError::Json {
            path: names::MANIFEST_PATH.to_owned(),
            source,
        })?);
    }
    files.push(PackageFile {
        path: names::MANIFEST_PATH.to_owned(),
        bytes: json(names::MANIFEST_PATH, &manifest)?,
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let package = Package {
        manifest,
        recipes,
        connections,
        connectors,
    };
    Ok((package, files))
}

/// Every asset's file and manifest entry, entries in path order.
fn asset_files(
    recipes: &[Recipe],
    connections: &[Connection],
    connectors: &[ConnectorAsset],
) -> Result<(Vec<ManifestAsset>, Vec<PackageFile>), BuildError> {
    let mut files = Vec::new();
    let mut assets = Vec::new();
    let mut add =
        |asset_type, asset_id: &str, name: &str, folder: &str, path: String, bytes: Vec<u8>| {
            assets.push(ManifestAsset {
                asset_type,
                asset_id: asset_id.to_owned(),
                name: name.to_owned(),
                folder: folder.to_owned(),
                path: path.clone(),
                sha256: sha256_hex(&bytes),
                size: bytes.len() as u64,
            });
            files.push(PackageFile { path, bytes });
        };
    for recipe in recipes {
        let path = names::recipe_path(&recipe.folder, &recipe.name);
        let bytes = json(&path, recipe)?;
        add(
            AssetType::Recipe,
            &recipe.asset_id,
            &recipe.name,
            &recipe.folder,
            path,
            bytes,
        );
    }
    for connection in connections {
        let path = names::connection_path(&connection.folder, &connection.name);
        let bytes = json(&path, connection)?;
        let folder = &connection.folder;
        add(
            AssetType::Connection,
            &connection.asset_id,
            &connection.name,
            folder,
            path,
            bytes,
        );
    }
    for connector in connectors {
        let folder = names::connector_folder(&connector.slug);
        let path = names::connector_metadata_path(&connector.slug);
        let bytes = json(&path, &connector.metadata())?;
        add(
            AssetType::Connector,
            &connector.slug,
            &connector.name,
            &folder,
            path,
            bytes,
        );
        // A connector that travels by reference has no source entry at all.
        if let Some(source) = connector.source() {
            add(
                AssetType::ConnectorSource,
                &connector.slug,
                &connector.name,
                &folder,
                names::connector_source_path(&connector.slug),
                source.as_bytes().to_vec(),
            );
        }
    }
    assets.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((assets, files))
}

fn json<T: serde::Serialize>(path: &str, value: &T) -> Result<Vec<u8>, BuildError> {
    to_canonical_bytes(value).map_err(|source| BuildError::Json {
        path: path.to_owned(),
        source,
    })
}

/// Edges between assets inside the package, sorted and without repeats.
fn dependencies(
    recipes: &[Recipe],
    connections: &[Connection],
    connectors: &[ConnectorAsset],
) -> Vec<Dependency> {
    let slugs: BTreeSet<&str> = connectors.iter().map(|c| c.slug.as_str()).collect();
    let connection_ids: BTreeSet<&str> = connections.iter().map(|c| c.asset_id.as_str()).collect();
    let mut edges = BTreeSet::new();
    for recipe in recipes {
        let needs = recipe
            .connector_slugs()
            .into_iter()
            .filter(|s| slugs.contains(s.as_str()));
        let uses = recipe
            .connection_ids()
            .into_iter()
            .filter(|id| connection_ids.contains(id.as_str()));
        for to in needs.chain(uses) {
            edges.insert(Dependency {
                from: recipe.asset_id.clone(),
                to,
            });
        }
    }
    for connection in connections {
        if slugs.contains(connection.connector.as_str()) {
            edges.insert(Dependency {
                from: connection.asset_id.clone(),
                to: connection.connector.clone(),
            });
        }
    }
    edges.into_iter().collect()
}

fn check_input(input: &PackageInput) -> Result<(), BuildError> {
    check_uuid("package id", &input.package_id)?;
    if !crate::time::is_rfc3339(&input.created_at) {
        return Err(BuildError::BadTimestamp(input.created_at.clone()));
    }
    let mut ids = BTreeSet::new();
    let mut paths = BTreeMap::new();
    let mut claim = |id: &str, path: String| -> Result<(), BuildError> {
        if !ids.insert(id.to_owned()) {
            return Err(BuildError::DuplicateAssetId(id.to_owned()));
        }
        if paths.insert(path.to_ascii_lowercase(), ()).is_some() {
            return Err(BuildError::DuplicatePath { path });
        }
        Ok(())
    };
    for recipe in &input.recipes {
        check_uuid("recipe asset id", &recipe.asset_id)?;
        check_folder_and_name(&recipe.folder, &recipe.name)?;
        claim(
            &recipe.asset_id,
            names::recipe_path(&recipe.folder, &recipe.name),
        )?;
    }
    for connection in &input.connections {
        check_uuid("connection asset id", &connection.asset_id)?;
        check_folder_and_name(&connection.folder, &connection.name)?;
        let path = names::connection_path(&connection.folder, &connection.name);
        claim(&connection.asset_id, path)?;
    }
    for connector in &input.connectors {
        names::check_slug(&connector.slug, names::MAX_SLUG_LEN).map_err(|problem| {
            BuildError::BadName {
                what: "connector slug",
                value: connector.slug.clone(),
                problem,
            }
        })?;
        match &connector.content {
            ConnectorContent::Source(source) => {
                if sha256_hex(source.as_bytes()) != connector.sha256 {
                    return Err(BuildError::SourceHashMismatch {
                        slug: connector.slug.clone(),
                    });
                }
            }
            ConnectorContent::Reference(reference) => {
                if let Some(problem) = reference.problem(&connector.slug, &connector.sha256) {
                    return Err(BuildError::BadReference {
                        slug: connector.slug.clone(),
                        problem,
                    });
                }
            }
        }
        claim(
            &connector.slug,
            names::connector_metadata_path(&connector.slug),
        )?;
    }
    Ok(())
}

fn check_folder_and_name(folder: &str, name: &str) -> Result<(), BuildError> {
    names::check_folder(folder).map_err(|problem| BuildError::BadName {
        what: "folder",
        value: folder.to_owned(),
        problem,
    })?;
    names::check_name(name).map_err(|problem| BuildError::BadName {
        what: "name",
        value: name.to_owned(),
        problem,
    })
}

fn check_uuid(what: &'static str, value: &str) -> Result<(), BuildError> {
    // The hyphenated lowercase form only, so one asset has one spelling.
    match uuid::Uuid::try_parse(value) {
        Ok(id) if id.hyphenated().to_string() == value => Ok(()),
        _ => Err(BuildError::BadId {
            what,
            value: value.to_owned(),
        }),
    }
}

fn write_zip(files: &[PackageFile]) -> Result<Vec<u8>, BuildError> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::default())
        .system(System::Unix)
        .unix_permissions(0o644)
        .large_file(false);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for file in files {
        writer.start_file(file.path.as_str(), options)?;
        writer
            .write_all(&file.bytes)
            .map_err(zip::result::ZipError::Io)?;
    }
    Ok(writer.finish()?.into_inner())
}
