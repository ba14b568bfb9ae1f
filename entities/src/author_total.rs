//! `author_totals`: an author's record across the listings they own and the versions they
//! published, kept current by database triggers (see the migration that creates it), so an
//! author's stats are one row to read however many listings they own.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "author_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// Listings owned (co-owned included).
    pub listings: i64,
    /// Installs ever made of the listings owned.
    pub installs: i64,
    /// Copies held now of the listings owned.
    pub active_installs: i64,
    /// Versions this user published.
    pub versions: i64,
    pub last_published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
