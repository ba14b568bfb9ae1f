//! Running connectors: every example against local mock servers, the sandbox under abuse, and an
//! HTTP client that cannot be pointed anywhere the connector does not declare.

mod abuse;
mod disclosure;
mod egress;
mod examples;
mod harness;
mod support;
