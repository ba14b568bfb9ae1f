//! # sdk — the Patchbay connector SDK
//!
//! A connector is one JavaScript module (`connector.js`) whose `export default` is an object
//! describing it: its title, the connection fields a user fills in, its actions and triggers with
//! their input and output fields, helper methods, pick lists and the hosts it may call (the format
//! is in this crate's `README.md`, the types in `patchbay-connector.d.ts`).
//!
//! This crate owns turning such a source into a validated definition, [`Capabilities`], inside a
//! sandbox: [`parse`] and [`parse_with`] evaluate the module's top level on QuickJS (the
//! `rquickjs` crate) with a memory cap, a stack cap and a deadline, no `eval`, no `Function`, no
//! modules and no globals but the SDK's — then check the definition's shape. Every failure is a
//! [`ParseError`] with a stable code and, where one is known, a line and column. [`run`] runs a
//! connector's connection test, an action, a trigger's poll or a pick list in the same sandbox,
//! with an HTTP client limited to the hosts the connector declares, and returns a [`RunReport`]:
//! the output or a typed [`RunError`], the logs and a redacted trace of every request.
//! [`worker`] does both in a separate, OS-limited process that the server kills at the deadline
//! plus a grace: the server's way of calling them. [`diff`] compares two versions (their source
//! and their capabilities) and merges three.
//!
//! It must not know about the database, GraphQL or HTTP serving: the `service` crate hands it
//! source text and stores what it returns.

mod capabilities;
pub mod diff;
mod error;
mod js;
mod limits;
mod parse;
mod path;
mod run;
mod validate;
pub mod worker;

pub use capabilities::{
    AUTHORIZATION_TYPES, Capabilities, ConnectionSpec, FIELD_TYPES, Field, Operation,
};
pub use error::{ParseError, Position};
pub use js::{JS_MEMORY_LIMIT_BYTES, JS_STACK_LIMIT_BYTES};
pub use limits::Limits;
pub use parse::{parse, parse_with};
pub use run::{
    Invocation, MIN_ANYWHERE_CHARS, REDACTED, ReportLimits, RunError, RunReport, RuntimeConfig,
    TraceEntry, Truncation, run, run_with_secrets,
};

/// The TypeScript declarations of the JavaScript form (`patchbay-connector.d.ts`), for authors'
/// editors; `patchbay connector init` writes it beside a new connector.
pub const TYPESCRIPT_DECLARATIONS: &str = include_str!("../patchbay-connector.d.ts");

/// A starter connector in JavaScript; `__TITLE__` stands for its title.
pub const STARTER_CONNECTOR: &str = include_str!("../templates/connector.js");

/// The starter connector with `title` filled in (quoted as a JavaScript string).
pub fn starter_connector(title: &str) -> String {
    let quoted = serde_json::to_string(title).unwrap_or_else(|_| "\"Connector\"".to_owned());
    STARTER_CONNECTOR.replace("\"__TITLE__\"", &quoted)
}

#[cfg(test)]
mod starter_tests {
    #[test]
    fn the_starter_connector_parses() {
        let source = super::starter_connector("My \"API\"");
        let caps = super::parse(&source).map_err(|e| e.to_string());
        let caps = caps.unwrap_or_else(|e| panic!("the starter does not parse: {e}"));
        assert_eq!(caps.title, "My \"API\"");
        assert!(
            caps.actions.iter().any(|a| a.name == "get_item"),
            "{caps:?}"
        );
        assert!(
            caps.triggers.iter().any(|t| t.name == "new_item"),
            "{caps:?}"
        );
    }
}
