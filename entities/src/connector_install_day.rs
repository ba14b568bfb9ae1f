//! `connector_install_days`: installs per listing per UTC day, maintained with the events, so
//! trends and 30-day figures read a few rows instead of the whole ledger.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connector_install_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub connector_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub installs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
