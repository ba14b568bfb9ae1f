//! Why a run failed: one variant per way it can fail, each with a stable code.

use std::time::Duration;

use crate::{ParseError, Position};

/// Why a run of a connector failed. Every message starts with where in the source, when known.
///
/// | code | meaning |
/// |---|---|
/// | `INVALID_SOURCE` | the source does not parse; wraps the [`ParseError`] |
/// | `UNKNOWN_ACTION`, `UNKNOWN_TRIGGER`, `UNKNOWN_PICK_LIST` | the connector has no such operation |
/// | `INVALID_INPUT` | the input does not match the operation's `input_fields` |
/// | `RUNTIME` | the script failed (a `throw`, a type error, a missing function …) |
/// | `TIMEOUT` | the run passed its deadline |
/// | `LIMIT_EXCEEDED` | an operation, call depth, string, array or map limit was hit |
/// | `EGRESS_DENIED` | a request to a host the connector does not declare, to a private address, or a redirect to another host |
/// | `HTTP` | a response with status 400 or more that the script did not catch |
/// | `REQUEST_LIMIT` | the run made more requests than allowed |
/// | `RESPONSE_TOO_LARGE` | a response was larger than allowed; it was not read further |
/// | `NETWORK` | connecting, TLS, a request timeout or a malformed response |
/// | `INTERNAL` | the runtime itself failed; not the connector's fault |
/// | `WORKER_FAILED` | the worker process running the connector crashed, exited with an error, or answered with something that is not an answer; its logs and trace are lost |
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the connector's source is invalid: {0}")]
    InvalidSource(#[from] ParseError),

    #[error("the connector has no action named `{name}`")]
    UnknownAction { name: String },

    #[error("the connector has no trigger named `{name}`")]
    UnknownTrigger { name: String },

    #[error("the connector has no pick list named `{name}`")]
    UnknownPickList { name: String },

    #[error("{}{message}", within(.field))]
    InvalidInput {
        /// Path to the offending input field, like `lines[0].sku`; empty for the input as a whole.
        field: String,
        message: String,
    },

    #[error("{}{message}", at(.position))]
    Runtime {
        message: String,
        position: Option<Position>,
    },

    #[error("{}the run did not finish within {deadline:?}", at(.position))]
    Timeout {
        deadline: Duration,
        position: Option<Position>,
    },

    #[error("{}{message}", at(.position))]
    LimitExceeded {
        message: String,
        position: Option<Position>,
    },

    #[error("{}request to {url} refused: {reason}", at(.position))]
    EgressDenied {
        url: String,
        reason: String,
        position: Option<Position>,
    },

    #[error("{}{method} {url} answered HTTP {status}{}", at(.position), detail(.body))]
    Http {
        status: u16,
        method: String,
        url: String,
        /// The start of the response body, redacted.
        body: String,
        position: Option<Position>,
    },

    #[error("{}more than {limit} requests in one run", at(.position))]
    RequestLimit {
        limit: usize,
        position: Option<Position>,
    },

    #[error("{}the response from {url} is larger than {limit} bytes", at(.position))]
    ResponseTooLarge {
        url: String,
        limit: usize,
        position: Option<Position>,
    },

    #[error("{}{method} {url} failed: {message}", at(.position))]
    Network {
        method: String,
        url: String,
        message: String,
        position: Option<Position>,
    },

    #[error("{message}")]
    Internal { message: String },

    /// The message says how the worker failed, never what it wrote.
    #[error("{message}")]
    WorkerFailed { message: String },
}

impl RunError {
    /// The stable, upper-case code of this kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidSource(_) => "INVALID_SOURCE",
            Self::UnknownAction { .. } => "UNKNOWN_ACTION",
            Self::UnknownTrigger { .. } => "UNKNOWN_TRIGGER",
            Self::UnknownPickList { .. } => "UNKNOWN_PICK_LIST",
            Self::InvalidInput { .. } => "INVALID_INPUT",
            Self::Runtime { .. } => "RUNTIME",
            Self::Timeout { .. } => "TIMEOUT",
            Self::LimitExceeded { .. } => "LIMIT_EXCEEDED",
            Self::EgressDenied { .. } => "EGRESS_DENIED",
            Self::Http { .. } => "HTTP",
            Self::RequestLimit { .. } => "REQUEST_LIMIT",
            Self::ResponseTooLarge { .. } => "RESPONSE_TOO_LARGE",
            Self::Network { .. } => "NETWORK",
            Self::Internal { .. } => "INTERNAL",
            Self::WorkerFailed { .. } => "WORKER_FAILED",
        }
    }

    /// Where in the source the error is, when that is known.
    pub fn position(&self) -> Option<Position> {
        match self {
            Self::InvalidSource(error) => error.position(),
            Self::Runtime { position, .. }
            | Self::Timeout { position, .. }
            | Self::LimitExceeded { position, .. }
            | Self::EgressDenied { position, .. }
            | Self::Http { position, .. }
            | Self::RequestLimit { position, .. }
            | Self::ResponseTooLarge { position, .. }
            | Self::Network { position, .. } => *position,
            Self::UnknownAction { .. }
            | Self::UnknownTrigger { .. }
            | Self::UnknownPickList { .. }
            | Self::InvalidInput { .. }
            | Self::Internal { .. }
            | Self::WorkerFailed { .. } => None,
        }
    }

    /// The HTTP status of an `HTTP` error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error with `f` applied to every text it carries: messages, URLs, quoted bodies,
    /// reasons, names and field paths.
    pub(crate) fn map_text(self, f: &mut impl FnMut(String) -> String) -> Self {
        match self {
            Self::InvalidSource(error) => Self::InvalidSource(error.map_text(f)),
            Self::UnknownAction { name } => Self::UnknownAction { name: f(name) },
            Self::UnknownTrigger { name } => Self::UnknownTrigger { name: f(name) },
            Self::UnknownPickList { name } => Self::UnknownPickList { name: f(name) },
            Self::InvalidInput { field, message } => Self::InvalidInput {
                field: f(field),
                message: f(message),
            },
            Self::Runtime { message, position } => Self::Runtime {
                message: f(message),
                position,
            },
            Self::LimitExceeded { message, position } => Self::LimitExceeded {
                message: f(message),
                position,
            },
            Self::EgressDenied {
                url,
                reason,
                position,
            } => Self::EgressDenied {
                url: f(url),
                reason: f(reason),
                position,
            },
            Self::Http {
                status,
                method,
                url,
                body,
                position,
            } => Self::Http {
                status,
                method,
                url: f(url),
                body: f(body),
                position,
            },
            Self::ResponseTooLarge {
                url,
                limit,
                position,
            } => Self::ResponseTooLarge {
                url: f(url),
                limit,
                position,
            },
            Self::Network {
                method,
                url,
                message,
                position,
            } => Self::Network {
                method,
                url: f(url),
                message: f(message),
                position,
            },
            Self::Internal { message } => Self::Internal {
                message: f(message),
            },
            other @ (Self::Timeout { .. }
            | Self::RequestLimit { .. }
            | Self::WorkerFailed { .. }) => other,
        }
    }

    /// Sets the position, for errors that carry one and do not have one yet.
    pub(crate) fn at(mut self, new: Option<Position>) -> Self {
        match &mut self {
            Self::Runtime { position, .. }
            | Self::Timeout { position, .. }
            | Self::LimitExceeded { position, .. }
            | Self::EgressDenied { position, .. }
            | Self::Http { position, .. }
            | Self::RequestLimit { position, .. }
            | Self::ResponseTooLarge { position, .. }
            | Self::Network { position, .. }
                if position.is_none() =>
            {
                *position = new;
            }
            _ => {}
        }
        self
    }
}

impl serde::Serialize for RunError {
    /// `{ code, message, line, column }`, the shape a client shows.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct("RunError", 5)?;
        state.serialize_field("code", self.code())?;
        state.serialize_field("message", &self.to_string())?;
        state.serialize_field("line", &self.position().map(|p| p.line))?;
        state.serialize_field("column", &self.position().map(|p| p.column))?;
        state.serialize_field("status", &self.status())?;
        state.end()
    }
}

fn at(position: &Option<Position>) -> String {
    position.map(|p| format!("{p}: ")).unwrap_or_default()
}

fn within(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

fn detail(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}
