//! Workspaces: the tenants that install connectors.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Workspaces::Table)
                    .col(big_pk_auto(Workspaces::Id))
                    .col(string_uniq(Workspaces::Slug))
                    .col(string(Workspaces::Name))
                    .col(string(Workspaces::Environment))
                    .col(timestamp_with_time_zone(Workspaces::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Workspaces::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Workspaces {
    Table,
    Id,
    Slug,
    Name,
    Environment,
    CreatedAt,
}
