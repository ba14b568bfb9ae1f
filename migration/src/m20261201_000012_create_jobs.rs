//! Recipes that run: each running recipe's trigger schedule (`recipe_triggers`: its cursor, when
//! it is next polled, and which process holds the poll), and the jobs its events start (`jobs`,
//! leased by the process that runs them) with each step's record (`job_steps`).
//!
//! The cursor advances in the same transaction that records the events as jobs, so a restart
//! neither loses nor repeats an event. A lease that is not renewed expires, and another process
//! takes the poll or the job.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_create_workspaces::Workspaces;
use crate::m20261125_000008_create_recipes_connections_packages::Recipes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_recipe_triggers(manager).await?;
        create_jobs(manager).await?;
        create_job_steps(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobSteps::Table.into_iden(),
            Jobs::Table.into_iden(),
            RecipeTriggers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// One row per recipe that has ever run: the trigger's cursor and the poll's lease.
async fn create_recipe_triggers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(RecipeTriggers::Table)
                .col(big_integer(RecipeTriggers::RecipeId).primary_key())
                .col(json_binary_null(RecipeTriggers::Cursor))
                .col(timestamp_with_time_zone(RecipeTriggers::NextPollAt))
                .col(string_null(RecipeTriggers::LeaseOwner))
                .col(timestamp_with_time_zone_null(RecipeTriggers::LeaseUntil))
                .col(big_integer(RecipeTriggers::Polls).default(0))
                .col(timestamp_with_time_zone_null(RecipeTriggers::LastPolledAt))
                .col(string_null(RecipeTriggers::LastErrorCode))
                .col(text_null(RecipeTriggers::LastErrorMessage))
                .foreign_key(
                    ForeignKey::create()
                        .from(RecipeTriggers::Table, RecipeTriggers::RecipeId)
                        .to(Recipes::Table, Recipes::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_recipe_triggers_due")
                .table(RecipeTriggers::Table)
                .col(RecipeTriggers::NextPollAt)
                .to_owned(),
        )
        .await
}

/// A job: one trigger event run through the recipe's steps.
async fn create_jobs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Jobs::Table)
                .col(big_pk_auto(Jobs::Id))
                .col(big_integer(Jobs::WorkspaceId))
                .col(big_integer(Jobs::RecipeId))
                .col(string(Jobs::Status))
                .col(json_binary(Jobs::Event))
                .col(integer(Jobs::Attempts).default(0))
                .col(timestamp_with_time_zone(Jobs::RunAfter))
                .col(string_null(Jobs::LeaseOwner))
                .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                .col(string_null(Jobs::ErrorCode))
                .col(text_null(Jobs::ErrorMessage))
                .col(big_integer_null(Jobs::RerunOf))
                .col(timestamp_with_time_zone(Jobs::CreatedAt))
                .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Jobs::Table, Jobs::WorkspaceId)
                        .to(Workspaces::Table, Workspaces::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Jobs::Table, Jobs::RecipeId)
                        .to(Recipes::Table, Recipes::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    for (name, cols) in [
        ("idx_jobs_claim", vec![Jobs::Status, Jobs::RunAfter]),
        ("idx_jobs_recipe", vec![Jobs::RecipeId, Jobs::Id]),
    ] {
        let mut index = Index::create();
        index.name(name).table(Jobs::Table);
        for col in cols {
            index.col(col);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

/// A job's steps in order: what each was given and what it answered, and the version it ran.
async fn create_job_steps(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(JobSteps::Table)
                .col(big_pk_auto(JobSteps::Id))
                .col(big_integer(JobSteps::JobId))
                .col(integer(JobSteps::Position))
                .col(string(JobSteps::Connector))
                .col(string(JobSteps::Action))
                .col(integer_null(JobSteps::VersionNumber))
                .col(string_null(JobSteps::CommunityVersion))
                .col(string(JobSteps::Status))
                .col(json_binary(JobSteps::Input))
                .col(json_binary_null(JobSteps::Output))
                .col(string_null(JobSteps::ErrorCode))
                .col(text_null(JobSteps::ErrorMessage))
                .col(integer(JobSteps::Attempts).default(0))
                .col(timestamp_with_time_zone(JobSteps::StartedAt))
                .col(timestamp_with_time_zone_null(JobSteps::FinishedAt))
                .col(big_integer(JobSteps::DurationMs).default(0))
                .foreign_key(
                    ForeignKey::create()
                        .from(JobSteps::Table, JobSteps::JobId)
                        .to(Jobs::Table, Jobs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_job_steps_job")
                .table(JobSteps::Table)
                .col(JobSteps::JobId)
                .col(JobSteps::Position)
                .unique()
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum RecipeTriggers {
    Table,
    RecipeId,
    Cursor,
    NextPollAt,
    LeaseOwner,
    LeaseUntil,
    Polls,
    LastPolledAt,
    LastErrorCode,
    LastErrorMessage,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    WorkspaceId,
    RecipeId,
    Status,
    Event,
    Attempts,
    RunAfter,
    LeaseOwner,
    LeaseUntil,
    ErrorCode,
    ErrorMessage,
    RerunOf,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum JobSteps {
    Table,
    Id,
    JobId,
    Position,
    Connector,
    Action,
    VersionNumber,
    CommunityVersion,
    Status,
    Input,
    Output,
    ErrorCode,
    ErrorMessage,
    Attempts,
    StartedAt,
    FinishedAt,
    DurationMs,
}
