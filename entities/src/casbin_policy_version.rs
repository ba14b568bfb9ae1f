//! `casbin_policy_versions`: how often each policy domain's `casbin_rule` lines changed, moved by
//! database triggers in the same transaction as the change. A server compares it with the version
//! its enforcer loaded to know when to load the domain's policy again.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "casbin_policy_versions")]
pub struct Model {
    /// The domain, `ws:7`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub domain: String,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
