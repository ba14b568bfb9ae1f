//! # migration — the schema of Patchbay
//!
//! The only source of truth for tables, indexes and full-text search structures, on SQLite (the
//! embedded default) and PostgreSQL (production). Migrations are named by timestamp and verb and
//! never edited once released; a change to the schema is a new migration.
//!
//! Full-text search differs per backend and is created here too: an FTS5 table `connector_search`
//! on SQLite, a `search_vector` tsvector column with a GIN index on PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_users;
mod m20261125_000002_create_workspaces;
mod m20261125_000003_create_connectors;
mod m20261125_000004_create_install_ledger;
mod m20261125_000005_create_governance;
mod m20261125_000006_create_workspace_connectors;
mod m20261125_000007_create_notifications_and_audit;
mod m20261125_000008_create_recipes_connections_packages;
mod m20261125_000009_add_package_policy;
mod m20261125_000010_create_catalog_summaries;
mod m20261201_000011_create_casbin_policy_versions;
mod m20261201_000012_create_jobs;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_users::Migration),
            Box::new(m20261125_000002_create_workspaces::Migration),
            Box::new(m20261125_000003_create_connectors::Migration),
            Box::new(m20261125_000004_create_install_ledger::Migration),
            Box::new(m20261125_000005_create_governance::Migration),
            Box::new(m20261125_000006_create_workspace_connectors::Migration),
            Box::new(m20261125_000007_create_notifications_and_audit::Migration),
            Box::new(m20261125_000008_create_recipes_connections_packages::Migration),
            Box::new(m20261125_000009_add_package_policy::Migration),
            Box::new(m20261125_000010_create_catalog_summaries::Migration),
            Box::new(m20261201_000011_create_casbin_policy_versions::Migration),
            Box::new(m20261201_000012_create_jobs::Migration),
        ]
    }
}
