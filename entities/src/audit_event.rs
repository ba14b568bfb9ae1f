//! `audit_events`: who did what to which object in which workspace, and how it ended.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: Option<i64>,
    pub actor_id: Option<i64>,
    /// e.g. `connector.install`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// `success` or `denied`.
    pub outcome: String,
    pub detail: Json,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
