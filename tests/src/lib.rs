//! The end-to-end test harness: start the real server on port 0 over a fresh database (an SQLite
//! file in a temporary directory, or a new PostgreSQL database), and talk HTTP to it.

pub mod mock;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use api::config::Config;
use api::server::{self, RunningServer};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the tests find PostgreSQL (without a database name).
pub fn postgres_base_url() -> String {
    std::env::var("PATCHBAY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "patchbay_test_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, empty database; dropped (PostgreSQL) or deleted (SQLite) with the value.
pub struct TestDatabase {
    pub url: String,
    backend: Backend,
    name: String,
    _dir: Option<TempDir>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> anyhow::Result<Self> {
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new(&name)?;
                let url = format!("sqlite://{}/patchbay.db?mode=rwc", dir.path.display());
                Ok(Self {
                    url,
                    backend,
                    name,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let base = postgres_base_url();
                let admin = Database::connect(format!("{base}/postgres"))
                    .await
                    .with_context(|| {
                        format!(
                            "PostgreSQL is not reachable at {base}: start it, or point \
                             PATCHBAY_TEST_POSTGRES_URL at one"
                        )
                    })?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                admin.close().await?;
                Ok(Self {
                    url: format!("{base}/{name}"),
                    backend,
                    name,
                    _dir: None,
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.backend == Backend::Postgres {
            let url = format!("{}/postgres", postgres_base_url());
            let name = self.name.clone();
            // Best effort, on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// A temporary directory removed on drop.
pub struct TempDir {
    pub path: std::path::PathBuf,
}

impl TempDir {
    pub fn new(name: &str) -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path)?;
        Ok(Self { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A running server over a fresh database, and an HTTP client for it.
pub struct TestApp {
    pub backend: Backend,
    pub base_url: String,
    pub client: reqwest::Client,
    pub server: Option<RunningServer>,
    pub db: TestDatabase,
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
        let mut config = Config {
            bind: "127.0.0.1:0".parse()?,
            database_url: Some(db.url.clone()),
            ..Config::default()
        };
        config.sandbox.worker_program = Some(worker_program(WORKER)?);
        tweak(&mut config);
        let state = server::prepare(config).await?;
        let server = server::start(state).await?;
        Ok(Self {
            backend,
            base_url: format!("http://{}", server.addr),
            client: reqwest::Client::new(),
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

    /// POST a GraphQL operation; returns the HTTP status and the JSON body.
    pub async fn graphql_raw(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await?;
        Ok((status, body))
    }

    /// POST a GraphQL operation and return its JSON body.
    pub async fn graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        Ok(self.graphql_raw(token, query, variables).await?.1)
    }

    /// POST a GraphQL operation that must succeed; returns `data`.
    pub async fn data(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let body = self.graphql(token, query, variables).await?;
        anyhow::ensure!(body.get("errors").is_none(), "unexpected errors: {body}");
        Ok(body["data"].clone())
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

    /// The server's counter of SQL statements, read from `/metrics` over HTTP.
    pub async fn sql_statements(&self) -> anyhow::Result<u64> {
        let text = self
            .client
            .get(format!("{}/metrics", self.base_url))
            .send()
            .await?
            .text()
            .await?;
        text.lines()
            .find_map(|l| l.strip_prefix("patchbay_db_statements_total "))
            .context("no statement counter in /metrics")?
            .trim()
            .parse()
            .context("statement counter")
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.stop().await?;
        }
        Ok(())
    }
}

/// The `code` extension of the first GraphQL error in `body`.
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

/// POST a GraphQL operation to the server at `base_url`; returns the HTTP status and the body.
async fn post_graphql(
    client: &reqwest::Client,
    base_url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> anyhow::Result<(u16, Value)> {
    let mut req = client
        .post(format!("{base_url}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await?;
    Ok((status, body))
}

/// The statement counter of the server at `base_url`, read from its `/metrics`.
async fn statement_counter(client: &reqwest::Client, base_url: &str) -> anyhow::Result<u64> {
    let text = client
        .get(format!("{base_url}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .find_map(|l| l.strip_prefix("patchbay_db_statements_total "))
        .context("no statement counter in /metrics")?
        .trim()
        .parse()
        .context("statement counter")
}

impl TestApp {
    /// Start a second server over this app's database (the same PostgreSQL database, or the same
    /// SQLite file): as far as the service can tell another process, with its own connection
    /// pool, its own in-process wake-ups and its own counters.
    pub async fn spawn_second(&self) -> anyhow::Result<SecondServer> {
        let mut config = Config {
            bind: "127.0.0.1:0".parse()?,
            database_url: Some(self.db.url.clone()),
            ..Config::default()
        };
        config.sandbox.worker_program = Some(worker_program(WORKER)?);
        let state = server::prepare(config).await?;
        let server = server::start(state).await?;
        Ok(SecondServer {
            base_url: format!("http://{}", server.addr),
            client: reqwest::Client::new(),
            server: Some(server),
        })
    }

    /// Open a graphql-ws connection (`graphql-transport-ws`) to `/graphql/ws`, initialised with
    /// `token` (none: anonymous) and acknowledged by the server.
    pub async fn ws(&self, token: Option<&str>) -> anyhow::Result<WsClient> {
        WsClient::connect(&self.base_url, token).await
    }
}

/// A second server sharing a `TestApp`'s database; see [`TestApp::spawn_second`].
pub struct SecondServer {
    pub base_url: String,
    pub client: reqwest::Client,
    pub server: Option<RunningServer>,
}

impl SecondServer {
    /// POST a GraphQL operation; returns the HTTP status and the JSON body.
    pub async fn graphql_raw(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<(u16, Value)> {
        post_graphql(&self.client, &self.base_url, token, query, variables).await
    }

    /// POST a GraphQL operation and return its JSON body.
    pub async fn graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        Ok(self.graphql_raw(token, query, variables).await?.1)
    }

    /// POST a GraphQL operation that must succeed; returns `data`.
    pub async fn data(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let body = self.graphql(token, query, variables).await?;
        anyhow::ensure!(body.get("errors").is_none(), "unexpected errors: {body}");
        Ok(body["data"].clone())
    }

    /// This server's counter of SQL statements, read from its `/metrics`.
    pub async fn sql_statements(&self) -> anyhow::Result<u64> {
        statement_counter(&self.client, &self.base_url).await
    }

    /// Open a graphql-ws connection to this server; see [`TestApp::ws`].
    pub async fn ws(&self, token: Option<&str>) -> anyhow::Result<WsClient> {
        WsClient::connect(&self.base_url, token).await
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.stop().await?;
        }
        Ok(())
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-ws client speaking the `graphql-transport-ws` protocol.
pub struct WsClient {
    socket: WsStream,
}

impl WsClient {
    /// Connect to `<base_url>/graphql/ws`, send `connection_init` with the token as
    /// `{"authorization": "Bearer …"}` and wait for `connection_ack`.
    pub async fn connect(base_url: &str, token: Option<&str>) -> anyhow::Result<Self> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        use tokio_tungstenite::tungstenite::http::HeaderValue;

        let url = format!("{}/graphql/ws", base_url.replacen("http://", "ws://", 1));
        let mut request = url.as_str().into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        let protocol = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok());
        anyhow::ensure!(
            protocol == Some("graphql-transport-ws"),
            "the server chose the protocol {protocol:?}"
        );
        let mut client = Self { socket };
        let payload = match token {
            Some(token) => json!({ "authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await?;
        let ack = client
            .next_message(std::time::Duration::from_secs(10))
            .await?;
        anyhow::ensure!(
            ack == json!({ "type": "connection_ack" }),
            "expected connection_ack, got {ack}"
        );
        Ok(client)
    }

    /// Send one protocol message.
    pub async fn send(&mut self, message: Value) -> anyhow::Result<()> {
        use futures_util::SinkExt as _;
        use tokio_tungstenite::tungstenite::Message;
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await?;
        Ok(())
    }

    /// Start the subscription `id`.
    pub async fn subscribe(
        &mut self,
        id: &str,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<()> {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await
    }

    /// The next protocol message within `wait` (pings are answered and skipped); an error when
    /// none arrives in time or the server closes the connection.
    pub async fn next_message(&mut self, wait: std::time::Duration) -> anyhow::Result<Value> {
        use futures_util::StreamExt as _;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .map_err(|_| anyhow::anyhow!("no graphql-ws message within {wait:?}"))?;
            match next {
                None => anyhow::bail!("the server closed the graphql-ws connection"),
                Some(Err(err)) => return Err(err.into()),
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(text.as_str())?;
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await?;
                        continue;
                    }
                    return Ok(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    anyhow::bail!("the server closed the graphql-ws connection: {frame:?}")
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Wait up to `wait` for the server to close the connection, skipping the messages before
    /// (a subscription's `complete`, pings); the close code, or an error if it stays open.
    pub async fn close_code(&mut self, wait: std::time::Duration) -> anyhow::Result<Option<u16>> {
        use futures_util::StreamExt as _;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .map_err(|_| anyhow::anyhow!("the connection was still open after {wait:?}"))?;
            match next {
                None => return Ok(None),
                Some(Ok(Message::Close(frame))) => return Ok(frame.map(|f| u16::from(f.code))),
                Some(Err(err)) => return Err(err.into()),
                Some(Ok(_)) => {}
            }
        }
    }

    /// Close the connection.
    pub async fn close(mut self) -> anyhow::Result<()> {
        self.socket.close(None).await?;
        Ok(())
    }
}
