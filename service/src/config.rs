//! Configuration: defaults, then a TOML file, then `PATCHBAY_*` environment variables, then
//! command-line flags — each layer overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// Everything the server needs to run. `Config::default()` is the embedded, zero-configuration
/// setup: SQLite under `./data`, GraphiQL on, listening on localhost.
/// Not `Debug` by derive: `database_url` may hold a password, which the manual `Debug` below
/// shows as `***`.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Where the SQLite database lives when no `database_url` is given.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; defaults to `<data_dir>/patchbay.db`.
    pub database_url: Option<String>,
    /// Serve GraphiQL at `/graphiql`.
    pub graphiql: bool,
    /// Answer introspection queries.
    pub introspection: bool,
    /// `json` (default) or `pretty`.
    pub log_format: LogFormat,
    pub limits: RequestLimits,
    /// Where connector code may send requests when it runs in the debugger.
    pub sandbox: SandboxConfig,
    /// Connections the server keeps to the database at most (default: 8 for SQLite, 32 for
    /// PostgreSQL; SQLite writes one at a time whatever the pool).
    pub database_pool_size: Option<u32>,
    /// Caching of public (anonymous) responses.
    pub cache: CacheConfig,
    /// Running recipes: how often triggers are polled, leases, retries.
    pub jobs: JobsConfig,
    /// A text search with more matches ranks only this many, the most installed (see
    /// `catalog::search`).
    pub search_rank_candidates: u64,
    /// Test hook, settable from code only: make package imports fail after this many assets,
    /// to prove an interrupted import leaves the workspace exactly as it was.
    #[serde(skip)]
    pub fail_import_after_assets: Option<usize>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(crate::db::redact_url),
            )
            .field("graphiql", &self.graphiql)
            .field("introspection", &self.introspection)
            .field("log_format", &self.log_format)
            .field("limits", &self.limits)
            .field("sandbox", &self.sandbox)
            .field("database_pool_size", &self.database_pool_size)
            .field("cache", &self.cache)
            .field("jobs", &self.jobs)
            .field("search_rank_candidates", &self.search_rank_candidates)
            .field("fail_import_after_assets", &self.fail_import_after_assets)
            .finish()
    }
}

/// Settings of the connector sandbox's network access.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Let connectors reach loopback, private and link-local addresses. Off in production; a
    /// development server whose connectors call local services turns it on.
    pub allow_private_networks: bool,
    /// Send requests for these declared hosts to these addresses instead (plain HTTP), e.g.
    /// `{ "api.example.com" = "127.0.0.1:9000" }`: for trying connectors against local mocks.
    pub host_overrides: std::collections::HashMap<String, std::net::SocketAddr>,
    /// How many connector runs and parses may execute at once; more wait their turn.
    pub max_concurrent_runs: Option<usize>,
    /// The program every run and parse executes in, one process each; by default this binary
    /// itself (`patchbay worker`). A given program is started with the limit arguments only.
    pub worker_program: Option<PathBuf>,
    /// Virtual memory a worker process may map, in MiB (default 1024).
    pub worker_address_space_mib: Option<u64>,
    /// How many steps below the server's scheduling priority workers run (`nice`; default 10,
    /// 0 for the server's own, at most 19), so that connectors busy on every core leave the
    /// server's threads their turn.
    pub worker_niceness: Option<u64>,
    /// Wall-clock budget of one run, requests included, in milliseconds (default 5000).
    pub run_deadline_ms: Option<u64>,
    /// How long past its deadline a worker is killed, in milliseconds (default 2000).
    pub kill_grace_ms: Option<u64>,
}

/// How long the answers to anonymous queries may be reused (see `response_cache`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// How long an anonymous query's response is reused, in milliseconds; 0 switches the cache
    /// off. Writes through this server are seen at once; writes through another process after
    /// at most this long.
    pub anonymous_ttl_ms: u64,
    /// Memory the cache may hold, in bytes.
    pub max_bytes: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            anonymous_ttl_ms: 1_000,
            max_bytes: 32 * 1024 * 1024,
        }
    }
}

/// How running recipes are run (see `jobs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Poll triggers and run jobs in this process. Several processes on one PostgreSQL database
    /// share the work; one that only answers requests turns it off.
    pub enabled: bool,
    /// How often a running recipe's trigger is polled when its definition does not say
    /// (`trigger.interval_seconds`), in milliseconds.
    pub poll_interval_ms: u64,
    /// The shortest interval a recipe may ask for, in milliseconds.
    pub min_poll_interval_ms: u64,
    /// How often this process looks for due triggers and queued jobs, in milliseconds.
    pub tick_ms: u64,
    /// How long a claimed poll or job is this process's before another may take it over, in
    /// milliseconds; a running job renews it after every step.
    pub lease_ms: u64,
    /// How many jobs this process runs at once.
    pub concurrent_jobs: usize,
    /// How many times a step is tried when the upstream fails in a way that may pass (a network
    /// error, HTTP 429 or 5xx).
    pub step_attempts: u32,
    /// The wait before the first retry, in milliseconds; it doubles with each further one.
    pub retry_backoff_ms: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_interval_ms: 60_000,
            min_poll_interval_ms: 5_000,
            tick_ms: 500,
            lease_ms: 30_000,
            concurrent_jobs: 4,
            step_attempts: 3,
            retry_backoff_ms: 1_000,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Bounds on what one request may ask of the server. They are checked before any resolver runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestLimits {
    /// A request body (JSON) at most this large; uploads have the packager's own limit.
    pub max_body_bytes: usize,
    /// The GraphQL document (the `query` text) at most this large, far below the body limit:
    /// the parser never sees more (see `graphql::limits`).
    pub max_query_bytes: usize,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_batch: usize,
    pub max_page_size: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            max_query_bytes: 64 * 1024,
            max_depth: 12,
            max_complexity: 5_000,
            max_aliases: 30,
            max_batch: 10,
            max_page_size: 100,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            graphiql: true,
            introspection: true,
            log_format: LogFormat::Json,
            limits: RequestLimits::default(),
            sandbox: SandboxConfig::default(),
            database_pool_size: None,
            cache: CacheConfig::default(),
            jobs: JobsConfig::default(),
            search_rank_candidates: crate::catalog::search::RANK_CANDIDATES,
            fail_import_after_assets: None,
        }
    }
}

impl Config {
    /// Defaults, overlaid by `file` (if given) and then by the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|key| std::env::var(key).ok())?;
        Ok(config)
    }

    /// The last layer, command-line flags: a data directory and a database URL, where given.
    pub fn override_database(&mut self, data_dir: Option<&Path>, database_url: Option<&str>) {
        if let Some(dir) = data_dir {
            self.data_dir = dir.to_path_buf();
        }
        if let Some(url) = database_url {
            self.database_url = Some(url.to_owned());
        }
    }

    /// Overlay `PATCHBAY_*` variables (and the conventional `DATABASE_URL`).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = var("PATCHBAY_BIND") {
            self.bind = v.parse().with_context(|| format!("PATCHBAY_BIND={v}"))?;
        }
        if let Some(v) = var("PATCHBAY_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = var("PATCHBAY_DATABASE_URL").or_else(|| var("DATABASE_URL")) {
            self.database_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = var("PATCHBAY_DATABASE_POOL_SIZE") {
            self.database_pool_size = Some(
                v.parse()
                    .with_context(|| format!("PATCHBAY_DATABASE_POOL_SIZE={v}"))?,
            );
        }
        if let Some(v) = var("PATCHBAY_CACHE_ANONYMOUS_TTL_MS") {
            self.cache.anonymous_ttl_ms = v
                .parse()
                .with_context(|| format!("PATCHBAY_CACHE_ANONYMOUS_TTL_MS={v}"))?;
        }
        if let Some(v) = var("PATCHBAY_JOBS_ENABLED") {
            self.jobs.enabled = parse_bool("PATCHBAY_JOBS_ENABLED", &v)?;
        }
        if let Some(v) = var("PATCHBAY_GRAPHIQL") {
            self.graphiql = parse_bool("PATCHBAY_GRAPHIQL", &v)?;
        }
        if let Some(v) = var("PATCHBAY_INTROSPECTION") {
            self.introspection = parse_bool("PATCHBAY_INTROSPECTION", &v)?;
        }
        if let Some(v) = var("PATCHBAY_SANDBOX_ALLOW_PRIVATE_NETWORKS") {
            self.sandbox.allow_private_networks =
                parse_bool("PATCHBAY_SANDBOX_ALLOW_PRIVATE_NETWORKS", &v)?;
        }
        if let Some(v) = var("PATCHBAY_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "json" => LogFormat::Json,
                "pretty" => LogFormat::Pretty,
                other => anyhow::bail!("PATCHBAY_LOG_FORMAT must be json or pretty, not {other}"),
            };
        }
        Ok(())
    }

    /// The database to connect to: the configured URL, or the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("patchbay.db").display()
            ),
        }
    }
}

fn parse_bool(name: &str, value: &str) -> anyhow::Result<bool> {
    match value {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => anyhow::bail!("{name} must be true or false, not {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_values() -> anyhow::Result<()> {
        let mut config: Config = toml::from_str("bind = \"0.0.0.0:9000\"\ngraphiql = false")?;
        assert_eq!(config.bind.port(), 9000);
        config.apply_env(|k| match k {
            "PATCHBAY_BIND" => Some("127.0.0.1:7000".into()),
            "DATABASE_URL" => Some("postgres://db/x".into()),
            _ => None,
        })?;
        assert_eq!(config.bind.port(), 7000);
        assert!(!config.graphiql);
        assert_eq!(config.database_url(), "postgres://db/x");
        Ok(())
    }

    #[test]
    fn flags_override_the_environment_and_absent_flags_keep_it() {
        let mut config = Config {
            database_url: Some("postgres://db/from-env".into()),
            ..Config::default()
        };
        config.override_database(None, None);
        assert_eq!(config.database_url(), "postgres://db/from-env");
        config.override_database(Some(Path::new("/srv/pb")), None);
        assert_eq!(config.data_dir, PathBuf::from("/srv/pb"));
        assert_eq!(config.database_url(), "postgres://db/from-env");
        config.override_database(None, Some("sqlite://x.db"));
        assert_eq!(config.database_url(), "sqlite://x.db");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(toml::from_str::<Config>("bnd = \"x\"").is_err());
        let mut config = Config::default();
        assert!(
            config
                .apply_env(|k| (k == "PATCHBAY_GRAPHIQL").then(|| "maybe".into()))
                .is_err()
        );
    }
}
