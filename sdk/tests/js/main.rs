//! JavaScript connectors: the same definitions and runs as Rhai ones, and the QuickJS sandbox
//! under abuse. Runs against the local mock servers of the run tests.

#[path = "../run/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../run/support.rs"]
#[allow(dead_code)]
mod support;

mod abuse;
mod authorization;
mod disclosure;
mod egress;
mod http_errors;
mod open_meteo;
mod parse;
mod polls;

use std::path::Path;

/// A JavaScript fixture from `tests/fixtures`.
fn fixture_source(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).expect("fixture")
}
