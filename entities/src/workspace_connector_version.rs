//! `workspace_connector_versions`: numbered, immutable versions of a workspace copy.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspace_connector_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_connector_id: i64,
    /// 1, 2, 3… per copy.
    pub number: i32,
    pub source: String,
    pub sha256: String,
    /// `installed`, `edited`, `updated`, `restored` or `imported`.
    pub origin: String,
    pub author_id: Option<i64>,
    /// The community version this content derives from: the base of a three-way merge.
    pub base_version_id: Option<i64>,
    /// `sdk::Capabilities` as JSON.
    pub capabilities: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
