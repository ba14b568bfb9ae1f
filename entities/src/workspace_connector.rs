//! `workspace_connectors`: a connector inside a workspace — an installed copy of a listing (which
//! keeps its parent) or one built in the workspace.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspace_connectors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    /// The community listing it was installed from.
    pub connector_id: Option<i64>,
    pub name: String,
    /// The community version it was installed from or last updated to.
    pub parent_version_id: Option<i64>,
    /// Highest workspace version number.
    pub latest_number: i32,
    /// The version recipes use; changes only through an explicit release.
    pub released_number: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
