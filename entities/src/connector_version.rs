//! `connector_versions`: immutable published versions of a listing. Only `yanked` ever changes,
//! and the adoption counters, which follow install events.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connector_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub connector_id: i64,
    /// Semantic version, unique per connector; strictly increasing in publish order.
    pub version: String,
    pub source: String,
    /// Hex sha256 of `source`.
    pub sha256: String,
    /// Markdown.
    pub release_notes: String,
    pub breaking: bool,
    pub breaking_message: Option<String>,
    /// The SDK's capabilities extracted at publish (`sdk::Capabilities` as JSON).
    pub capabilities: Json,
    pub published_at: DateTimeUtc,
    pub published_by: i64,
    pub yanked: bool,
    pub yanked_at: Option<DateTimeUtc>,
    /// `install` events that chose this version.
    pub install_count: i64,
    /// Workspaces whose copy currently follows this version.
    pub active_installs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
