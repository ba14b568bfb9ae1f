//! # api — the Patchbay service
//!
//! Configuration, authentication, authorization, the domain services over the entities, the
//! GraphQL schema by domain, the poem routes, and the `patchbay` binary's commands.
//!
//! Data flows one way: HTTP (`http`) → GraphQL resolver (`graphql`, thin) → service
//! (`catalog`, `auth`: authorizes through `authz`, then acts in a transaction) → `entities`.
//! The `sdk` crate validates connector source; it knows nothing of the database.
//!
//! Where things are:
//! - a permission is checked: `authz`
//! - a query is resolved: `graphql::query`, `graphql::catalog`; mutations: `graphql::mutation`
//! - search SQL: `catalog::search`; install metrics: `catalog::ledger` (writes), `catalog::stats` (reads)
//! - error codes: `error::ErrorCode`, the one table

pub mod audit;
pub mod auth;
pub mod authz;
pub mod catalog;
pub mod cli_package;
pub mod config;
pub mod db;
pub mod debugger;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod lifecycle;
pub mod packages;
pub mod recipes;
pub mod response_cache;
pub mod seed;
pub mod seed_scale;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod work;
pub mod workspaces;
pub mod ws;
