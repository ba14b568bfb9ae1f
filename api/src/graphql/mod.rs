//! The GraphQL schema, by domain. Resolvers are thin: they read request data, call a service in
//! `crate::catalog` (or `crate::auth`), and shape the result. They never decide permissions
//! beyond calling the one authorization check, and never write to the database themselves.

pub mod capabilities;
pub mod catalog;
pub mod context;
pub mod copies;
pub mod debugger;
pub mod errors;
pub mod ids;
pub mod jobs;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod packages;
pub mod pagination;
pub mod query;
pub mod recipes;
pub mod workspace;
pub mod workspace_ops;

use async_graphql::{MergedObject, Schema};

use crate::config::RequestLimits;
use crate::state::AppState;

/// Reading Patchbay: the community catalog, any object by id, and the caller.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(query::CatalogQueryRoot, workspace_ops::WorkspaceQueryRoot);

/// Changing Patchbay. Every mutation takes one `input` and returns a payload with `userErrors`.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    mutation::CatalogMutationRoot,
    workspace_ops::WorkspaceMutationRoot,
    recipes::RecipeMutationRoot,
    debugger::DebuggerMutationRoot,
    packages::PackageMutationRoot,
);

pub type PatchbaySchema = Schema<QueryRoot, MutationRoot, workspace_ops::SubscriptionRoot>;

/// Build the schema with its limits. `state` may be absent only to print the SDL.
pub fn build_schema(
    state: Option<AppState>,
    limits: &RequestLimits,
    introspection: bool,
) -> PatchbaySchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        workspace_ops::SubscriptionRoot,
    )
    // The document guard bounds every document first and counts it as expanded; async-graphql's
    // own limits stay behind it as a backstop (its depth counts `ofType`, ours does not).
    .extension(limits::DocumentGuard(limits::DocumentLimits::from_config(
        limits,
    )))
    .limit_depth(limits.max_depth + limits::MAX_OF_TYPE_CHAIN)
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(limits::MAX_NESTING)
    .limit_directives(limits::MAX_DIRECTIVES_PER_FIELD);
    if !introspection {
        // "Did you mean …" would name fields of a schema that is not to be read.
        builder = builder.disable_introspection().disable_suggestions();
    }
    if let Some(state) = state {
        builder = builder
            .extension(crate::response_cache::ForgetOnWrite(
                state.responses.clone(),
            ))
            .data(state);
    }
    builder.finish()
}

/// Does `document` run a mutation: the operation named `operation`, or any of its operations
/// when no name is given? (A document with one operation needs no name.)
pub fn runs_mutation(
    document: &async_graphql::parser::types::ExecutableDocument,
    operation: Option<&str>,
) -> bool {
    use async_graphql::parser::types::OperationType;
    document.operations.iter().any(|(name, op)| {
        let selected = match (operation, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        selected && op.node.ty == OperationType::Mutation
    })
}

/// The schema as SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, &RequestLimits::default(), true).sdl()
}
