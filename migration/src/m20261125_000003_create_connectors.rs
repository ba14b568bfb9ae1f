//! Community listings, their owners and versions, and the full-text index over them.
use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, DbBackend},
};

use crate::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_connectors(manager).await?;
        create_connector_owners(manager).await?;
        create_connector_versions(manager).await?;
        create_search_index(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS connector_search")
                .await?;
        }
        for table in [
            ConnectorVersions::Table.into_iden(),
            ConnectorOwners::Table.into_iden(),
            Connectors::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The listings, with an index for each way the catalog sorts and filters them.
async fn create_connectors(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Connectors::Table)
                .col(big_pk_auto(Connectors::Id))
                .col(string_uniq(Connectors::Slug))
                .col(string(Connectors::Name))
                .col(string(Connectors::Summary))
                .col(text(Connectors::Description))
                .col(string(Connectors::Category))
                .col(json_binary(Connectors::Keywords))
                .col(string(Connectors::Visibility))
                .col(boolean(Connectors::SourceHidden))
                .col(string(Connectors::Status))
                .col(big_integer_null(Connectors::LatestVersionId))
                .col(big_integer(Connectors::InstallCount).default(0))
                .col(big_integer(Connectors::ActiveInstalls).default(0))
                .col(timestamp_with_time_zone(Connectors::CreatedAt))
                .col(timestamp_with_time_zone(Connectors::UpdatedAt))
                .to_owned(),
        )
        .await?;
    for (name, col) in [
        ("idx_connectors_install_count", Connectors::InstallCount),
        ("idx_connectors_created_at", Connectors::CreatedAt),
        ("idx_connectors_name", Connectors::Name),
        ("idx_connectors_category", Connectors::Category),
    ] {
        manager
            .create_index(
                Index::create()
                    .name(name)
                    .table(Connectors::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// Who may publish a listing's versions.
async fn create_connector_owners(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ConnectorOwners::Table)
                .col(big_integer(ConnectorOwners::ConnectorId))
                .col(big_integer(ConnectorOwners::UserId))
                .col(timestamp_with_time_zone(ConnectorOwners::AddedAt))
                .primary_key(
                    Index::create()
                        .col(ConnectorOwners::ConnectorId)
                        .col(ConnectorOwners::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ConnectorOwners::Table, ConnectorOwners::ConnectorId)
                        .to(Connectors::Table, Connectors::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ConnectorOwners::Table, ConnectorOwners::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_connector_owners_user")
                .table(ConnectorOwners::Table)
                .col(ConnectorOwners::UserId)
                .to_owned(),
        )
        .await
}

/// A listing's published versions: one per version number.
async fn create_connector_versions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ConnectorVersions::Table)
                .col(big_pk_auto(ConnectorVersions::Id))
                .col(big_integer(ConnectorVersions::ConnectorId))
                .col(string(ConnectorVersions::Version))
                .col(text(ConnectorVersions::Source))
                .col(string(ConnectorVersions::Sha256))
                .col(text(ConnectorVersions::ReleaseNotes))
                .col(boolean(ConnectorVersions::Breaking))
                .col(text_null(ConnectorVersions::BreakingMessage))
                .col(json_binary(ConnectorVersions::Capabilities))
                .col(timestamp_with_time_zone(ConnectorVersions::PublishedAt))
                .col(big_integer(ConnectorVersions::PublishedBy))
                .col(boolean(ConnectorVersions::Yanked))
                .col(timestamp_with_time_zone_null(ConnectorVersions::YankedAt))
                .col(big_integer(ConnectorVersions::InstallCount).default(0))
                .col(big_integer(ConnectorVersions::ActiveInstalls).default(0))
                .foreign_key(
                    ForeignKey::create()
                        .from(ConnectorVersions::Table, ConnectorVersions::ConnectorId)
                        .to(Connectors::Table, Connectors::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ConnectorVersions::Table, ConnectorVersions::PublishedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_connector_versions_unique")
                .table(ConnectorVersions::Table)
                .col(ConnectorVersions::ConnectorId)
                .col(ConnectorVersions::Version)
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_connector_versions_published_by")
                .table(ConnectorVersions::Table)
                .col(ConnectorVersions::PublishedBy)
                .to_owned(),
        )
        .await
}

/// The catalog's full-text index. The service keeps it current whenever a listing or its
/// latest version changes (see `api::catalog::search_index`).
async fn create_search_index(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DbBackend::Sqlite => {
            // rowid = connectors.id. Porter stemming so "issues" finds "issue".
            db.execute_unprepared(
                "CREATE VIRTUAL TABLE connector_search USING fts5(\
                 name, summary, description, keywords, capabilities, \
                 tokenize = 'porter unicode61 remove_diacritics 2')",
            )
            .await?;
        }
        DbBackend::Postgres => {
            db.execute_unprepared(
                "ALTER TABLE connectors ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector",
            )
            .await?;
            db.execute_unprepared(
                "CREATE INDEX idx_connectors_search ON connectors USING GIN (search_vector)",
            )
            .await?;
        }
        other => {
            return Err(DbErr::Migration(format!(
                "unsupported database backend {other:?}"
            )));
        }
    }
    Ok(())
}

#[derive(DeriveIden)]
pub enum Connectors {
    Table,
    Id,
    Slug,
    Name,
    Summary,
    Description,
    Category,
    Keywords,
    Visibility,
    SourceHidden,
    Status,
    LatestVersionId,
    InstallCount,
    ActiveInstalls,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConnectorOwners {
    Table,
    ConnectorId,
    UserId,
    AddedAt,
}

#[derive(DeriveIden)]
pub enum ConnectorVersions {
    Table,
    Id,
    ConnectorId,
    Version,
    Source,
    Sha256,
    ReleaseNotes,
    Breaking,
    BreakingMessage,
    Capabilities,
    PublishedAt,
    PublishedBy,
    Yanked,
    YankedAt,
    InstallCount,
    ActiveInstalls,
}
