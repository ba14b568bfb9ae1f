//! The install ledger and its daily summary.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_create_workspaces::Workspaces;
use crate::m20261125_000003_create_connectors::{ConnectorVersions, Connectors};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InstallEvents::Table)
                    .col(big_pk_auto(InstallEvents::Id))
                    .col(big_integer(InstallEvents::ConnectorId))
                    .col(big_integer(InstallEvents::VersionId))
                    .col(big_integer_null(InstallEvents::FromVersionId))
                    .col(big_integer(InstallEvents::WorkspaceId))
                    .col(big_integer_null(InstallEvents::UserId))
                    .col(string(InstallEvents::Kind))
                    .col(timestamp_with_time_zone(InstallEvents::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InstallEvents::Table, InstallEvents::ConnectorId)
                            .to(Connectors::Table, Connectors::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InstallEvents::Table, InstallEvents::VersionId)
                            .to(ConnectorVersions::Table, ConnectorVersions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InstallEvents::Table, InstallEvents::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_install_events_connector_at")
                    .table(InstallEvents::Table)
                    .col(InstallEvents::ConnectorId)
                    .col(InstallEvents::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_install_events_workspace")
                    .table(InstallEvents::Table)
                    .col(InstallEvents::WorkspaceId)
                    .col(InstallEvents::ConnectorId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConnectorInstallDays::Table)
                    .col(big_integer(ConnectorInstallDays::ConnectorId))
                    .col(date(ConnectorInstallDays::Day))
                    .col(big_integer(ConnectorInstallDays::Installs).default(0))
                    .primary_key(
                        Index::create()
                            .col(ConnectorInstallDays::ConnectorId)
                            .col(ConnectorInstallDays::Day),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ConnectorInstallDays::Table,
                                ConnectorInstallDays::ConnectorId,
                            )
                            .to(Connectors::Table, Connectors::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConnectorInstallDays::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(InstallEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum InstallEvents {
    Table,
    Id,
    ConnectorId,
    VersionId,
    FromVersionId,
    WorkspaceId,
    UserId,
    Kind,
    At,
}

#[derive(DeriveIden)]
enum ConnectorInstallDays {
    Table,
    ConnectorId,
    Day,
    Installs,
}
