//! Query roots, one per domain, merged in `schema.rs`.

use async_graphql::{Context, Enum, ID, Interface, Object, SimpleObject};
use service::catalog::reads;

use super::catalog::{CategoryCount, Connector, ConnectorVersion, User};
use super::context::{loader, principal, state};
use super::errors::GqlResult;
use super::ids::{self, Kind};
use super::loaders::prime_listings;
use super::pagination::{PageInfo, page_size};
use crate::catalog::listings;
use crate::catalog::search::{self, CatalogQuery, CatalogSort};
use crate::error::{ErrorCode, ServiceError, graphql_error};

/// How to order listings.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConnectorSort {
    /// Best match for the search text first, installs breaking ties; with no text, most installed.
    Relevance,
    /// Most installed first.
    Installs,
    /// Most installs in the last 30 days first.
    Trending,
    /// Newest listing first.
    Newest,
    /// Alphabetical by name.
    Name,
}

impl From<ConnectorSort> for CatalogSort {
    fn from(s: ConnectorSort) -> Self {
        match s {
            ConnectorSort::Relevance => Self::Relevance,
            ConnectorSort::Installs => Self::Installs,
            ConnectorSort::Trending => Self::Trending,
            ConnectorSort::Newest => Self::Newest,
            ConnectorSort::Name => Self::Name,
        }
    }
}

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    Connector(Connector),
    ConnectorVersion(ConnectorVersion),
    User(User),
}

/// Browsing and searching the community catalog. Needs no account.
#[derive(Default)]
pub struct CatalogQueryRoot;

#[Object]
impl CatalogQueryRoot {
    /// Public listings: full-text search over names, summaries, descriptions, keywords and
    /// action/trigger titles, with a category filter, sorts and category facets.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 10")]
    #[allow(clippy::too_many_arguments)] // one per GraphQL argument
    async fn connectors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 20, at most the server's cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last listing already seen.")] after: Option<String>,
        #[graphql(desc = "Words to search for; each must match (as a prefix).")] query: Option<
            String,
        >,
        #[graphql(desc = "Only listings of this category.")] category: Option<String>,
        #[graphql(
            desc = "Order of the results.",
            default_with = "ConnectorSort::Relevance"
        )]
        sort: ConnectorSort,
        #[graphql(desc = "Include deprecated listings.", default = false)] include_deprecated: bool,
    ) -> GqlResult<ConnectorConnection> {
        let state = state(ctx)?;
        let limit = page_size(first, 20, state.config.limits.max_page_size)?;
        let offset = ids::offset_after(after.as_deref())?;
        if query.as_ref().is_some_and(|q| q.chars().count() > 500) {
            return Err(graphql_error(
                ErrorCode::BadUserInput,
                "`query` is at most 500 characters",
            ));
        }
        let q = CatalogQuery {
            text: query,
            category,
            include_deprecated,
            sort: sort.into(),
            offset,
            limit,
            rank_candidates: state.config.search_rank_candidates,
        };
        let page = search::search(&state.db, &q)
            .await
            .map_err(ServiceError::from)?;
        let look_ahead = ctx.look_ahead();
        for node in [
            look_ahead.field("edges").field("node"),
            look_ahead.field("nodes"),
        ] {
            if node.exists() {
                prime_listings(loader(ctx)?, &node, &page.listings).await?;
            }
        }
        let edges: Vec<ConnectorEdge> = page
            .listings
            .into_iter()
            .enumerate()
            .map(|(i, listing)| ConnectorEdge {
                cursor: ids::offset_cursor(offset + i as u64),
                node: Connector(listing),
            })
            .collect();
        Ok(ConnectorConnection {
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                has_previous_page: offset > 0,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
            total: page.total,
            query: q,
        })
    }

    /// One listing by slug, public or unlisted.
    async fn connector(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The listing's slug.")] slug: String,
    ) -> GqlResult<Option<Connector>> {
        let listing = listings::find_by_slug(&state(ctx)?.db, &slug).await?;
        Ok(Some(Connector(listing)))
    }

    /// Every category of public listings, with how many listings it holds.
    async fn categories(&self, ctx: &Context<'_>) -> GqlResult<Vec<CategoryCount>> {
        let q = CatalogQuery {
            text: None,
            category: None,
            include_deprecated: false,
            sort: CatalogSort::Name,
            offset: 0,
            limit: 0,
            rank_candidates: search::RANK_CANDIDATES,
        };
        let rows = search::facets(&state(ctx)?.db, &q)
            .await
            .map_err(ServiceError::from)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Any object by its global id.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> GqlResult<Option<Node>> {
        let svc = state(ctx)?;
        let Some((kind, raw)) = ids::decode(&id) else {
            return Ok(None);
        };
        let node = match kind {
            Kind::Connector => reads::listing(svc, raw)
                .await?
                .map(|m| Node::Connector(Connector(m))),
            Kind::ConnectorVersion => reads::version(svc, raw)
                .await?
                .map(|m| Node::ConnectorVersion(m.into())),
            Kind::User => reads::user(svc, raw).await?.map(|m| Node::User(User(m))),
            // Workspace objects are reached through `workspace(slug:)`, which checks membership.
            Kind::Workspace
            | Kind::WorkspaceConnector
            | Kind::Notification
            | Kind::Recipe
            | Kind::Connection
            | Kind::Package
            | Kind::Job => None,
        };
        Ok(node)
    }

    /// The caller.
    async fn viewer(&self, ctx: &Context<'_>) -> GqlResult<Viewer> {
        Ok(Viewer {
            user: principal(ctx)?.user.clone().map(User),
        })
    }
}

/// The caller of this request.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The signed-in user; null when the request carries no token.
    pub user: Option<User>,
}

/// A page of listings.
pub struct ConnectorConnection {
    edges: Vec<ConnectorEdge>,
    page_info: PageInfo,
    /// Known when the page query counted its matches already.
    total: Option<i64>,
    query: CatalogQuery,
}

/// A page of listings.
#[Object]
impl ConnectorConnection {
    /// The listings of this page, with cursors.
    async fn edges(&self) -> &[ConnectorEdge] {
        &self.edges
    }
    /// The listings of this page.
    async fn nodes(&self) -> Vec<&Connector> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// Listings matching the query in all.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<i64> {
        if let Some(total) = self.total {
            return Ok(total);
        }
        Ok(search::count(&state(ctx)?.db, &self.query)
            .await
            .map_err(ServiceError::from)?)
    }
    /// Matches per category, ignoring the category filter so other categories stay selectable.
    async fn category_facets(&self, ctx: &Context<'_>) -> GqlResult<Vec<CategoryCount>> {
        let rows = search::facets(&state(ctx)?.db, &self.query)
            .await
            .map_err(ServiceError::from)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// A listing and its cursor.
#[derive(SimpleObject)]
pub struct ConnectorEdge {
    /// Opaque position of this listing in the results.
    pub cursor: String,
    /// The listing.
    pub node: Connector,
}
