//! `packages`: every export and import, with its manifest, plan and outcome.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "packages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    /// `export` or `import`.
    pub direction: String,
    pub package_id: String,
    pub manifest: Json,
    pub sha256: String,
    pub size: i64,
    pub actor_id: Option<i64>,
    pub plan: Option<Json>,
    /// `exported`, `planned`, `applied`, `rejected`.
    pub outcome: String,
    /// The archive, for exports (downloaded from an authenticated route).
    pub archive: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
