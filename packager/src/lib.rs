//! # packager — the Patchbay package format
//!
//! This crate will own package format v1 (see `DESIGN.md`, "Recipes, connections, packages"):
//! building a deterministic zip archive from in-memory assets (recipes, connections, connector
//! sources with their metadata), reading an archive back under hard limits (size, entry count,
//! compression ratio, path rules), verifying every file's sha256 and an optional Ed25519 signature
//! over the manifest, and planning an import against an in-memory view of a target workspace.
//!
//! It must not know about the database, GraphQL or HTTP: the `api` crate's services hand it assets
//! and a view of the workspace, and act on the plan it returns.
//!
//! Nothing is implemented yet; the package format arrives with the packaging issue.
