//! Reaching request data from resolvers without `unwrap()`.

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache};

use super::errors::GqlResult;
use super::loaders::CatalogLoader;
use crate::auth::Principal;
use crate::error::{ErrorCode, graphql_error};
use crate::state::AppState;

/// Per-request data the HTTP layer puts into every GraphQL request.
pub struct RequestData {
    pub principal: Principal,
    pub loader: RequestLoader,
}

/// The per-request loader; it caches, so a page can prime it once for all its items.
pub type RequestLoader = DataLoader<CatalogLoader, HashMapCache>;

/// A fresh loader for one request.
pub fn request_loader(service: service::Service) -> RequestLoader {
    DataLoader::with_cache(
        CatalogLoader::new(service),
        tokio::spawn,
        HashMapCache::default(),
    )
}

fn missing(what: &str) -> crate::graphql::errors::GqlError {
    tracing::error!(what, "request data missing from GraphQL context");
    graphql_error(ErrorCode::InternalServerError, "internal server error")
}

pub fn state<'a>(ctx: &Context<'a>) -> GqlResult<&'a AppState> {
    ctx.data::<AppState>().map_err(|_| missing("AppState"))
}

pub fn request<'a>(ctx: &Context<'a>) -> GqlResult<&'a RequestData> {
    ctx.data::<RequestData>()
        .map_err(|_| missing("RequestData"))
}

pub fn principal<'a>(ctx: &Context<'a>) -> GqlResult<&'a Principal> {
    Ok(&request(ctx)?.principal)
}

pub fn loader<'a>(ctx: &Context<'a>) -> GqlResult<&'a RequestLoader> {
    Ok(&request(ctx)?.loader)
}
