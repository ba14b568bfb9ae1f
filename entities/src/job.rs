//! `jobs`: one trigger event run through a recipe's steps. `queued` → `running` (leased by one
//! process) → `succeeded` or `failed`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub recipe_id: i64,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// The trigger's event (redacted and capped as a step's output is).
    pub event: Json,
    /// How many times a process has started it (a lease that expired starts it again).
    pub attempts: i32,
    /// Not claimed before this time.
    pub run_after: DateTimeUtc,
    /// The process running it, or that ran it last; with the lease while it runs.
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The failed job this one runs again.
    pub rerun_of: Option<i64>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
