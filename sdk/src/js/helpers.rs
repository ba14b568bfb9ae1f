//! The globals a running connector calls into Rust through: the HTTP helpers, backed by the
//! run's egress-limited client (`crate::run::client`), and `print` and `console`, which write
//! the run's logs. Each is bound to the run's session.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rquickjs::function::{Constructor, Opt, Rest};
use rquickjs::{Ctx, Function, Object, Value};

use super::HTTP_VERBS;
use super::sandbox::position_in_stack;
use super::value::{from_json, to_json};
use crate::Position;
use crate::run::client::{self, Body, HelperError, RequestFailure, Session};
use crate::run::lock;

/// The methods of `console`: each writes one line to the run's logs, like `print`.
pub(crate) const CONSOLE_METHODS: &[&str] = &["log", "info", "warn", "error", "debug"];

/// Where in the connector the helper being called was called from.
fn call_site(ctx: &Ctx<'_>) -> Option<Position> {
    let error: Object = new_error(ctx, "").ok()?;
    let stack: String = error.get("stack").ok()?;
    position_in_stack(&stack)
}

/// `new Error(message)`, with the stack of the script that called into Rust.
fn new_error<'js>(ctx: &Ctx<'js>, message: &str) -> rquickjs::Result<Object<'js>> {
    let constructor: Constructor = ctx.globals().get("Error")?;
    constructor.construct((message,))
}

/// The HTTP helpers, `print` and `console`, bound to the run's session.
pub(super) fn install_run_helpers<'js>(
    ctx: &Ctx<'js>,
    session: &Arc<Mutex<Session>>,
    abort: &Arc<AtomicBool>,
) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    for verb in HTTP_VERBS {
        let function = http_helper(ctx, verb, session, abort)?;
        if verb == "delete" {
            // `delete(url)` would be the operator: `del(url)` is the same helper.
            globals.set("del", function.clone())?;
        }
        globals.set(verb, function)?;
    }

    let console = Object::new(ctx.clone())?;
    for name in CONSOLE_METHODS {
        console.set(*name, log_function(ctx, session)?)?;
    }
    globals.set("console", console)?;
    globals.set("print", log_function(ctx, session)?)?;
    Ok(())
}

/// The helper for one HTTP verb: `verb(url, params or body, headers)`, returning the response
/// body or throwing the request's failure.
fn http_helper<'js>(
    ctx: &Ctx<'js>,
    verb: &'static str,
    session: &Arc<Mutex<Session>>,
    abort: &Arc<AtomicBool>,
) -> rquickjs::Result<Function<'js>> {
    let method = verb.to_ascii_uppercase();
    // get and delete take query parameters; post, put and patch take a body.
    let with_params = matches!(verb, "get" | "delete");
    let session = Arc::clone(session);
    let abort = Arc::clone(abort);
    let helper = move |ctx: Ctx<'js>,
                       url: Value<'js>,
                       second: Opt<Value<'js>>,
                       headers: Opt<Value<'js>>|
          -> rquickjs::Result<Value<'js>> {
        if abort.load(Ordering::Relaxed) {
            return Err(throw_error(&ctx, "the run has been stopped"));
        }
        let Some(url) = url.as_string().map(|text| text.to_string()).transpose()? else {
            return Err(rquickjs::Exception::throw_type(
                &ctx,
                &format!("{verb}: the URL must be a string, not {}", url.type_name()),
            ));
        };
        let second = argument(&ctx, second.0)?;
        let headers = argument(&ctx, headers.0)?;
        let result = {
            let mut session = lock(&session);
            let (params, body) = match second {
                Some(params) if with_params => (Some(params), Body::None),
                Some(body) => (None, Body::from_value(&body)),
                None => (None, Body::None),
            };
            let result = client::request(
                &mut session,
                &method,
                &url,
                params.as_ref(),
                body,
                headers.as_ref(),
            );
            // A refusal ends the run where the helper was called, whatever the script does.
            if let Some(fatal) = session.fatal.take() {
                session.fatal = Some(fatal.at(call_site(&ctx)));
                abort.store(true, Ordering::Relaxed);
            }
            result
        };
        match result {
            Ok(value) => from_json(&ctx, &value),
            Err(error) => Err(throw_helper_error(&ctx, error)),
        }
    };
    Function::new(ctx.clone(), helper)?.with_name(verb)
}

/// A function that writes its arguments, separated by spaces, as one log line.
fn log_function<'js>(
    ctx: &Ctx<'js>,
    session: &Arc<Mutex<Session>>,
) -> rquickjs::Result<Function<'js>> {
    let session = Arc::clone(session);
    Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, args: Rest<Value<'js>>| -> rquickjs::Result<()> {
            let mut parts = Vec::with_capacity(args.0.len());
            for arg in args.0 {
                parts.push(match arg.as_string() {
                    Some(text) => text.to_string()?,
                    None => match ctx.json_stringify(arg.clone())? {
                        Some(text) => {
                            let text = text.to_string()?;
                            // The strings inside are redacted before they are written as JSON:
                            // a response body holding a JSON-escaped secret would otherwise be
                            // escaped a second time, a spelling the line's redaction misses.
                            match serde_json::from_str::<serde_json::Value>(&text) {
                                Ok(value) => lock(&session).redactor.value(value).to_string(),
                                Err(_) => text,
                            }
                        }
                        None => arg.type_name().to_string(),
                    },
                });
            }
            lock(&session).log(&parts.join(" "));
            Ok(())
        },
    )
}

/// A helper's argument as the client takes it; `undefined` and `null` as none.
fn argument<'js>(
    ctx: &Ctx<'js>,
    value: Option<Value<'js>>,
) -> rquickjs::Result<Option<serde_json::Value>> {
    match value {
        Some(value) if !value.is_undefined() && !value.is_null() => Ok(Some(to_json(ctx, value)?)),
        _ => Ok(None),
    }
}

fn throw_error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    match new_error(ctx, message) {
        Ok(error) => ctx.throw(error.into_value()),
        Err(error) => error,
    }
}

/// What the script catches when a request fails: an `Error` whose `code` is `HTTP` or
/// `NETWORK`, with `status`, `method`, `url`, `message` and the parsed response `body`; or a
/// plain `Error` for a mistake in the call (a bad URL, bad headers).
fn throw_helper_error(ctx: &Ctx<'_>, error: HelperError) -> rquickjs::Error {
    let failure: RequestFailure = match error {
        HelperError::Fatal => return throw_error(ctx, "the run has been stopped"),
        HelperError::Thrown(message) => return throw_error(ctx, &message),
        HelperError::Request(failure) => *failure,
    };
    let build = || -> rquickjs::Result<Object<'_>> {
        let error = new_error(ctx, &failure.message)?;
        error.set("code", failure.code)?;
        error.set("method", failure.method.as_str())?;
        error.set("url", failure.url.as_str())?;
        match failure.status {
            Some(status) => error.set("status", i32::from(status))?,
            None => error.set("status", rquickjs::Null)?,
        }
        error.set("body", from_json(ctx, &failure.body)?)?;
        Ok(error)
    };
    match build() {
        Ok(error) => ctx.throw(error.into_value()),
        Err(error) => error,
    }
}
