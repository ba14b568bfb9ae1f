//! `install_events`: the ledger every install metric derives from.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "install_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub connector_id: i64,
    /// The version installed, or updated to, or held at uninstall.
    pub version_id: i64,
    /// For `update`: the version the workspace left.
    pub from_version_id: Option<i64>,
    pub workspace_id: i64,
    pub user_id: Option<i64>,
    /// `install`, `uninstall` or `update`.
    pub kind: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
