//! End-to-end tests: every test starts the real server on port 0 over a fresh database and talks
//! HTTP to it, once on SQLite and once on PostgreSQL. Modules mirror the schema's domains.

mod fixtures;

mod asset_names;
mod authz_matrix;
mod bad_input;
mod casbin_adapter;
mod catalog_metrics;
mod catalog_search;
mod concurrency;
mod contract;
mod debugger;
mod jobs;
mod lifecycle;
mod notifications;
mod packages;
mod policy_sync;
mod publish;
mod readiness;
mod request_limits;
mod response_cache;
mod roles;
mod source_rule;
mod statements;
mod worker;
mod workspace_input;
