//! # bench — Patchbay's benchmark tooling, not the product
//!
//! What the benchmarks need and the server must not ship: the scale-catalog generator
//! ([`seed`], the `patchbay-bench seed --scale N` binary) and, as examples, the authorization
//! and worker-process benchmarks (`examples/authz.rs`, `examples/worker.rs`). The harness beside
//! it (`bench/run`, `bench/harness.py`, `bench/lua/`) builds the release `patchbay` server and this
//! binary, seeds with this one and loads the server; see BENCHMARKS.md.
//!
//! It writes the product's tables directly, in bulk, for speed, and so depends on the `service`
//! crate for the domain's own writes (the benchmark fixtures), on `sdk` to read the example
//! connectors, and on `sea-orm` for raw SQL. Nothing in the product depends on it.

pub mod seed;
