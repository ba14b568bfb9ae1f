//! What every request can reach: the database, the configuration and the counters.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::telemetry::Metrics;

/// Shared, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Woken after a change that subscribers may want to see (new notices).
    pub events: Arc<tokio::sync::Notify>,
    /// Runs connector code for the debugger console.
    pub runner: crate::debugger::Runner,
    /// The last readiness probe (`/readyz`).
    pub readiness: Arc<crate::db::Readiness>,
    /// Recent answers to anonymous queries.
    pub responses: Arc<crate::response_cache::ResponseCache>,
    /// The process's casbin enforcer: every workspace permission decision.
    pub authz: Arc<crate::authz::Authorizer>,
}
