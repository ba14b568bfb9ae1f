//! What the workspace's tests share, and nothing of the server's own types.
//!
//! - [`Mock`]: the one mock upstream, a real HTTP server on 127.0.0.1, port 0, that a test starts
//!   in place of the API a connector talks to: canned [`Reply`]s per method, host and path (JSON
//!   with a status, an echo of the request, a redirect, a stall, bodies too long to read), every
//!   request [`Recorded`]. [`Tripwire`]: a listener that only counts connections.
//! - [`examples`]: where the example connectors and their run fixtures are.
//! - [`tickets`]: a ticket API for a [`Mock`] and the connector for it (running recipes).
//! - [`spellings`]: the ways a secret can come back from an API, for redaction tests.
//! - [`TempDir`]: a scratch directory removed with the value.
//! - With the feature `client`: [`Endpoint`] (a running server's base URL and the requests the
//!   tests make of it) and [`WsClient`] (graphql-ws).
//! - With the feature `database`: [`TestDatabase`], a fresh SQLite or PostgreSQL database per
//!   test, migrated (cloned from a template migrated once) or empty.
//!
//! It must not depend on `api`: the `sdk` crate's tests use it, and `api` depends on `sdk`.
//! Starting a server is the end-to-end harness's business (`tests`), not this crate's.

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "database")]
mod database;
pub mod examples;
mod mock;
mod reply;
mod secrets;
mod temp;
pub mod tickets;
mod tripwire;
#[cfg(feature = "client")]
mod ws;

#[cfg(feature = "client")]
pub use client::Endpoint;
#[cfg(feature = "database")]
pub use database::{Backend, TestDatabase, postgres_base_url};
pub use mock::{Mock, Recorded};
pub use reply::Reply;
pub use secrets::spellings;
pub use temp::TempDir;
pub use tripwire::Tripwire;
#[cfg(feature = "client")]
pub use ws::WsClient;
