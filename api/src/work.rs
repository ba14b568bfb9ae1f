//! A runtime of its own for answering GraphQL, apart from the threads that accept connections and
//! answer `/livez`, `/readyz` and `/metrics`.
//!
//! Parsing, validating and executing a document, and serialising its answer, is CPU work; on
//! the accepting runtime a few heavy requests at once would hold every worker, and the probes of
//! an orchestrator would time out while the process is healthy. So the GraphQL handler moves its
//! request here and awaits the answer. One runtime serves the whole process (every server a test
//! starts shares it); its threads never block the accepting runtime's.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

static WORK: OnceLock<Option<Runtime>> = OnceLock::new();

fn work_runtime() -> Option<&'static Runtime> {
    WORK.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("patchbay-work")
            .enable_all()
            .build()
        {
            Ok(runtime) => Some(runtime),
            Err(err) => {
                tracing::error!(error = %err, "cannot start the work runtime; GraphQL runs on the accepting threads");
                None
            }
        }
    })
    .as_ref()
}

/// Aborts the task when the request that awaits it goes away (the client hung up).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Run `future` on the work runtime and wait for its output.
pub async fn run<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let Some(runtime) = work_runtime() else {
        return future.await;
    };
    let task = runtime.spawn(future);
    let _abort = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(output) => output,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        // Cancelled: only `_abort` cancels it, and only once nobody awaits this any more.
        Err(_) => std::future::pending().await,
    }
}
