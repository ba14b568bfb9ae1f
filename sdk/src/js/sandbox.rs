//! The QuickJS sandbox one evaluation runs in: a fresh runtime with a memory cap, a stack cap and
//! an interrupt handler that enforces the deadline; a context with only the ECMAScript built-ins
//! a connector needs plus the SDK's globals; no module loader; `eval` and every `Function`
//! constructor made inert. Exceptions come out as a [`Failure`] with the line and column.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rquickjs::context::intrinsic;
use rquickjs::{CaughtError, Ctx, Exception, Function, Module, Object, Runtime, Value};

use super::{FILE_NAME, JS_MEMORY_LIMIT_BYTES, JS_STACK_LIMIT_BYTES};
use crate::Position;

/// The built-ins a connector gets. `Eval` is QuickJS's compiler, which compiling the module
/// itself needs; the prelude takes `eval` and `Function` away from the script. There is no
/// `Proxy`, `WeakRef`, typed arrays or `performance`, and no `std`, `os` or `process` at all.
type Intrinsics = (
    intrinsic::Eval,
    intrinsic::Json,
    intrinsic::RegExp,
    intrinsic::RegExpCompiler,
    intrinsic::Date,
    intrinsic::MapSet,
    intrinsic::Promise,
);

/// The name of the error the inert `eval` and `Function` throw.
const FORBIDDEN: &str = "ForbiddenFeature";

/// Runs before the connector: every way to compile a string — `eval`, `Function` and the
/// constructors of async, generator and async generator functions, reachable as
/// `(() => {}).constructor` — throws instead. `instanceof Function` keeps working.
const PRELUDE: &str = r#"(() => {
  "use strict";
  const inert = (feature) => function () {
    const error = new Error("`" + feature + "` is not available to connectors");
    error.name = "ForbiddenFeature";
    error.feature = feature;
    throw error;
  };
  const blocked = inert("Function");
  Object.defineProperty(blocked, "prototype", { value: Function.prototype });
  for (const f of [function () {}, async function () {}, function* () {}, async function* () {}]) {
    Object.defineProperty(Object.getPrototypeOf(f), "constructor", {
      value: blocked, writable: false, enumerable: false, configurable: false,
    });
  }
  Object.defineProperty(globalThis, "Function", { value: blocked, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(globalThis, "eval", { value: inert("eval"), writable: false, enumerable: false, configurable: false });
})();"#;

/// Why an evaluation or a call failed, in the sandbox's terms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// The interrupt handler stopped the script at the deadline.
    Timeout {
        position: Option<Position>,
    },
    /// The interrupt handler stopped the script because a helper ended the run.
    Aborted,
    /// Memory, stack or a QuickJS size limit.
    Limit {
        message: String,
        position: Option<Position>,
    },
    Syntax {
        message: String,
        position: Option<Position>,
    },
    Forbidden {
        feature: String,
        position: Option<Position>,
    },
    /// The script threw, or a built-in failed.
    Thrown {
        message: String,
        position: Option<Position>,
        /// `code`, `status`, `method`, `url` and `message` of a thrown object that has a `code`:
        /// a failed request's error.
        request: Option<Box<RequestError>>,
    },
    Internal(String),
}

/// The fields of an error an HTTP helper threw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestError {
    pub(crate) code: String,
    pub(crate) status: Option<i64>,
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) message: String,
}

/// One QuickJS runtime and context, limited; dropped (all memory freed) at the end.
pub(crate) struct Sandbox {
    pub(crate) context: rquickjs::Context,
    deadline: Instant,
    abort: Arc<AtomicBool>,
    _runtime: Runtime,
}

impl Sandbox {
    /// A sandbox whose interrupt handler stops any script at `deadline`, or as soon as `abort`
    /// is set (a helper ended the run).
    pub(crate) fn new(deadline: Instant, abort: Arc<AtomicBool>) -> Result<Self, Failure> {
        let runtime = Runtime::new().map_err(|error| {
            Failure::Internal(format!("could not start the JavaScript engine: {error}"))
        })?;
        runtime.set_memory_limit(JS_MEMORY_LIMIT_BYTES);
        runtime.set_max_stack_size(JS_STACK_LIMIT_BYTES);
        let flag = Arc::clone(&abort);
        runtime.set_interrupt_handler(Some(Box::new(move || {
            flag.load(Ordering::Relaxed) || Instant::now() >= deadline
        })));
        let context = rquickjs::Context::custom::<Intrinsics>(&runtime).map_err(|error| {
            Failure::Internal(format!("could not create a JavaScript context: {error}"))
        })?;
        let sandbox = Self {
            context,
            deadline,
            abort,
            _runtime: runtime,
        };
        sandbox.context.with(|ctx| -> Result<(), Failure> {
            // Classified as any script's failure: a prelude the deadline interrupts (a worker
            // starved of CPU) is a TIMEOUT, not the engine's fault.
            ctx.eval::<(), _>(PRELUDE)
                .map_err(|error| match sandbox.failure(&ctx, error) {
                    Failure::Internal(message) => {
                        Failure::Internal(format!("the prelude failed: {message}"))
                    }
                    other => other,
                })?;
            install_pure_helpers(&ctx)
                .map_err(|error| Failure::Internal(format!("could not add the helpers: {error}")))
        })?;
        Ok(sandbox)
    }

    /// Makes the SDK's globals read-only once the helpers are in place, and checks every one is
    /// there: a script can neither replace `get` nor find a helper missing.
    pub(crate) fn lock_globals(&self, ctx: &Ctx<'_>) -> Result<(), Failure> {
        let names = serde_json::to_string(super::GLOBALS)
            .map_err(|error| Failure::Internal(error.to_string()))?;
        let script = format!(
            "for (const name of {names}) {{ if (!(name in globalThis)) throw new Error(name + \" is missing\"); \
             Object.defineProperty(globalThis, name, {{ writable: false, configurable: false }}); }}"
        );
        ctx.eval::<(), _>(script)
            .map_err(|error| Failure::Internal(format!("could not lock the globals: {error}")))
    }

    /// Compiles and evaluates the connector's module, running its top level (and any
    /// top-level `await`) to the end, and returns its `export default`.
    pub(crate) fn evaluate<'js>(
        &self,
        ctx: &Ctx<'js>,
        source: &str,
    ) -> Result<Value<'js>, Failure> {
        let declared =
            Module::declare(ctx.clone(), FILE_NAME, source).map_err(|error| {
                match self.failure(ctx, error) {
                    Failure::Thrown {
                        message, position, ..
                    } if message.starts_with("SyntaxError: ") => Failure::Syntax {
                        message: message["SyntaxError: ".len()..].to_string(),
                        position,
                    },
                    other => other,
                }
            })?;
        let (module, promise) = declared.eval().map_err(|error| self.failure(ctx, error))?;
        self.settle(ctx, promise.into_value())?;
        module
            .get::<_, Value>("default")
            .map_err(|error| self.failure(ctx, error))
    }

    /// Calls `function` with `args`; a returned promise is driven to its end.
    pub(crate) fn call<'js>(
        &self,
        ctx: &Ctx<'js>,
        function: &Function<'js>,
        args: Vec<Value<'js>>,
    ) -> Result<Value<'js>, Failure> {
        let mut arguments = rquickjs::function::Args::new(ctx.clone(), args.len());
        for arg in args {
            arguments
                .push_arg(arg)
                .map_err(|error| self.failure(ctx, error))?;
        }
        let value: Value = function
            .call_arg(arguments)
            .map_err(|error| self.failure(ctx, error))?;
        self.settle(ctx, value)
    }

    /// A promise's value once the job queue has run it to the end; any other value as it is.
    fn settle<'js>(&self, ctx: &Ctx<'js>, value: Value<'js>) -> Result<Value<'js>, Failure> {
        let Some(promise) = value.as_promise() else {
            return Ok(value);
        };
        match promise.finish::<Value>() {
            Ok(value) => Ok(value),
            Err(rquickjs::Error::WouldBlock) => Err(Failure::Thrown {
                message: "a promise never settled: connectors have no timers or events to wait \
                          for"
                .into(),
                position: None,
                request: None,
            }),
            Err(error) => Err(self.failure(ctx, error)),
        }
    }

    /// Turns an engine error, with the exception it left pending, into a [`Failure`].
    pub(crate) fn failure(&self, ctx: &Ctx<'_>, error: rquickjs::Error) -> Failure {
        if self.abort.load(Ordering::Relaxed) {
            return Failure::Aborted;
        }
        match CaughtError::from_error(ctx, error) {
            CaughtError::Error(rquickjs::Error::Allocation) => Failure::Limit {
                message: memory_message(),
                position: None,
            },
            CaughtError::Error(error) => Failure::Internal(error.to_string()),
            CaughtError::Exception(exception) => self.exception(&exception),
            CaughtError::Value(value) => self.thrown_value(ctx, &value),
        }
    }

    fn exception(&self, exception: &Exception<'_>) -> Failure {
        let object = exception.as_object();
        let name: String = object.get("name").unwrap_or_default();
        let message = exception.message().unwrap_or_default();
        let position = exception.stack().as_deref().and_then(position_in_stack);
        if exception.as_value().is_uncatchable_error() {
            return if Instant::now() >= self.deadline {
                Failure::Timeout { position }
            } else {
                Failure::Internal(format!("the script was stopped: {message}"))
            };
        }
        match (name.as_str(), message.as_str()) {
            (FORBIDDEN, _) => Failure::Forbidden {
                feature: object.get("feature").unwrap_or_default(),
                position,
            },
            ("ReferenceError", message) if message.starts_with("could not load module") => {
                Failure::Forbidden {
                    feature: "import".into(),
                    position,
                }
            }
            ("InternalError", "out of memory") => Failure::Limit {
                message: memory_message(),
                position,
            },
            ("InternalError", "string too long") | ("RangeError", "invalid array length") => {
                Failure::Limit {
                    message: message.to_string(),
                    position,
                }
            }
            ("RangeError", "Maximum call stack size exceeded") => Failure::Limit {
                message: format!(
                    "function calls nest too deep for the {} KiB stack",
                    JS_STACK_LIMIT_BYTES / 1024
                ),
                position,
            },
            _ => Failure::Thrown {
                message: if name.is_empty() {
                    message.clone()
                } else {
                    format!("{name}: {message}")
                },
                position,
                request: request_error(object),
            },
        }
    }

    /// Something thrown that is not an `Error`: `throw "text"`, `throw { code: … }`.
    fn thrown_value<'js>(&self, ctx: &Ctx<'js>, value: &Value<'js>) -> Failure {
        if value.is_uncatchable_error() && Instant::now() >= self.deadline {
            return Failure::Timeout { position: None };
        }
        // Out of memory, QuickJS may not even manage to make an error and throws `null`; the
        // runtime cannot be asked for its memory use from inside the context, so a script's own
        // `throw null` is reported the same way.
        if value.is_null() {
            return Failure::Limit {
                message: format!("{} (or the script threw null)", memory_message()),
                position: None,
            };
        }
        let message = match value.as_string() {
            Some(text) => text.to_string().unwrap_or_default(),
            None => ctx
                .json_stringify(value.clone())
                .ok()
                .flatten()
                .and_then(|text| text.to_string().ok())
                .unwrap_or_else(|| format!("a thrown {}", value.type_name())),
        };
        Failure::Thrown {
            message,
            position: None,
            request: value.as_object().and_then(request_error),
        }
    }
}

fn memory_message() -> String {
    format!(
        "the script used more than {} MiB of memory",
        JS_MEMORY_LIMIT_BYTES / (1024 * 1024)
    )
}

/// The fields of a request error, when `object` has a string `code`.
fn request_error(object: &Object<'_>) -> Option<Box<RequestError>> {
    let code: String = object.get::<_, Option<String>>("code").ok().flatten()?;
    let text = |key: &str| -> String {
        object
            .get::<_, Option<String>>(key)
            .ok()
            .flatten()
            .unwrap_or_default()
    };
    Some(Box::new(RequestError {
        status: object.get::<_, Option<i64>>("status").ok().flatten(),
        method: text("method"),
        url: text("url"),
        message: text("message"),
        code,
    }))
}

/// The first place in the connector's own source a stack names: `at f (connector.js:12:5)`.
pub(crate) fn position_in_stack(stack: &str) -> Option<Position> {
    let marker = format!("{FILE_NAME}:");
    stack.lines().find_map(|line| {
        let start = line.find(&marker)? + marker.len();
        let rest = &line[start..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit() && c != ':')
            .unwrap_or(rest.len());
        let (line_text, column_text) = rest[..end].split_once(':')?;
        Some(Position {
            line: line_text.parse().ok()?,
            column: column_text.parse().ok()?,
        })
    })
}

/// Helpers that need no run: base64 of UTF-8 text.
fn install_pure_helpers(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    globals.set(
        "base64_encode",
        Function::new(ctx.clone(), |text: String| STANDARD.encode(text.as_bytes()))?,
    )?;
    globals.set(
        "base64_decode",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'_>, text: String| -> rquickjs::Result<String> {
                let bytes = STANDARD.decode(text.as_bytes()).map_err(|error| {
                    Exception::throw_type(&ctx, &format!("invalid base64: {error}"))
                })?;
                String::from_utf8(bytes).map_err(|_| {
                    Exception::throw_type(&ctx, "the decoded base64 is not UTF-8 text")
                })
            },
        )?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_frame_in_the_connector() {
        let stack = "    at inert (<input>:3:11)\n    at execute (connector.js:12:5)\n    at <anonymous> (connector.js:20:1)\n";
        assert_eq!(
            position_in_stack(stack),
            Some(Position {
                line: 12,
                column: 5
            })
        );
        assert_eq!(
            position_in_stack("    at connector.js:2:11\n"),
            Some(Position {
                line: 2,
                column: 11
            })
        );
        assert_eq!(position_in_stack(""), None);
    }
}
