//! The sandboxed Rhai engine every connector script runs in, and the limits it runs under.
//!
//! This is the one place an [`Engine`] is built. Parsing uses it as is; the runtime will extend
//! [`engine`] with real HTTP helpers in place of the stubs registered here.

use std::time::{Duration, Instant};

use rhai::packages::{
    BasicArrayPackage, BasicMapPackage, BasicMathPackage, CorePackage, LogicPackage,
    MoreStringPackage, Package,
};
use rhai::{Dynamic, Engine, EvalAltResult, Position};
use serde::{Deserialize, Serialize};

pub(crate) mod helpers;

/// The HTTP verbs a connector calls as functions: `get(url)`, `post(url, body)`, ….
pub const HTTP_VERBS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// What a script calling an HTTP helper at its top level is told: requests belong in closures.
pub const HTTP_UNAVAILABLE: &str = "HTTP is not available while parsing";

/// Hard limits on one evaluation of a connector script.
///
/// Rhai counts the string, array and map sizes over everything nested inside one value, so the
/// connector's whole definition map must fit within them, and they also bound how deeply values
/// can nest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest source accepted, in bytes; larger sources are refused before parsing.
    pub max_source_bytes: usize,
    /// Most Rhai operations one evaluation may perform (0 = no limit).
    pub max_operations: u64,
    /// Deepest function-call nesting.
    pub max_call_depth: usize,
    /// Deepest expression nesting, checked when compiling, in the top level and in functions.
    pub max_expr_depth: usize,
    /// Longest string, in bytes (strings nested in one array or map add up).
    pub max_string_size: usize,
    /// Most array elements (elements of nested arrays add up).
    pub max_array_size: usize,
    /// Most map entries (entries of nested maps add up).
    pub max_map_size: usize,
    /// Wall-clock time one evaluation may take, from the moment its engine is built.
    pub deadline: Duration,
}

impl Default for Limits {
    /// The limits for parsing a connector.
    fn default() -> Self {
        Self {
            max_source_bytes: 256 * 1024,
            max_operations: 1_000_000,
            max_call_depth: 64,
            max_expr_depth: 64,
            max_string_size: 1024 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
            deadline: Duration::from_secs(2),
        }
    }
}

/// Builds the sandboxed engine for one evaluation; its deadline starts now.
///
/// The engine starts raw, with no file system, module resolver or `eval` (the `no_module` feature
/// removes `import`), and gets only the pure language packages, the connector helpers, and stubs
/// for the HTTP helpers. Variables must be declared before use, so typos in closures fail when the
/// connector is parsed rather than when it runs.
pub fn engine(limits: &Limits) -> Engine {
    let mut engine = sandbox(limits);
    register_http_stubs(&mut engine);
    engine
}

/// The sandboxed engine without any HTTP helpers: the runtime registers real ones.
pub(crate) fn sandbox(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    for package in [
        CorePackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(package);
    }
    engine.disable_symbol("eval");
    engine.set_strict_variables(true);
    apply_limits(&mut engine, limits);
    helpers::register(&mut engine);
    engine
}

fn apply_limits(engine: &mut Engine, limits: &Limits) {
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_depth)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size);
    let deadline = Instant::now() + limits.deadline;
    // Reading the clock on every operation would slow scripts noticeably; every 256th is plenty.
    engine.on_progress(move |operations| {
        (operations % 256 == 0 && Instant::now() >= deadline).then_some(Dynamic::UNIT)
    });
}

/// Stack for the thread a script runs on. Rhai walks nested values recursively (to compare, copy,
/// print or drop them) and the size limits still let values nest thousands deep; a comparison of
/// two such values needs tens of megabytes of stack in a debug build. Only the pages a script
/// actually touches are committed.
const SANDBOX_STACK_BYTES: usize = 256 * 1024 * 1024;

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

fn register_http_stubs(engine: &mut Engine) {
    for verb in HTTP_VERBS {
        engine.register_fn(verb, |_: Dynamic| http_unavailable());
        engine.register_fn(verb, |_: Dynamic, _: Dynamic| http_unavailable());
        engine.register_fn(verb, |_: Dynamic, _: Dynamic, _: Dynamic| {
            http_unavailable()
        });
    }
}

fn http_unavailable() -> Result<Dynamic, Box<EvalAltResult>> {
    Err(EvalAltResult::ErrorRuntime(HTTP_UNAVAILABLE.into(), Position::NONE).into())
}
