//! Running JavaScript connectors: every example against local mock servers, every authorization
//! type, HTTP errors, polls and pick lists, the sandbox under abuse, what a report discloses, and
//! an HTTP client that cannot be pointed anywhere the connector does not declare.

mod abuse;
mod authorization;
mod disclosure;
mod egress;
mod examples;
mod harness;
mod http_errors;
mod open_meteo;
mod polls;
mod redirects;
mod support;
