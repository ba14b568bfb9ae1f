//! Parsing a connector: source in, [`Capabilities`] or a positioned [`ParseError`] out.

use crate::{Capabilities, Limits, ParseError};

/// Parses and validates a connector's source under the default [`Limits`].
pub fn parse(source: &str) -> Result<Capabilities, ParseError> {
    parse_with(source, &Limits::default())
}

/// Parses and validates a connector's source under `limits`.
///
/// Runs synchronously and returns within about `limits.deadline` whatever the source does —
/// except for the few operations QuickJS's interrupt handler cannot stop, which is why the server
/// parses in a worker process it kills at the deadline. Call it from a blocking-friendly thread.
/// Only the module's top level runs; no function of the definition is called.
pub fn parse_with(source: &str, limits: &Limits) -> Result<Capabilities, ParseError> {
    if source.len() > limits.max_source_bytes {
        return Err(ParseError::SourceTooLarge {
            size: source.len(),
            limit: limits.max_source_bytes,
        });
    }
    crate::js::parse(source, limits)
}
