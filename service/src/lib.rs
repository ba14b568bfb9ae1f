//! # service — the Patchbay domain
//!
//! What the product does, over the entities: the community catalog (`catalog`), workspaces and
//! their members (`workspaces`), a copy's life from install to release (`lifecycle`), recipes
//! (`recipes`), packages (`packages`), the debugger console (`debugger`), who may do what
//! (`authz`, decided by casbin), the audit log (`audit`), accounts and tokens (`auth`), the one
//! table of error codes (`error`), and the configuration, database and counters a process runs
//! with (`config`, `db`, `telemetry`).
//!
//! It knows nothing of GraphQL or HTTP: the `api` crate is its transport. Every action
//! authorizes through `authz`, then acts in one transaction. Connector source is validated and
//! run by the `sdk` crate, in worker processes; archives are read and written by `packager`.
//!
//! One handle, [`Service`], holds what every action needs (the database, the configuration,
//! the authorizer, the runner, the counters); build it with [`Service::connect`].

pub mod audit;
pub mod auth;
pub mod authz;
pub mod catalog;
pub mod config;
pub mod db;
pub mod debugger;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod lifecycle;
pub mod model;
pub mod packages;
pub mod recipes;
pub mod seed;
pub mod telemetry;
pub mod workspaces;

use std::sync::Arc;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::telemetry::Metrics;

/// What every action can reach: the database, the configuration, the authorizer, the runner
/// and the counters. Shared, cheap to clone.
#[derive(Clone)]
pub struct Service {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Woken after a change that subscribers may want to see (new notices).
    pub events: Arc<tokio::sync::Notify>,
    /// Runs connector code for the debugger console and parses submitted sources.
    pub runner: debugger::Runner,
    /// The last readiness probe (`/readyz`).
    pub readiness: Arc<db::Readiness>,
    /// The process's casbin enforcers: every workspace permission decision.
    pub authz: Arc<authz::Authorizer>,
}

impl Service {
    /// Connect to the database (applying migrations) and assemble the handle.
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::default());
        let db = db::connect(
            &config.database_url(),
            config.database_pool_size,
            metrics.clone(),
        )
        .await?;
        let runner = debugger::Runner::new(&config.sandbox);
        let authz = authz::Authorizer::new()
            .await
            .context("loading the authorization policy")?;
        Ok(Self {
            authz: Arc::new(authz),
            db,
            runner,
            readiness: Arc::default(),
            config: Arc::new(config),
            metrics,
            events: Arc::new(tokio::sync::Notify::new()),
        })
    }
}
