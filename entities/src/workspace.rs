//! `workspaces`: the tenants that install connectors and own recipes.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspaces")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// `development`, `test` or `production`.
    pub environment: String,
    pub created_at: DateTimeUtc,
    /// Imports must carry a signature by one of `trusted_package_keys`.
    pub require_signed_packages: bool,
    /// JSON array of base64 Ed25519 public keys.
    pub trusted_package_keys: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
