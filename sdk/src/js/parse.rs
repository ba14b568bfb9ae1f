//! Parsing a JavaScript connector: evaluate the module in the sandbox, take its `export
//! default`, and validate it.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use rquickjs::{Ctx, Function};

use super::locate::locate;
use super::sandbox::{Failure, Sandbox};
use super::value::item;
use super::{HTTP_UNAVAILABLE, HTTP_VERBS};
use crate::limits::on_sandbox_thread;
use crate::{Capabilities, Limits, ParseError, validate};

/// Parses a JavaScript connector under `limits` (its size was checked by the caller). Only the
/// module's top level runs; no function of the definition is called.
pub(crate) fn parse(source: &str, limits: &Limits) -> Result<Capabilities, ParseError> {
    on_sandbox_thread(|| parse_in_sandbox(source, limits))
        .unwrap_or_else(|message| Err(ParseError::Internal { message }))
}

fn parse_in_sandbox(source: &str, limits: &Limits) -> Result<Capabilities, ParseError> {
    let deadline = Instant::now() + limits.deadline;
    let sandbox = Sandbox::new(deadline, Arc::new(AtomicBool::new(false)))
        .map_err(|failure| parse_error(failure, limits))?;
    sandbox.context.with(|ctx| {
        install_parse_helpers(&ctx).map_err(|error| ParseError::Internal {
            message: format!("could not add the helpers: {error}"),
        })?;
        sandbox
            .lock_globals(&ctx)
            .map_err(|failure| parse_error(failure, limits))?;
        let definition = sandbox
            .evaluate(&ctx, source)
            .map_err(|failure| parse_error(failure, limits))?;
        if definition.is_undefined() {
            return Err(ParseError::InvalidDefinition {
                path: String::new(),
                message: "the module has no `export default`: a connector exports its \
                          definition with `export default { title: …, actions: … }`"
                    .into(),
                position: None,
            });
        }
        if !definition.is_object() || definition.is_function() || definition.is_array() {
            return Err(ParseError::InvalidDefinition {
                path: String::new(),
                message: format!(
                    "a connector's `export default` must be an object of its definition, not {}",
                    definition.type_name()
                ),
                position: locate(source, &crate::path::Path::default()),
            });
        }
        let item = item(&definition).map_err(|failure| parse_error(failure, limits))?;
        validate::definition(item).map_err(|invalid| ParseError::InvalidDefinition {
            position: locate(source, &invalid.path),
            path: invalid.path.to_string(),
            message: invalid.message,
        })
    })
}

/// While parsing, the HTTP helpers throw and the log helpers do nothing.
fn install_parse_helpers(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    for verb in HTTP_VERBS.into_iter().chain(["del"]) {
        let refuse = Function::new(ctx.clone(), |ctx: Ctx<'_>| -> rquickjs::Result<()> {
            Err(rquickjs::Exception::throw_message(&ctx, HTTP_UNAVAILABLE))
        })?;
        globals.set(verb, refuse)?;
    }
    let console = rquickjs::Object::new(ctx.clone())?;
    for name in super::helpers::CONSOLE_METHODS {
        console.set(*name, Function::new(ctx.clone(), || ())?)?;
    }
    globals.set("console", console)?;
    globals.set("print", Function::new(ctx.clone(), || ())?)?;
    Ok(())
}

pub(crate) fn parse_error(failure: Failure, limits: &Limits) -> ParseError {
    match failure {
        Failure::Timeout { position } => ParseError::Timeout {
            deadline: limits.deadline,
            position,
        },
        Failure::Limit { message, position } => ParseError::LimitExceeded { message, position },
        Failure::Syntax { message, position } => ParseError::Syntax { message, position },
        Failure::Forbidden { feature, position } => {
            ParseError::ForbiddenFeature { feature, position }
        }
        Failure::Thrown {
            message, position, ..
        } => ParseError::Runtime { message, position },
        Failure::Aborted => ParseError::Internal {
            message: "the evaluation was stopped".into(),
        },
        Failure::Internal(message) => ParseError::Internal { message },
    }
}
