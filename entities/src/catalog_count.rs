//! `catalog_counts`: how many listings there are per category, visibility and status, kept
//! current by database triggers, so a browse page's total is a few rows to add up, not a count
//! over the whole catalog.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub category: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub visibility: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: String,
    pub listings: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
