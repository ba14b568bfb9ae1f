//! `recipe_triggers`: a running recipe's trigger schedule — its cursor, when it is next polled,
//! and which server process holds the poll until when.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recipe_triggers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub recipe_id: i64,
    /// What the last recorded poll returned as its cursor; `None` before the first.
    pub cursor: Option<Json>,
    pub next_poll_at: DateTimeUtc,
    /// The process polling it now (a random id per process), with its lease.
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub polls: i64,
    pub last_polled_at: Option<DateTimeUtc>,
    /// The last poll's typed error, cleared by a poll that succeeds.
    pub last_error_code: Option<String>,
    pub last_error_message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
