//! # api — Patchbay's transport
//!
//! The GraphQL schema by domain (`graphql`), the poem routes (`http`, `ws`, `web`), the server's
//! life (`server`), the runtime GraphQL work runs on (`work`), the anonymous response cache
//! (`response_cache`), and the `patchbay` binary, whose package and connector commands are the
//! `cli` crate's.
//!
//! Data flows one way: HTTP (`http`) → GraphQL resolver (`graphql`, thin) → the `service`
//! crate (authorizes through `service::authz`, then acts in a transaction) → `entities`.
//!
//! Where things are:
//! - a query is resolved: `graphql::query`, `graphql::catalog`; mutations: `graphql::mutation`
//! - an error becomes a GraphQL error: `graphql::errors`
//! - the domain: `service` (re-exported below under its module names while resolvers move
//!   behind it)

pub mod graphql;
pub mod http;
pub mod response_cache;
pub mod server;
pub mod state;
pub mod web;
pub mod work;
pub mod ws;

pub use service::{
    audit, auth, authz, catalog, config, db, debugger, domain, jobs, lifecycle, packages, recipes,
    seed, telemetry, workspaces,
};

/// The domain's error table, and its GraphQL form.
pub mod error {
    pub use crate::graphql::errors::{IntoGraphql, graphql_error};
    pub use service::error::*;
}
