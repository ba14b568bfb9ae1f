//! Starting and stopping the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use poem::Server;
use poem::listener::TcpAcceptor;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::graphql::build_schema;
use crate::http::{App, routes};
use crate::response_cache::ResponseCache;
use crate::state::AppState;

/// Connect to the database (applying migrations) and assemble the shared state.
pub async fn prepare(config: Config) -> anyhow::Result<AppState> {
    let responses = Arc::new(ResponseCache::new(&config.cache));
    Ok(AppState {
        service: service::Service::connect(config).await?,
        responses,
    })
}

/// A server running in the background, e.g. in a test.
pub struct RunningServer {
    /// The address it listens on (the real port when the configuration asked for port 0).
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// Polls the running recipes' triggers and runs their jobs.
    engine: Option<service::jobs::Engine>,
}

impl RunningServer {
    /// Stop accepting, let requests in flight finish, and wait for the server to end.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.context("server task")??;
        if let Some(engine) = self.engine.take() {
            engine.stop().await;
        }
        Ok(())
    }
}

/// Bind `state.config.bind` and serve in the background until `stop` is called.
pub async fn start(state: AppState) -> anyhow::Result<RunningServer> {
    let (tx, rx) = oneshot::channel::<()>();
    let (addr, task) = spawn(state.clone(), async move {
        let _ = rx.await;
    })
    .await?;
    let engine = service::jobs::Engine::start(state.service.clone());
    Ok(RunningServer {
        addr,
        state,
        shutdown: Some(tx),
        task,
        engine,
    })
}

async fn spawn(
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(state.config.bind)
        .await
        .with_context(|| format!("binding {}", state.config.bind))?;
    let addr = listener.local_addr()?;
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    let schema = build_schema(
        Some(state.clone()),
        &state.config.limits,
        state.config.introspection,
    );
    let endpoint = routes(App { state, schema });
    let task = tokio::spawn(async move {
        Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(endpoint, shutdown, Some(DRAIN))
            .await
    });
    Ok((addr, task))
}

/// How long the process may take to end after SIGTERM, whatever is running.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How long requests in flight may take to finish after SIGTERM; the rest of the grace period
/// is for closing the database pool and the runtimes.
const DRAIN: Duration = Duration::from_secs(27);

/// Serve until SIGTERM or Ctrl-C, then finish requests in flight (up to [`DRAIN`]) and return.
/// Should anything keep the process from ending within [`SHUTDOWN_GRACE`] — a thread busy in
/// code that never yields — a watchdog ends it then, whatever is running.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    let shutdown = async {
        shutdown_signal().await;
        exit_after(SHUTDOWN_GRACE);
    };
    let engine = service::jobs::Engine::start(state.service.clone());
    let (addr, task) = spawn(state, shutdown).await?;
    tracing::info!(%addr, graphql = %format!("http://{addr}/graphql"), "patchbay is listening");
    task.await.context("server task")??;
    if let Some(engine) = engine {
        engine.stop().await;
    }
    tracing::info!("patchbay stopped");
    Ok(())
}

/// End the process after `delay`, from a thread of its own (the runtime may be what is stuck).
fn exit_after(delay: Duration) {
    let spawned = std::thread::Builder::new()
        .name("patchbay-shutdown-watchdog".to_owned())
        .spawn(move || {
            std::thread::sleep(delay);
            tracing::error!(
                seconds = delay.as_secs(),
                "requests still running after the shutdown grace period; exiting"
            );
            std::process::exit(1);
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "cannot start the shutdown watchdog");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}
