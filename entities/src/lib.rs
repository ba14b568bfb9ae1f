//! # entities — one file per table
//!
//! The sea-orm entities of Patchbay. The schema itself is owned by the `migration` crate; these
//! structs mirror it. This crate knows nothing of GraphQL, HTTP or authorization: it is the
//! vocabulary the `api` crate's services use to read and write rows.

pub mod api_token;
pub mod audit_event;
pub mod author_total;
pub mod casbin_policy_version;
pub mod casbin_rule;
pub mod catalog_count;
pub mod connection;
pub mod connector;
pub mod connector_install_day;
pub mod connector_owner;
pub mod connector_version;
pub mod install_event;
pub mod job;
pub mod job_step;
pub mod notification;
pub mod package;
pub mod recipe;
pub mod recipe_connector;
pub mod recipe_trigger;
pub mod role;
pub mod user;
pub mod workspace;
pub mod workspace_connector;
pub mod workspace_connector_version;
