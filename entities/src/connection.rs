//! `connections`: credentials and settings for a workspace connector. Secret fields are
//! write-only: never returned, logged or exported.
use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub asset_id: String,
    pub folder: String,
    pub name: String,
    pub workspace_connector_id: i64,
    /// Non-secret field values.
    pub fields: Json,
    /// Secret field values; see the module doc.
    pub secrets: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Debug output leaves the secrets out.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("asset_id", &self.asset_id)
            .field("name", &self.name)
            .field("fields", &self.fields)
            .field("secrets", &"[REDACTED]")
            .finish()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
