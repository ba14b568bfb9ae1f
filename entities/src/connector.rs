//! `connectors`: community listings. Install counters are maintained in the same transaction as
//! the install events they summarise, so that sorting the catalog never recounts events.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connectors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    pub category: String,
    /// JSON array of lowercase keywords.
    pub keywords: Json,
    /// `public` or `unlisted`.
    pub visibility: String,
    /// Closed source: nobody but the owners sees code.
    pub source_hidden: bool,
    /// `published` or `deprecated`.
    pub status: String,
    /// The newest version that is not yanked, if any.
    pub latest_version_id: Option<i64>,
    /// Number of `install` events ever recorded.
    pub install_count: i64,
    /// Workspaces holding a copy now.
    pub active_installs: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
