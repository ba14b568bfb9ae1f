//! The catalog's object types: listings, versions, users and their metrics.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use service::catalog::reads;
use service::model::{Listing, ListingVersion};

use super::capabilities::Capabilities;
use super::context::{loader, principal, state};
use super::errors::GqlResult;
use super::ids::{self, Kind};
use super::loaders::{
    AuthorRecord, CapabilitiesOf, OwnersOf, RecentInstalls, UserById, VersionById,
};
use super::pagination::{PageInfo, page_size};
use crate::catalog::search::CategoryCount as CategoryCountRow;
use crate::error::{ErrorCode, ServiceError, graphql_error};

/// Who can find a listing.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Shown in search and browse.
    Public,
    /// Reachable by its slug only.
    Unlisted,
}

impl Visibility {
    fn parse(s: &str) -> Self {
        if s == "unlisted" {
            Self::Unlisted
        } else {
            Self::Public
        }
    }
}

impl From<Visibility> for crate::catalog::Visibility {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Public => Self::Public,
            Visibility::Unlisted => Self::Unlisted,
        }
    }
}

/// Whether a listing is maintained.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ListingStatus {
    /// Maintained and installable.
    Published,
    /// No longer maintained by its owners; still installable, hidden from browse by default.
    Deprecated,
}

/// A community connector listing.
pub struct Connector(pub Listing);

/// A community connector listing.
#[Object]
impl Connector {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Connector, self.0.id)
    }
    /// Unique, URL-safe name of the listing.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// One line on what it does.
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Long description, in Markdown.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Category slug, e.g. `crm`.
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// Keywords it is found by.
    async fn keywords(&self) -> Vec<String> {
        serde_json::from_value(self.0.keywords.clone()).unwrap_or_default()
    }
    /// Who can find it.
    async fn visibility(&self) -> Visibility {
        Visibility::parse(&self.0.visibility)
    }
    /// Closed source: only the owners can read the code.
    async fn source_hidden(&self) -> bool {
        self.0.source_hidden
    }
    /// Maintained or deprecated.
    async fn status(&self) -> ListingStatus {
        if self.0.status == "deprecated" {
            ListingStatus::Deprecated
        } else {
            ListingStatus::Published
        }
    }
    /// When the listing was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the listing or its versions last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The authors who maintain it, first owner first.
    async fn owners(&self, ctx: &Context<'_>) -> GqlResult<Vec<User>> {
        let owners = loader(ctx)?.load_one(OwnersOf(self.0.id)).await?;
        Ok(owners.unwrap_or_default().into_iter().map(User).collect())
    }
    /// The version new installs get: the newest stable version that is not yanked.
    async fn latest_version(&self, ctx: &Context<'_>) -> GqlResult<Option<ConnectorVersion>> {
        let Some(id) = self.0.latest_version_id else {
            return Ok(None);
        };
        let version = loader(ctx)?.load_one(VersionById(id)).await?;
        Ok(version.map(ConnectorVersion))
    }
    /// Published versions, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (at most the server's cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last version already seen.")] after: Option<String>,
        #[graphql(desc = "Include yanked versions.", default = true)] include_yanked: bool,
    ) -> GqlResult<ConnectorVersionConnection> {
        let state = state(ctx)?;
        let limit = page_size(first, 20, state.config.limits.max_page_size)?;
        let offset = ids::offset_after(after.as_deref())?;
        let (rows, total) =
            reads::versions_page(state, self.0.id, include_yanked, offset, limit).await?;
        let edges: Vec<ConnectorVersionEdge> = rows
            .into_iter()
            .enumerate()
            .map(|(i, v)| ConnectorVersionEdge {
                cursor: ids::offset_cursor(offset + i as u64),
                node: v.into(),
            })
            .collect();
        Ok(ConnectorVersionConnection {
            page_info: PageInfo {
                has_next_page: offset + (edges.len() as u64) < total,
                has_previous_page: offset > 0,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
            total_count: total as i64,
        })
    }
    /// One version by its number, e.g. `1.4.0`.
    async fn version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The semantic version.")] version: String,
    ) -> GqlResult<Option<ConnectorVersion>> {
        let found = reads::version_named(state(ctx)?, self.0.id, &version).await?;
        Ok(found.map(Into::into))
    }
    /// Install figures, all derived from the install ledger.
    async fn metrics(&self) -> InstallMetrics {
        InstallMetrics(self.0.clone())
    }
}

/// How much a listing is used. Every figure is arithmetic over recorded install events.
pub struct InstallMetrics(Listing);

/// How much a listing is used. Every figure is arithmetic over recorded install events.
#[Object]
impl InstallMetrics {
    /// Installs ever made (uninstalls do not subtract).
    async fn total_installs(&self) -> i64 {
        self.0.install_count
    }
    /// Workspaces holding a copy now.
    async fn active_installs(&self) -> i64 {
        self.0.active_installs
    }
    /// Installs made in the last 30 days, today included.
    async fn installs_last_30_days(&self, ctx: &Context<'_>) -> GqlResult<i64> {
        let n = loader(ctx)?.load_one(RecentInstalls(self.0.id)).await?;
        Ok(n.unwrap_or(0))
    }
    /// Installs per day over the last `days` days, oldest first, days without installs included.
    async fn daily_installs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many days back, 1 to 365.", default = 90)] days: i32,
    ) -> GqlResult<Vec<DailyInstalls>> {
        let days = u16::try_from(days)
            .ok()
            .filter(|days| (1..=365).contains(days))
            .ok_or_else(|| {
                graphql_error(ErrorCode::BadUserInput, "`days` must be between 1 and 365")
            })?;
        let rows = reads::daily_installs(state(ctx)?, self.0.id, days).await?;
        Ok(rows
            .into_iter()
            .map(|(date, installs)| DailyInstalls { date, installs })
            .collect())
    }
    /// Active installs per version, newest version first.
    async fn adoption(&self, ctx: &Context<'_>) -> GqlResult<Vec<VersionAdoption>> {
        let rows = reads::adoption(state(ctx)?, self.0.id).await?;
        Ok(rows
            .into_iter()
            .map(|row| VersionAdoption {
                version: row.version,
                active_installs: row.active_installs,
                installs: row.installs,
                share: row.share,
            })
            .collect())
    }
}

/// Installs on one day.
#[derive(SimpleObject, Debug, Clone)]
pub struct DailyInstalls {
    /// The UTC day.
    pub date: NaiveDate,
    /// Installs made that day.
    pub installs: i64,
}

/// How many workspaces follow one version.
#[derive(SimpleObject, Debug, Clone)]
pub struct VersionAdoption {
    /// The version.
    pub version: String,
    /// Workspaces whose copy follows this version now.
    pub active_installs: i64,
    /// Installs that chose this version.
    pub installs: i64,
    /// This version's share of all active installs, 0 to 1.
    pub share: f64,
}

/// One published version of a listing. Immutable, except that it can be yanked.
pub struct ConnectorVersion(pub std::sync::Arc<ListingVersion>);

impl From<ListingVersion> for ConnectorVersion {
    fn from(model: ListingVersion) -> Self {
        Self(std::sync::Arc::new(model))
    }
}

/// One published version of a listing. Immutable, except that it can be yanked.
#[Object]
impl ConnectorVersion {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::ConnectorVersion, self.0.id)
    }
    /// Semantic version.
    async fn version(&self) -> &str {
        &self.0.version
    }
    /// Hex sha256 of the source.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// Release notes, in Markdown.
    async fn release_notes(&self) -> &str {
        &self.0.release_notes
    }
    /// Upgrading to this version needs changes in recipes.
    async fn breaking(&self) -> bool {
        self.0.breaking
    }
    /// What breaks and how to adapt, when `breaking`.
    async fn breaking_message(&self) -> Option<&str> {
        self.0.breaking_message.as_deref()
    }
    /// Actions, triggers, connection fields and hosts, as extracted from the source at publish.
    async fn capabilities(&self, ctx: &Context<'_>) -> GqlResult<Capabilities> {
        if self.0.capabilities.is_null() {
            // Loaded without them (`stats::versions_shown`): fetch in a batch with the page's
            // other versions.
            let caps = loader(ctx)?
                .load_one(CapabilitiesOf(self.0.id))
                .await?
                .ok_or_else(|| {
                    ServiceError::Internal(anyhow::anyhow!(
                        "no capabilities for version {}",
                        self.0.id
                    ))
                })?;
            return Ok(sdk::Capabilities::clone(&caps).into());
        }
        Ok(reads::stored_capabilities(self.0.id, self.0.capabilities.clone())?.into())
    }
    /// When it was published.
    async fn published_at(&self) -> DateTime<Utc> {
        self.0.published_at
    }
    /// Who published it.
    async fn published_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        let user = loader(ctx)?.load_one(UserById(self.0.published_by)).await?;
        Ok(user.map(User))
    }
    /// Hidden from new installs; existing installs keep working.
    async fn yanked(&self) -> bool {
        self.0.yanked
    }
    /// When it was yanked.
    async fn yanked_at(&self) -> Option<DateTime<Utc>> {
        self.0.yanked_at
    }
    /// Installs that chose this version.
    async fn installs(&self) -> i64 {
        self.0.install_count
    }
    /// Workspaces whose copy follows this version now.
    async fn active_installs(&self) -> i64 {
        self.0.active_installs
    }
    /// The connector's source code. Readable with `CONNECTOR_VIEW_SOURCE` in the workspace named
    /// by `workspace`, or by the listing's owners; closed-source listings show it to owners only.
    async fn source(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The workspace whose permission to read source applies.")]
        workspace: Option<String>,
    ) -> GqlResult<String> {
        let source =
            reads::version_source(state(ctx)?, principal(ctx)?, &self.0, workspace.as_deref())
                .await?;
        Ok(source)
    }
    /// The listing this version belongs to.
    async fn connector(&self, ctx: &Context<'_>) -> GqlResult<Connector> {
        let listing = reads::existing_listing(state(ctx)?, self.0.connector_id).await?;
        Ok(Connector(listing))
    }
}

/// A person: an author of listings, a member of workspaces.
pub struct User(pub service::model::User);

/// A person: an author of listings, a member of workspaces.
#[Object]
impl User {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::User, self.0.id)
    }
    /// Unique handle.
    async fn handle(&self) -> &str {
        &self.0.handle
    }
    /// Name shown to others.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// E-mail address; only visible to the user themself.
    async fn email(&self, ctx: &Context<'_>) -> GqlResult<Option<&str>> {
        let own = principal(ctx)?.user_id() == Some(self.0.id);
        Ok(own.then_some(self.0.email.as_str()))
    }
    /// When the account was created.
    async fn member_since(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Their record as an author.
    async fn author_stats(&self, ctx: &Context<'_>) -> GqlResult<AuthorStats> {
        let stats = loader(ctx)?
            .load_one(AuthorRecord(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(AuthorStats {
            connectors_published: stats.connectors_published,
            total_installs: stats.total_installs,
            active_installs: stats.active_installs,
            versions_published: stats.versions_published,
            last_published_at: stats.last_published_at,
            member_since: self.0.created_at,
        })
    }
}

/// An author's record across the listings they own.
#[derive(SimpleObject, Debug, Clone)]
pub struct AuthorStats {
    /// Listings they own.
    pub connectors_published: i64,
    /// Installs across those listings.
    pub total_installs: i64,
    /// Active installs across those listings.
    pub active_installs: i64,
    /// Versions they published.
    pub versions_published: i64,
    /// When they last published a version.
    pub last_published_at: Option<DateTime<Utc>>,
    /// When their account was created.
    pub member_since: DateTime<Utc>,
}

/// How many listings a category holds.
#[derive(SimpleObject, Debug, Clone)]
pub struct CategoryCount {
    /// Category slug.
    pub category: String,
    /// Listings in it that match.
    pub count: i64,
}

impl From<CategoryCountRow> for CategoryCount {
    fn from(row: CategoryCountRow) -> Self {
        Self {
            category: row.category,
            count: row.count,
        }
    }
}

/// A page of versions.
#[derive(SimpleObject)]
pub struct ConnectorVersionConnection {
    /// The versions of this page, with cursors.
    pub edges: Vec<ConnectorVersionEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// Versions in the whole list.
    pub total_count: i64,
}

/// A version and its cursor.
#[derive(SimpleObject)]
pub struct ConnectorVersionEdge {
    /// Opaque position of this version in the list.
    pub cursor: String,
    /// The version.
    pub node: ConnectorVersion,
}
