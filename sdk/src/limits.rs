//! The limits one evaluation of a connector runs under, and the thread it runs on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Hard limits on one evaluation of a connector, besides QuickJS's memory and stack caps
/// ([`JS_MEMORY_LIMIT_BYTES`](crate::JS_MEMORY_LIMIT_BYTES),
/// [`JS_STACK_LIMIT_BYTES`](crate::JS_STACK_LIMIT_BYTES)), which are the same for every run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest source accepted, in bytes; larger sources are refused before parsing.
    pub max_source_bytes: usize,
    /// Wall-clock time one evaluation may take, from the moment its sandbox is built. QuickJS's
    /// interrupt handler stops the script there; what does not check the handler (a huge
    /// `Array.join`, a BigInt power) is stopped by the server killing the worker process.
    pub deadline: Duration,
}

impl Default for Limits {
    /// The limits for parsing a connector.
    fn default() -> Self {
        Self {
            max_source_bytes: 256 * 1024,
            deadline: Duration::from_secs(2),
        }
    }
}

/// Stack for the thread a script runs on: far more than QuickJS may use
/// ([`JS_STACK_LIMIT_BYTES`](crate::JS_STACK_LIMIT_BYTES)), so QuickJS's own check always fires
/// first and deep recursion is a `RangeError`, never a crash. Only the pages actually touched
/// are committed.
const SANDBOX_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Runs `work` on a thread of its own with [`SANDBOX_STACK_BYTES`] of stack, so no script can
/// overflow the caller's stack, and turns a panic inside the engine into an error message.
pub(crate) fn on_sandbox_thread<T: Send>(work: impl FnOnce() -> T + Send) -> Result<T, String> {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("connector-sandbox".into())
            .stack_size(SANDBOX_STACK_BYTES)
            .spawn_scoped(scope, work)
            .map_err(|error| format!("could not start the sandbox thread: {error}"))?;
        thread.join().map_err(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("the script engine panicked: {message}")
        })
    })
}
