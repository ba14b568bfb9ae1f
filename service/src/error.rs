//! The one table of error codes, and the error type every service returns.
//!
//! Two kinds of failure, kept apart on purpose:
//! - **the user's to fix** (`ServiceError::User`): bad input, a conflict with existing data. Mutations
//!   return these as `userErrors` in their payload, with a field path and a code.
//! - **everything else**: not signed in, not allowed, not found — a GraphQL error carrying
//!   `extensions.code` — and our own faults (`Internal`), whose detail goes to the log and never to
//!   the client.

/// Stable, documented error codes. Every error a client sees carries exactly one of these, either
/// as `extensions.code` on a GraphQL error or as `code` on a mutation's `userErrors`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request needs a valid API token (`Authorization: Bearer …`) and has none, or an
    /// invalid, expired or revoked one.
    Unauthenticated,
    /// The caller is known but lacks the permission for this operation.
    Forbidden,
    /// The object does not exist, or the caller may not know that it exists.
    NotFound,
    /// The input is malformed or violates a rule; the message says which and where.
    BadUserInput,
    /// The input conflicts with existing data (a taken slug, a version already published).
    Conflict,
    /// The request is larger or more complex than this server accepts.
    LimitExceeded,
    /// Something failed on our side; details are in the server log under the request id.
    InternalServerError,
}

impl ErrorCode {
    /// The wire form used in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The HTTP status of a response whose first error carries this code, when the request
    /// failed as a whole (a plain GraphQL error with data is still `200`).
    pub fn http_status(self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::InternalServerError => 500,
            Self::BadUserInput | Self::Conflict | Self::LimitExceeded => 400,
        }
    }
}

/// A problem the user can fix, reported against an input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProblem {
    /// Path of the input field, e.g. `["input", "source"]`.
    pub field: Vec<String>,
    pub message: String,
    pub code: ErrorCode,
    /// Where in a connector's source the problem is, when it is about source.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The finer reason, as a value, when another part of the system named one: the SDK's
    /// parse error code (`SYNTAX`, `INVALID_DEFINITION`, …) or the packager's (`ZIP_BOMB`,
    /// `BAD_SIGNATURE`, …). The message says it to people; code matches on this.
    pub reason: Option<&'static str>,
}

impl UserProblem {
    pub fn new(field: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: field.iter().map(|s| (*s).to_owned()).collect(),
            message: message.into(),
            code,
            line: None,
            column: None,
            reason: None,
        }
    }

    /// The same problem, with its finer reason named.
    pub fn because(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    pub fn bad_input(field: &[&str], message: impl Into<String>) -> Self {
        Self::new(field, ErrorCode::BadUserInput, message)
    }

    pub fn conflict(field: &[&str], message: impl Into<String>) -> Self {
        Self::new(field, ErrorCode::Conflict, message)
    }
}

/// What a service call can fail with.
///
/// It deliberately does not implement `Display`: async-graphql converts anything that does into
/// an error *without* a code, so a stray `?` would lose it. The conversion below keeps the code.
#[derive(Debug)]
pub enum ServiceError {
    /// No valid token.
    Unauthenticated,
    /// Signed in, but not allowed to do this (the action, in words).
    Forbidden(String),
    /// No such object, or one the caller may not know about (what, in words).
    NotFound(String),
    /// Problems the user can fix.
    User(Vec<UserProblem>),
    /// Our fault.
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for ServiceError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(err: sea_orm::DbErr) -> Self {
        if is_nul_in_text(&err) {
            // PostgreSQL cannot store NUL in text or JSON (SQLSTATE 22021, 22P05). It is the
            // input's fault, and a field missed by the checks at the edge must still not look
            // like ours.
            return Self::User(vec![UserProblem::bad_input(
                &["input"],
                "text must not contain NUL characters",
            )]);
        }
        Self::Internal(anyhow::Error::new(err))
    }
}

fn is_nul_in_text(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx_err = match err {
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    sqlx_err
        .as_database_error()
        .and_then(|db| db.code())
        // 22021: NUL in text; 22P05: `\u0000` in json/jsonb.
        .is_some_and(|code| code == "22021" || code == "22P05")
}

impl From<UserProblem> for ServiceError {
    fn from(problem: UserProblem) -> Self {
        Self::User(vec![problem])
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    /// What a client is told (internal detail excluded).
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required: send a valid API token as \
                                      `Authorization: Bearer <token>`"
                .to_owned(),
            Self::Forbidden(action) => format!("you are not allowed to {action}"),
            Self::NotFound(what) => format!("{what} not found"),
            Self::User(problems) => problems
                .iter()
                .map(|p| match p.field.last() {
                    Some(field) => format!("{field}: {}", p.message),
                    None => p.message.clone(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            Self::Internal(_) => "internal server error".to_owned(),
        }
    }

    /// For command-line use, where the internal detail is wanted.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            Self::Internal(err) => err,
            other => anyhow::anyhow!(other.message()),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::User(problems) => problems
                .first()
                .map(|p| p.code)
                .unwrap_or(ErrorCode::BadUserInput),
            Self::Internal(_) => ErrorCode::InternalServerError,
        }
    }
}

/// A write that may hit a unique index: its violation becomes `taken` (a user error), any other
/// failure stays ours.
pub fn unless_taken<T>(
    result: Result<T, sea_orm::DbErr>,
    taken: impl FnOnce() -> ServiceError,
) -> ServiceResult<T> {
    match result {
        Ok(value) => Ok(value),
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Err(taken())
        }
        Err(err) => Err(err.into()),
    }
}
