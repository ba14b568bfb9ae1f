//! # packager — the Patchbay package format
//!
//! Owns package format v1 (see `DESIGN.md`, "Recipes, connections, packages", and
//! `docs/package-format.md`, the reference for everything below):
//!
//! - [`build`]: in-memory assets ([`PackageInput`]) to a deterministic zip archive — same input,
//!   same bytes — optionally signed with Ed25519 ([`BuildOptions`], [`PackageSigner`]);
//! - [`read`]: archive bytes to a checked [`Package`] under hard [`Limits`], rejecting the whole
//!   archive on the first violation with a [`ReadError`] that has a stable [`ReadError::code`] and
//!   the offending [`ReadError::path`];
//! - [`verify`]: the manifest signature against the keys a workspace trusts;
//! - [`plan`]: what importing a package would do to a workspace, given a [`TargetView`] of it, with
//!   a [`Plan::fingerprint`] so that applying can refuse when the target changed since the dry run.
//!
//! A closed-source connector never travels as source: its [`ConnectorContent::Reference`] names a
//! published catalog version by listing, version and sha256, and the importing server resolves it
//! from its own catalog (the [`TargetView::catalog`] the caller fills in, checked by `plan`).
//!
//! It knows nothing of the database, GraphQL or HTTP, and never touches the file system: the `api`
//! crate's services hand it assets and a view of the workspace, and act on the plan it returns.
//! The caller leaves secret connection fields out of [`Connection::fields`]; they never enter a
//! package.
//!
//! The feature `testing` adds `testing`: raw zip tools that make hostile archives in code, for this
//! crate's tests and the end-to-end tests. Nothing in production enables it.

mod archive;
mod build;
pub mod canonical;
mod error;
mod limits;
mod model;
pub mod names;
mod plan;
mod read;
mod signature;
#[cfg(feature = "testing")]
pub mod testing;
mod time;

pub use build::{BuildError, BuildOptions, assemble, build};
pub use error::ReadError;
pub use limits::Limits;
pub use model::{
    AssetType, CatalogReference, Connection, ConnectorAsset, ConnectorContent, ConnectorParent,
    Dependency, FORMAT_VERSION, Manifest, ManifestAsset, Package, PackageInput, PackageSource,
    Recipe, RecipeState, Signature,
};
pub use plan::{
    Action, ConnectionPlan, ConnectorPlan, Credentials, DependencyKind, MissingDependency, Plan,
    Reason, RecipePlan, Restart, TargetConnection, TargetConnector, TargetRecipe, TargetView,
    definition_sha256, fields_sha256, plan,
};
pub use read::read;
pub use signature::{PackageSigner, Verification, key_id, verify};

/// Re-exported so callers name keys with the same types this crate verifies with.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
