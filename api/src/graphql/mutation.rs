//! Catalog mutations: each takes one `input` and returns a payload with the result and the
//! `userErrors` the caller can fix. Not signed in, not allowed and not found are GraphQL errors.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::catalog::{Connector, ConnectorVersion, Visibility};
use super::context::{principal, state};
use super::errors::GqlResult;
use crate::catalog::{ListingPatch, NewListing, NewVersion, listings};
use crate::error::{ServiceError, ServiceResult, UserProblem};

/// A problem with the input that the caller can fix.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    /// Path to the input field at fault, e.g. `["input", "source"]`.
    pub field: Vec<String>,
    /// What is wrong, in words.
    pub message: String,
    /// Stable code: `BAD_USER_INPUT` or `CONFLICT`.
    pub code: super::errors::ErrorCode,
    /// Line in the connector source, when the problem is in the source.
    pub line: Option<i32>,
    /// Column in the connector source, when the problem is in the source.
    pub column: Option<i32>,
}

impl From<UserProblem> for UserError {
    fn from(p: UserProblem) -> Self {
        Self {
            field: p.field,
            message: p.message,
            code: p.code.into(),
            line: p.line.and_then(|n| i32::try_from(n).ok()),
            column: p.column.and_then(|n| i32::try_from(n).ok()),
        }
    }
}

/// Split a service result into the payload's value and its user errors; every other failure
/// becomes a GraphQL error with its code.
pub fn split<T>(result: ServiceResult<T>) -> GqlResult<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(ServiceError::User(problems)) => {
            Ok((None, problems.into_iter().map(UserError::from).collect()))
        }
        Err(other) => Err(other.into()),
    }
}

/// A new listing and its first version.
#[derive(InputObject)]
pub struct CreateConnectorInput {
    /// Unique, URL-safe name: lowercase letters, digits and hyphens.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// One line on what it does (at most 160 characters).
    pub summary: String,
    /// Long description, in Markdown.
    #[graphql(default)]
    pub description: String,
    /// Category slug, e.g. `crm`.
    pub category: String,
    /// Keywords it should be found by (at most 12).
    #[graphql(default)]
    pub keywords: Vec<String>,
    /// Who can find it.
    #[graphql(default_with = "Visibility::Public")]
    pub visibility: Visibility,
    /// Closed source: only owners can read the code.
    #[graphql(default)]
    pub source_hidden: bool,
    /// The first version's number, e.g. `1.0.0`.
    pub version: String,
    /// The connector's source: a JavaScript module whose `export default` is its definition.
    pub source: String,
    /// Release notes of the first version, in Markdown.
    #[graphql(default)]
    pub release_notes: String,
}

/// The created listing.
#[derive(SimpleObject)]
pub struct CreateConnectorPayload {
    /// The listing, when created.
    pub connector: Option<Connector>,
    /// Its first version, when created.
    pub version: Option<ConnectorVersion>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A new version of a listing.
#[derive(InputObject)]
pub struct PublishVersionInput {
    /// The listing's slug.
    pub slug: String,
    /// The version's number; must be greater than every published version.
    pub version: String,
    /// The connector's source: a JavaScript module whose `export default` is its definition.
    pub source: String,
    /// Release notes, in Markdown.
    #[graphql(default)]
    pub release_notes: String,
    /// Set when the version breaks existing uses: what breaks and how to adapt.
    pub breaking: Option<String>,
}

/// The published version.
#[derive(SimpleObject)]
pub struct PublishVersionPayload {
    /// The version, when published.
    pub version: Option<ConnectorVersion>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Yank or restore a version.
#[derive(InputObject)]
pub struct YankVersionInput {
    /// The listing's slug.
    pub slug: String,
    /// The version's number.
    pub version: String,
    /// `true` to yank, `false` to make it installable again.
    #[graphql(default = true)]
    pub yanked: bool,
}

/// The version after the change.
#[derive(SimpleObject)]
pub struct YankVersionPayload {
    /// The version.
    pub version: Option<ConnectorVersion>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Changes to a listing; absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateConnectorInput {
    /// The listing's slug.
    pub slug: String,
    /// New display name.
    pub name: Option<String>,
    /// New summary.
    pub summary: Option<String>,
    /// New description, in Markdown.
    pub description: Option<String>,
    /// New category.
    pub category: Option<String>,
    /// New keywords (replacing the old ones).
    pub keywords: Option<Vec<String>>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// Hide or show the source to non-owners.
    pub source_hidden: Option<bool>,
    /// Deprecate (`true`) or un-deprecate (`false`) the listing.
    pub deprecated: Option<bool>,
}

/// The listing after the change.
#[derive(SimpleObject)]
pub struct UpdateConnectorPayload {
    /// The listing.
    pub connector: Option<Connector>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// An owner to add to or remove from a listing.
#[derive(InputObject)]
pub struct ConnectorOwnerInput {
    /// The listing's slug.
    pub slug: String,
    /// The user's handle.
    pub handle: String,
}

/// The listing after the change of owners.
#[derive(SimpleObject)]
pub struct ConnectorOwnerPayload {
    /// The listing.
    pub connector: Option<Connector>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Publishing to the community catalog. Every mutation needs a token; all but
/// `createConnector` need ownership of the listing.
#[derive(Default)]
pub struct CatalogMutationRoot;

#[Object]
impl CatalogMutationRoot {
    /// Create a listing with its first version. The caller becomes its owner.
    async fn create_connector(
        &self,
        ctx: &Context<'_>,
        input: CreateConnectorInput,
    ) -> GqlResult<CreateConnectorPayload> {
        let user = principal(ctx)?.require_user()?;
        let listing = NewListing {
            slug: input.slug,
            name: input.name,
            summary: input.summary,
            description: input.description,
            category: input.category,
            keywords: input.keywords,
            visibility: input.visibility.into(),
            source_hidden: input.source_hidden,
        };
        let first = NewVersion {
            version: input.version,
            source: input.source,
            release_notes: input.release_notes,
            breaking: None,
            published_at: None,
        };
        let (created, user_errors) = split(
            listings::create_listing(&state(ctx)?.db, &state(ctx)?.runner, user, listing, first)
                .await,
        )?;
        let (connector, version) = created.unzip();
        Ok(CreateConnectorPayload {
            connector: connector.map(Connector),
            version: version.map(Into::into),
            user_errors,
        })
    }

    /// Publish a new version of a listing you own.
    async fn publish_version(
        &self,
        ctx: &Context<'_>,
        input: PublishVersionInput,
    ) -> GqlResult<PublishVersionPayload> {
        let user = principal(ctx)?.require_user()?;
        let new = NewVersion {
            version: input.version,
            source: input.source,
            release_notes: input.release_notes,
            breaking: input.breaking,
            published_at: None,
        };
        let state = state(ctx)?;
        let (version, user_errors) = split(
            listings::publish_version(&state.db, &state.runner, user, &input.slug, new).await,
        )?;
        // Subscribers to workspace notices look for new ones now.
        state.events.notify_waiters();
        Ok(PublishVersionPayload {
            version: version.map(Into::into),
            user_errors,
        })
    }

    /// Yank a version (hidden from new installs, never deleted), or un-yank it.
    async fn yank_version(
        &self,
        ctx: &Context<'_>,
        input: YankVersionInput,
    ) -> GqlResult<YankVersionPayload> {
        let user = principal(ctx)?.require_user()?;
        let result = listings::set_yanked(
            &state(ctx)?.db,
            user,
            &input.slug,
            &input.version,
            input.yanked,
        )
        .await;
        let (version, user_errors) = split(result)?;
        Ok(YankVersionPayload {
            version: version.map(Into::into),
            user_errors,
        })
    }

    /// Edit a listing's metadata, or deprecate it.
    async fn update_connector(
        &self,
        ctx: &Context<'_>,
        input: UpdateConnectorInput,
    ) -> GqlResult<UpdateConnectorPayload> {
        let user = principal(ctx)?.require_user()?;
        let patch = ListingPatch {
            name: input.name,
            summary: input.summary,
            description: input.description,
            category: input.category,
            keywords: input.keywords,
            visibility: input.visibility.map(Into::into),
            source_hidden: input.source_hidden,
            deprecated: input.deprecated,
        };
        let (connector, user_errors) =
            split(listings::update_listing(&state(ctx)?.db, user, &input.slug, patch).await)?;
        Ok(UpdateConnectorPayload {
            connector: connector.map(Connector),
            user_errors,
        })
    }

    /// Add a co-owner to a listing you own.
    async fn add_connector_owner(
        &self,
        ctx: &Context<'_>,
        input: ConnectorOwnerInput,
    ) -> GqlResult<ConnectorOwnerPayload> {
        let user = principal(ctx)?.require_user()?;
        let result = listings::add_owner(&state(ctx)?.db, user, &input.slug, &input.handle).await;
        let (connector, user_errors) = split(result)?;
        Ok(ConnectorOwnerPayload {
            connector: connector.map(Connector),
            user_errors,
        })
    }

    /// Remove an owner from a listing you own; the last owner cannot be removed.
    async fn remove_connector_owner(
        &self,
        ctx: &Context<'_>,
        input: ConnectorOwnerInput,
    ) -> GqlResult<ConnectorOwnerPayload> {
        let user = principal(ctx)?.require_user()?;
        let result =
            listings::remove_owner(&state(ctx)?.db, user, &input.slug, &input.handle).await;
        let (connector, user_errors) = split(result)?;
        Ok(ConnectorOwnerPayload {
            connector: connector.map(Connector),
            user_errors,
        })
    }
}
