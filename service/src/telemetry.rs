//! Logging set-up and the Prometheus counters served at `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::LogFormat;

/// Install the global tracing subscriber: JSON lines (or pretty text) filtered by `RUST_LOG`.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests start many servers in one process) is harmless.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Process counters, one set per running server. Cheap atomics: the hot paths only add.
#[derive(Debug, Default)]
pub struct Metrics {
    pub http_requests: AtomicU64,
    pub http_server_errors: AtomicU64,
    pub graphql_requests: AtomicU64,
    pub graphql_errors: AtomicU64,
    pub db_statements: AtomicU64,
    pub db_statement_failures: AtomicU64,
    pub db_statement_micros: AtomicU64,
    pub response_cache_hits: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        counter(
            "patchbay_http_requests_total",
            "HTTP requests served.",
            get(&self.http_requests),
        );
        counter(
            "patchbay_http_server_errors_total",
            "HTTP responses with a 5xx status.",
            get(&self.http_server_errors),
        );
        counter(
            "patchbay_graphql_requests_total",
            "GraphQL operations answered (executed or from the response cache).",
            get(&self.graphql_requests),
        );
        counter(
            "patchbay_response_cache_hits_total",
            "Anonymous queries answered from the response cache.",
            get(&self.response_cache_hits),
        );
        counter(
            "patchbay_graphql_errors_total",
            "GraphQL operations that returned errors.",
            get(&self.graphql_errors),
        );
        counter(
            "patchbay_db_statements_total",
            "SQL statements sent to the database.",
            get(&self.db_statements),
        );
        counter(
            "patchbay_db_statement_failures_total",
            "SQL statements that failed.",
            get(&self.db_statement_failures),
        );
        let _ = writeln!(
            out,
            "# HELP patchbay_db_statement_seconds_total Time spent in SQL statements.\n\
             # TYPE patchbay_db_statement_seconds_total counter\n\
             patchbay_db_statement_seconds_total {:.6}",
            get(&self.db_statement_micros) as f64 / 1e6
        );
        out
    }
}
