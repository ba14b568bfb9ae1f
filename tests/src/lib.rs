//! The end-to-end test harness: start the real server on port 0 over a fresh database (an SQLite
//! file in a temporary directory, or a new PostgreSQL database), and talk HTTP to it.

use std::ops::Deref;

use anyhow::Context;
use api::config::Config;
use api::server::{self, RunningServer};
use sea_orm::DatabaseConnection;
use serde_json::Value;
pub use testkit::{Endpoint, TempDir, WsClient};

pub use testkit::{Backend, TestDatabase, postgres_base_url};

/// Start a server on port 0 over the database at `url`, with the test worker and `tweak`'s
/// changes to the configuration; returns a client of it and the server.
async fn start_server(
    url: &str,
    tweak: impl FnOnce(&mut Config),
) -> anyhow::Result<(Endpoint, RunningServer)> {
    let mut config = Config {
        bind: "127.0.0.1:0".parse()?,
        database_url: Some(url.to_owned()),
        // Eight tests run at once (.config/nextest.toml), some with a second server: at the
        // production default of 32 connections each they could exhaust PostgreSQL's 100.
        database_pool_size: Some(8),
        ..Config::default()
    };
    config.sandbox.worker_program = Some(worker_program(WORKER)?);
    // Recipes run only where a test asks for it (`config.jobs.enabled = true`): elsewhere a
    // recipe a test starts would poll and write jobs behind the test's back.
    config.jobs.enabled = false;
    tweak(&mut config);
    let state = server::prepare(config).await?;
    let server = server::start(state).await?;
    Ok((Endpoint::new(format!("http://{}", server.addr)), server))
}

/// Stop `server`, unless it was stopped already.
async fn stop_server(server: Option<RunningServer>) -> anyhow::Result<()> {
    if let Some(server) = server {
        server.stop().await?;
    }
    Ok(())
}

/// A running server over a fresh database, and a client of it: the requests to it
/// ([`Endpoint::data`], [`Endpoint::ws`], …) are its [`Endpoint`]'s, through `Deref`.
pub struct TestApp {
    pub backend: Backend,
    pub endpoint: Endpoint,
    pub server: Option<RunningServer>,
    pub db: TestDatabase,
}

impl Deref for TestApp {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl TestApp {
    /// Start a server on port 0 over a fresh database of `backend`.
    pub async fn spawn(backend: Backend) -> anyhow::Result<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// As `spawn`, with a chance to change the configuration first.
    pub async fn spawn_with(
        backend: Backend,
        tweak: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Self> {
        let db = TestDatabase::create(backend).await?;
        let (endpoint, server) = start_server(&db.url, tweak).await?;
        Ok(Self {
            backend,
            endpoint,
            server: Some(server),
            db,
        })
    }

    /// The server's database connection (for arranging data through the services).
    pub fn conn(&self) -> anyhow::Result<&DatabaseConnection> {
        self.server
            .as_ref()
            .map(|s| &s.state.db)
            .context("server stopped")
    }

    /// The server's runner (for publishing through the services: a publish parses its source).
    pub fn runner(&self) -> anyhow::Result<&api::debugger::Runner> {
        self.server
            .as_ref()
            .map(|s| &s.state.runner)
            .context("server stopped")
    }

    /// Create a user and a token for them; returns the token.
    pub async fn user_with_token(&self, handle: &str) -> anyhow::Result<String> {
        let db = self.conn()?;
        let user = api::auth::create_user(
            db,
            handle,
            &format!("{handle} display"),
            &format!("{handle}@example.test"),
            chrono::Utc::now(),
        )
        .await
        .map_err(|e| e.into_anyhow())?;
        let (_, secret) = api::auth::create_token(db, &user, "test", None)
            .await
            .map_err(|e| e.into_anyhow())?;
        Ok(secret.reveal().to_owned())
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        stop_server(self.server.take()).await
    }
}

/// The connector worker the test servers start (`src/bin/patchbay-worker.rs`): the real
/// worker's code, since a test binary has no `patchbay worker` subcommand.
pub const WORKER: &str = "patchbay-worker";

/// A worker that misbehaves on request (`src/bin/fake-worker.rs`).
pub const FAKE_WORKER: &str = "fake-worker";

/// The path of this crate's binary `name`. Cargo builds a package's binaries next to the
/// directory of its test binaries (`target/<profile>/deps/..`), and tells only the test
/// targets themselves where (`CARGO_BIN_EXE_*`), not this library.
pub fn worker_program(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let test_binary = std::env::current_exe()?;
    let program = test_binary
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join(name))
        .context("the test binary has no target directory")?;
    anyhow::ensure!(
        program.is_file(),
        "{} is missing: build the tests crate's binaries (cargo build -p tests --bins)",
        program.display()
    );
    Ok(program)
}

/// The scheduling niceness of process `pid` (`"self"` for this one): field 19 of
/// `/proc/PID/stat`, counted after the command name, which may itself hold spaces.
pub fn niceness_of(pid: &str) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    // After the name: state (field 3) … nice (field 19).
    after_name.split_whitespace().nth(16)?.parse().ok()
}

/// The `code` extension of the first GraphQL error in `body`.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Run one async test body on both databases: `both_backends!(name, |app| async { ... })`
/// expands to `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                $body($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                $body($crate::Backend::Postgres).await
            }
        }
    };
}

impl TestApp {
    /// Start a second server over this app's database (the same PostgreSQL database, or the same
    /// SQLite file): as far as the service can tell another process, with its own connection
    /// pool, its own in-process wake-ups and its own counters.
    pub async fn spawn_second(&self) -> anyhow::Result<SecondServer> {
        self.spawn_second_with(|_| {}).await
    }

    /// As `spawn_second`, with a chance to change the configuration first.
    pub async fn spawn_second_with(
        &self,
        tweak: impl FnOnce(&mut Config),
    ) -> anyhow::Result<SecondServer> {
        let (endpoint, server) = start_server(&self.db.url, tweak).await?;
        Ok(SecondServer {
            endpoint,
            server: Some(server),
        })
    }
}

/// A second server sharing a `TestApp`'s database; see [`TestApp::spawn_second`]. Its requests
/// are its [`Endpoint`]'s, as a `TestApp`'s are.
pub struct SecondServer {
    pub endpoint: Endpoint,
    pub server: Option<RunningServer>,
}

impl Deref for SecondServer {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl SecondServer {
    pub async fn stop(mut self) -> anyhow::Result<()> {
        stop_server(self.server.take()).await
    }
}
