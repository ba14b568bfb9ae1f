//! Why a connector's source was refused: one variant per way it can be bad.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A place in the connector's source; both numbers start at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why a connector's source was refused. Every message starts with where, when that is known.
///
/// | code | meaning |
/// |---|---|
/// | `SOURCE_TOO_LARGE` | the source exceeds [`Limits::max_source_bytes`](crate::Limits); it was not read |
/// | `SYNTAX` | the source is not a valid JavaScript module |
/// | `FORBIDDEN_FEATURE` | the source calls `eval` or `Function`, or imports a module, which connectors cannot |
/// | `RUNTIME` | evaluating the top level failed |
/// | `TIMEOUT` | evaluating the top level ran past the deadline |
/// | `LIMIT_EXCEEDED` | the memory or stack cap was hit, or a string or array grew past what QuickJS allows |
/// | `INVALID_DEFINITION` | the module's `export default` is not a valid connector definition |
/// | `INTERNAL` | the engine failed (a bug, or the machine is out of threads); not the source's fault |
/// | `WORKER_FAILED` | the worker process that parses crashed, exited with an error, or answered with something that is not an answer |
/// Serialized (derived, one object per variant) only between the server and its worker process.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ParseError {
    #[error("the source is {size} bytes, more than the limit of {limit}")]
    SourceTooLarge { size: usize, limit: usize },

    #[error("{}syntax error: {message}", at(.position))]
    Syntax {
        message: String,
        position: Option<Position>,
    },

    #[error("{}`{feature}` is not available to connectors", at(.position))]
    ForbiddenFeature {
        feature: String,
        position: Option<Position>,
    },

    #[error("{}{message}", at(.position))]
    Runtime {
        message: String,
        position: Option<Position>,
    },

    #[error("{}the script did not finish within {deadline:?}", at(.position))]
    Timeout {
        deadline: Duration,
        position: Option<Position>,
    },

    #[error("{}{message}", at(.position))]
    LimitExceeded {
        message: String,
        position: Option<Position>,
    },

    #[error("{}{}{message}", at(.position), within(.path))]
    InvalidDefinition {
        /// Dotted path to the offending value, like `actions.create_issue.input_fields[0].name`;
        /// empty for the definition as a whole.
        path: String,
        message: String,
        position: Option<Position>,
    },

    #[error("{message}")]
    Internal { message: String },

    /// The message says how the worker failed, never what it wrote.
    #[error("{message}")]
    WorkerFailed { message: String },
}

impl ParseError {
    /// The stable, upper-case code of this kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SourceTooLarge { .. } => "SOURCE_TOO_LARGE",
            Self::Syntax { .. } => "SYNTAX",
            Self::ForbiddenFeature { .. } => "FORBIDDEN_FEATURE",
            Self::Runtime { .. } => "RUNTIME",
            Self::Timeout { .. } => "TIMEOUT",
            Self::LimitExceeded { .. } => "LIMIT_EXCEEDED",
            Self::InvalidDefinition { .. } => "INVALID_DEFINITION",
            Self::Internal { .. } => "INTERNAL",
            Self::WorkerFailed { .. } => "WORKER_FAILED",
        }
    }

    /// Where in the source the error is, when that is known.
    pub fn position(&self) -> Option<Position> {
        match self {
            Self::Syntax { position, .. }
            | Self::ForbiddenFeature { position, .. }
            | Self::Runtime { position, .. }
            | Self::Timeout { position, .. }
            | Self::LimitExceeded { position, .. }
            | Self::InvalidDefinition { position, .. } => *position,
            Self::SourceTooLarge { .. } | Self::Internal { .. } | Self::WorkerFailed { .. } => None,
        }
    }

    /// The error with `f` applied to every text it carries (messages, paths, feature names).
    pub(crate) fn map_text(self, f: &mut impl FnMut(String) -> String) -> Self {
        match self {
            Self::Syntax { message, position } => Self::Syntax {
                message: f(message),
                position,
            },
            Self::ForbiddenFeature { feature, position } => Self::ForbiddenFeature {
                feature: f(feature),
                position,
            },
            Self::Runtime { message, position } => Self::Runtime {
                message: f(message),
                position,
            },
            Self::LimitExceeded { message, position } => Self::LimitExceeded {
                message: f(message),
                position,
            },
            Self::InvalidDefinition {
                path,
                message,
                position,
            } => Self::InvalidDefinition {
                path: f(path),
                message: f(message),
                position,
            },
            Self::Internal { message } => Self::Internal {
                message: f(message),
            },
            other @ (Self::SourceTooLarge { .. }
            | Self::Timeout { .. }
            | Self::WorkerFailed { .. }) => other,
        }
    }

    /// The dotted path to the offending part of the definition, for `INVALID_DEFINITION` errors
    /// about anything below the definition as a whole.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::InvalidDefinition { path, .. } if !path.is_empty() => Some(path),
            _ => None,
        }
    }
}

fn at(position: &Option<Position>) -> String {
    position.map(|p| format!("{p}: ")).unwrap_or_default()
}

fn within(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_says_where_then_what() {
        let error = ParseError::InvalidDefinition {
            path: "actions.create_issue".into(),
            message: "missing `execute`".into(),
            position: Some(Position {
                line: 12,
                column: 5,
            }),
        };
        assert_eq!(
            error.to_string(),
            "line 12, column 5: actions.create_issue: missing `execute`"
        );
        assert_eq!(error.code(), "INVALID_DEFINITION");
        assert_eq!(error.path(), Some("actions.create_issue"));
    }

    #[test]
    fn message_without_position_or_path_is_just_what() {
        let error = ParseError::InvalidDefinition {
            path: String::new(),
            message: "missing `title`".into(),
            position: None,
        };
        assert_eq!(error.to_string(), "missing `title`");
        assert_eq!(error.path(), None);
    }
}
