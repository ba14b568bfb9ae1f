//! `job_steps`: one step of a job — the action, the connector version it ran at, its input and
//! its output or typed error (secrets redacted, sizes capped), and how long it took.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job_id: i64,
    /// 0 for the first step.
    pub position: i32,
    /// The listing slug the step names.
    pub connector: String,
    pub action: String,
    /// The workspace version that ran (the copy's released one when the step started).
    pub version_number: Option<i32>,
    /// The community version that workspace version descends from, if any.
    pub community_version: Option<String>,
    /// `succeeded` or `failed`.
    pub status: String,
    pub input: Json,
    pub output: Option<Json>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub attempts: i32,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub duration_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
