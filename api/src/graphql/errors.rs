//! The domain's errors in GraphQL's terms: the two enums the schema shows (mirrors of
//! `service::error::ErrorCode` and `service::authz::Permission`, converted both ways by
//! async-graphql's `remote`), and a service error turned into a GraphQL error with its code.

use async_graphql::{Enum, ErrorExtensions};
use service::error::ServiceError;

/// Stable, documented error codes. Every error a client sees carries exactly one of these, either
/// as `extensions.code` on a GraphQL error or as `code` on a mutation's `userErrors`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "service::error::ErrorCode")]
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

/// Something a role may allow in a workspace. The wire names (`connector.install`, …) are the
/// object and action of casbin policy lines.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[graphql(remote = "service::authz::Permission")]
pub enum Permission {
    /// Install a community connector into the workspace.
    ConnectorInstall,
    /// Read connector source code.
    ConnectorViewSource,
    /// Edit, update and restore workspace copies.
    ConnectorEdit,
    /// Release a copy's latest version to recipes.
    ConnectorRelease,
    /// Uninstall a copy.
    ConnectorUninstall,
    /// Run connectors in the debugger console.
    ConnectorTest,
    /// See recipes.
    RecipeRead,
    /// Create, change and delete recipes.
    RecipeWrite,
    /// Start and stop recipes.
    RecipeRun,
    /// Create and change connections, including their secrets.
    ConnectionWrite,
    /// Export packages.
    PackageExport,
    /// Import packages.
    PackageImport,
    /// Add and remove members and assign their roles.
    WorkspaceManageMembers,
    /// Create and change custom roles.
    WorkspaceManageRoles,
    /// Read the audit log.
    AuditRead,
}

/// A service error as the GraphQL error a client sees.
pub trait IntoGraphql {
    /// Internal errors are logged here, with their whole chain, and replaced by a generic
    /// message; every other error keeps its message and carries its code.
    fn into_graphql(self) -> async_graphql::Error;
}

impl IntoGraphql for ServiceError {
    fn into_graphql(self) -> async_graphql::Error {
        to_graphql(&self)
    }
}

fn to_graphql(err: &ServiceError) -> async_graphql::Error {
    if let ServiceError::Internal(inner) = err {
        tracing::error!(error = format!("{inner:#}"), "internal error");
    }
    coded(err.code(), err.message())
}

fn coded(code: service::error::ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, ext| ext.set("code", code.as_str()))
}

/// A GraphQL error with a code, for failures raised in the GraphQL layer itself.
pub fn graphql_error(code: service::error::ErrorCode, message: impl Into<String>) -> GqlError {
    GqlError(coded(code, message))
}

/// What a resolver returns. `?` takes a service error (keeping its code, see [`IntoGraphql`])
/// as well as a GraphQL error; async-graphql reads it back as its own.
pub type GqlResult<T> = Result<T, GqlError>;

/// A GraphQL error, made from a service error or raised by the GraphQL layer itself.
///
/// Like `ServiceError`, it deliberately does not implement `Display`: async-graphql converts
/// anything that does into an error without a code.
#[derive(Debug, Clone)]
pub struct GqlError(async_graphql::Error);

impl From<ServiceError> for GqlError {
    fn from(err: ServiceError) -> Self {
        Self(err.into_graphql())
    }
}

/// A batch loader's failure, which every key of the batch shares.
impl From<std::sync::Arc<ServiceError>> for GqlError {
    fn from(err: std::sync::Arc<ServiceError>) -> Self {
        Self(to_graphql(&err))
    }
}

impl From<async_graphql::Error> for GqlError {
    fn from(err: async_graphql::Error) -> Self {
        Self(err)
    }
}

impl From<GqlError> for async_graphql::Error {
    fn from(err: GqlError) -> Self {
        err.0
    }
}
