//! `notifications`: per-workspace notices, e.g. `connector_update_available`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub kind: String,
    pub workspace_connector_id: Option<i64>,
    pub connector_id: Option<i64>,
    pub version_id: Option<i64>,
    pub title: String,
    /// Markdown (release notes for update notices).
    pub message: String,
    pub breaking_message: Option<String>,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
