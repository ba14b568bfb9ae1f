//! `recipes`: automations in a workspace; stable asset ids survive export and import.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recipes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    /// UUID, stable across export and import.
    pub asset_id: String,
    pub folder: String,
    pub name: String,
    pub description: String,
    /// `{ trigger: {connector, trigger, input}, steps: [{connector, action, input}] }`.
    pub definition: Json,
    /// `stopped` or `running`.
    pub state: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
