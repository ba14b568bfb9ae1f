//! Parsing a connector: source in, [`Capabilities`] or a positioned [`ParseError`] out.

use std::collections::BTreeSet;

use rhai::{Dynamic, EvalAltResult, LexError, OptimizationLevel, ParseErrorType};

use crate::engine::{engine, on_sandbox_thread};
use crate::locate::locate;
use crate::{Capabilities, Limits, ParseError, Position, validate};

/// Keywords connectors must not use: `eval` runs arbitrary code, modules reach outside the script.
const FORBIDDEN_KEYWORDS: [&str; 3] = ["eval", "import", "export"];

/// Parses and validates a connector's source under the default [`Limits`].
pub fn parse(source: &str) -> Result<Capabilities, ParseError> {
    parse_with(source, &Limits::default())
}

/// Parses and validates a connector's source under `limits`.
///
/// Runs synchronously and returns within about `limits.deadline` whatever the source does;
/// call it from a blocking-friendly thread. No closure in the definition is ever called.
pub fn parse_with(source: &str, limits: &Limits) -> Result<Capabilities, ParseError> {
    if source.len() > limits.max_source_bytes {
        return Err(ParseError::SourceTooLarge {
            size: source.len(),
            limit: limits.max_source_bytes,
        });
    }
    if crate::js::is_javascript(source) {
        return crate::js::parse(source, limits);
    }
    on_sandbox_thread(|| parse_in_sandbox(source, limits))
        .unwrap_or_else(|message| Err(ParseError::Internal { message }))
}

fn parse_in_sandbox(source: &str, limits: &Limits) -> Result<Capabilities, ParseError> {
    let mut engine = engine(limits);
    // Folding constant map literals into values would lose the positions of their keys.
    engine.set_optimization_level(OptimizationLevel::None);
    let ast = engine
        .compile(source)
        .map_err(|error| compile_error(error, limits))?;
    let value = engine
        .eval_ast::<Dynamic>(&ast)
        .map_err(|error| evaluation_error(*error, limits))?;
    let functions: BTreeSet<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
    validate::definition(validate::Item::from_rhai(value), &functions).map_err(|invalid| {
        ParseError::InvalidDefinition {
            position: locate(&ast, &invalid.path),
            path: invalid.path.to_string(),
            message: invalid.message,
        }
    })
}

fn compile_error(error: rhai::ParseError, limits: &Limits) -> ParseError {
    let rhai::ParseError(kind, position) = error;
    let position = Position::from_rhai(position);
    if let Some(feature) = forbidden_feature(&kind) {
        return ParseError::ForbiddenFeature { feature, position };
    }
    let message = kind.to_string();
    match *kind {
        ParseErrorType::ExprTooDeep => ParseError::LimitExceeded {
            message: format!("expressions nest more than {} deep", limits.max_expr_depth),
            position,
        },
        ParseErrorType::LiteralTooLarge(..)
        | ParseErrorType::TooManyFunctions
        | ParseErrorType::BadInput(LexError::StringTooLong(_)) => {
            ParseError::LimitExceeded { message, position }
        }
        _ => ParseError::Syntax { message, position },
    }
}

/// The keyword behind an error, when the error is the source reaching for a forbidden feature.
fn forbidden_feature(kind: &ParseErrorType) -> Option<String> {
    let word = match kind {
        ParseErrorType::Reserved(word) => word,
        // What a disabled symbol such as `eval` is reported as.
        ParseErrorType::BadInput(LexError::ImproperSymbol(word, _)) => word,
        _ => return None,
    };
    FORBIDDEN_KEYWORDS
        .contains(&word.as_str())
        .then(|| word.clone())
}

fn evaluation_error(error: EvalAltResult, limits: &Limits) -> ParseError {
    let (mut error, outer_position) = innermost(error);
    let position = match error.take_position() {
        position if position.is_none() => outer_position,
        position => Position::from_rhai(position),
    };
    let limit_exceeded = |message: String| ParseError::LimitExceeded { message, position };
    match error {
        EvalAltResult::ErrorTerminated(..) => ParseError::Timeout {
            deadline: limits.deadline,
            position,
        },
        EvalAltResult::ErrorParsing(kind, _) => match forbidden_feature(&kind) {
            Some(feature) => ParseError::ForbiddenFeature { feature, position },
            None => ParseError::Syntax {
                message: kind.to_string(),
                position,
            },
        },
        EvalAltResult::ErrorTooManyOperations(_) => limit_exceeded(format!(
            "the script ran more than {} operations",
            limits.max_operations
        )),
        EvalAltResult::ErrorStackOverflow(_) => limit_exceeded(format!(
            "function calls nest more than {} deep",
            limits.max_call_depth
        )),
        EvalAltResult::ErrorDataTooLarge(what, _) => limit_exceeded(data_too_large(&what, limits)),
        EvalAltResult::ErrorTooManyVariables(_) | EvalAltResult::ErrorTooManyModules(_) => {
            limit_exceeded(error.to_string())
        }
        EvalAltResult::ErrorRuntime(value, _) => ParseError::Runtime {
            message: value.to_string(),
            position,
        },
        other => ParseError::Runtime {
            message: other.to_string(),
            position,
        },
    }
}

/// The error that started it all, unwrapped from the function calls it passed through, and the
/// position of the innermost call in case the error itself has none.
pub(crate) fn innermost(mut error: EvalAltResult) -> (EvalAltResult, Option<Position>) {
    let mut position = Position::from_rhai(error.position());
    while let EvalAltResult::ErrorInFunctionCall(_, _, inner, call) = error {
        position = Position::from_rhai(call).or(position);
        error = *inner;
    }
    (error, position)
}

pub(crate) fn data_too_large(what: &str, limits: &Limits) -> String {
    if what.contains("string") {
        format!(
            "strings exceed the limit of {} bytes",
            limits.max_string_size
        )
    } else if what.contains("array") {
        format!(
            "arrays exceed the limit of {} elements",
            limits.max_array_size
        )
    } else if what.contains("map") {
        format!("maps exceed the limit of {} entries", limits.max_map_size)
    } else {
        format!("{what} exceeds its limit")
    }
}
