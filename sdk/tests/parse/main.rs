//! Parsing JavaScript connectors: what valid ones declare, and how bad ones are refused.

mod definitions;
mod invalid;
mod sandbox;
mod source;

use std::time::{Duration, Instant};

use sdk::{Field, ParseError, Position, parse};

/// A field as declared by `{ name: "..." }` alone.
fn field(name: &str) -> Field {
    Field {
        name: name.into(),
        label: name.into(),
        field_type: "string".into(),
        optional: false,
        control_type: None,
        hint: None,
        secret: false,
        pick_list: None,
        properties: Vec::new(),
    }
}

/// The error `source` is refused with under the default limits, which must come within 5 s.
fn refused(source: &str) -> ParseError {
    let started = Instant::now();
    let outcome = parse(source);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    match outcome {
        Ok(capabilities) => panic!("expected an error, parsed {capabilities:?}"),
        Err(error) => error,
    }
}

fn at(line: usize, column: usize) -> Option<Position> {
    Some(Position { line, column })
}
