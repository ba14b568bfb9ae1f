//! Workspace copies of connectors and their numbered, immutable versions.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_users::Users;
use crate::m20261125_000002_create_workspaces::Workspaces;
use crate::m20261125_000003_create_connectors::{ConnectorVersions, Connectors};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_workspace_connectors(manager).await?;
        create_workspace_connector_versions(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(WorkspaceConnectorVersions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(WorkspaceConnectors::Table).to_owned())
            .await
    }
}

/// A workspace's copies of connectors.
async fn create_workspace_connectors(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(WorkspaceConnectors::Table)
                .col(big_pk_auto(WorkspaceConnectors::Id))
                .col(big_integer(WorkspaceConnectors::WorkspaceId))
                .col(big_integer_null(WorkspaceConnectors::ConnectorId))
                .col(string(WorkspaceConnectors::Name))
                .col(big_integer_null(WorkspaceConnectors::ParentVersionId))
                .col(integer(WorkspaceConnectors::LatestNumber))
                .col(integer_null(WorkspaceConnectors::ReleasedNumber))
                .col(timestamp_with_time_zone(WorkspaceConnectors::CreatedAt))
                .col(timestamp_with_time_zone(WorkspaceConnectors::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(WorkspaceConnectors::Table, WorkspaceConnectors::WorkspaceId)
                        .to(Workspaces::Table, Workspaces::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(WorkspaceConnectors::Table, WorkspaceConnectors::ConnectorId)
                        .to(Connectors::Table, Connectors::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            WorkspaceConnectors::Table,
                            WorkspaceConnectors::ParentVersionId,
                        )
                        .to(ConnectorVersions::Table, ConnectorVersions::Id),
                )
                .to_owned(),
        )
        .await?;
    // One copy of a listing per workspace: concurrent installs race on this index.
    manager
        .create_index(
            Index::create()
                .name("idx_workspace_connectors_unique")
                .table(WorkspaceConnectors::Table)
                .col(WorkspaceConnectors::WorkspaceId)
                .col(WorkspaceConnectors::ConnectorId)
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_workspace_connectors_connector")
                .table(WorkspaceConnectors::Table)
                .col(WorkspaceConnectors::ConnectorId)
                .to_owned(),
        )
        .await
}

/// A copy's numbered, immutable versions.
async fn create_workspace_connector_versions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(WorkspaceConnectorVersions::Table)
                .col(big_pk_auto(WorkspaceConnectorVersions::Id))
                .col(big_integer(
                    WorkspaceConnectorVersions::WorkspaceConnectorId,
                ))
                .col(integer(WorkspaceConnectorVersions::Number))
                .col(text(WorkspaceConnectorVersions::Source))
                .col(string(WorkspaceConnectorVersions::Sha256))
                .col(string(WorkspaceConnectorVersions::Origin))
                .col(big_integer_null(WorkspaceConnectorVersions::AuthorId))
                .col(big_integer_null(WorkspaceConnectorVersions::BaseVersionId))
                .col(json_binary(WorkspaceConnectorVersions::Capabilities))
                .col(timestamp_with_time_zone(
                    WorkspaceConnectorVersions::CreatedAt,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            WorkspaceConnectorVersions::Table,
                            WorkspaceConnectorVersions::WorkspaceConnectorId,
                        )
                        .to(WorkspaceConnectors::Table, WorkspaceConnectors::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            WorkspaceConnectorVersions::Table,
                            WorkspaceConnectorVersions::AuthorId,
                        )
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_workspace_connector_versions_unique")
                .table(WorkspaceConnectorVersions::Table)
                .col(WorkspaceConnectorVersions::WorkspaceConnectorId)
                .col(WorkspaceConnectorVersions::Number)
                .unique()
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
pub enum WorkspaceConnectors {
    Table,
    Id,
    WorkspaceId,
    ConnectorId,
    Name,
    ParentVersionId,
    LatestNumber,
    ReleasedNumber,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WorkspaceConnectorVersions {
    Table,
    Id,
    WorkspaceConnectorId,
    Number,
    Source,
    Sha256,
    Origin,
    AuthorId,
    BaseVersionId,
    Capabilities,
    CreatedAt,
}
