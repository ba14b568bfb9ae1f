//! Parsing connector sources: what valid ones declare, and how bad ones are refused.

mod definitions;
mod invalid;
mod sandbox;
mod source;

use sdk::{Field, ParseError, Position, parse};

/// A field as declared by `#{ name: "..." }` alone.
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

fn refused(source: &str) -> ParseError {
    match parse(source) {
        Ok(capabilities) => panic!("expected an error, parsed {capabilities:?}"),
        Err(error) => error,
    }
}

fn at(line: usize, column: usize) -> Option<Position> {
    Some(Position { line, column })
}
