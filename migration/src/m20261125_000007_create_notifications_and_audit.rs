//! Update notices per workspace, and the audit log of every workspace mutation.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_create_workspaces::Workspaces;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(big_pk_auto(Notifications::Id))
                    .col(big_integer(Notifications::WorkspaceId))
                    .col(string(Notifications::Kind))
                    .col(big_integer_null(Notifications::WorkspaceConnectorId))
                    .col(big_integer_null(Notifications::ConnectorId))
                    .col(big_integer_null(Notifications::VersionId))
                    .col(string(Notifications::Title))
                    .col(text(Notifications::Message))
                    .col(text_null(Notifications::BreakingMessage))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_workspace")
                    .table(Notifications::Table)
                    .col(Notifications::WorkspaceId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(big_integer_null(AuditEvents::WorkspaceId))
                    .col(big_integer_null(AuditEvents::ActorId))
                    .col(string(AuditEvents::Action))
                    .col(string(AuditEvents::ObjectType))
                    .col(string(AuditEvents::ObjectId))
                    .col(string(AuditEvents::Outcome))
                    .col(json_binary(AuditEvents::Detail))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_workspace")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::WorkspaceId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    WorkspaceId,
    Kind,
    WorkspaceConnectorId,
    ConnectorId,
    VersionId,
    Title,
    Message,
    BreakingMessage,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    WorkspaceId,
    ActorId,
    Action,
    ObjectType,
    ObjectId,
    Outcome,
    Detail,
    At,
}
