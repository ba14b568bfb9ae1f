//! Recipes, connections, and the record of every package export and import.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_create_workspaces::Workspaces;
use crate::m20261125_000006_create_workspace_connectors::WorkspaceConnectors;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_connections(manager).await?;
        create_recipes(manager).await?;
        create_recipe_connectors(manager).await?;
        create_packages(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Packages::Table.into_iden(),
            RecipeConnectors::Table.into_iden(),
            Recipes::Table.into_iden(),
            Connections::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A workspace's connections, unique by asset id and by path.
async fn create_connections(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Connections::Table)
                .col(big_pk_auto(Connections::Id))
                .col(big_integer(Connections::WorkspaceId))
                .col(string(Connections::AssetId))
                .col(string(Connections::Folder))
                .col(string(Connections::Name))
                .col(big_integer(Connections::WorkspaceConnectorId))
                .col(json_binary(Connections::Fields))
                .col(json_binary(Connections::Secrets))
                .col(timestamp_with_time_zone(Connections::CreatedAt))
                .col(timestamp_with_time_zone(Connections::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Connections::Table, Connections::WorkspaceId)
                        .to(Workspaces::Table, Workspaces::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Connections::Table, Connections::WorkspaceConnectorId)
                        .to(WorkspaceConnectors::Table, WorkspaceConnectors::Id),
                )
                .to_owned(),
        )
        .await?;
    for (name, cols) in [
        (
            "idx_connections_asset",
            vec![Connections::WorkspaceId, Connections::AssetId],
        ),
        (
            "idx_connections_path",
            vec![
                Connections::WorkspaceId,
                Connections::Folder,
                Connections::Name,
            ],
        ),
    ] {
        let mut index = Index::create();
        index.name(name).table(Connections::Table).unique();
        for col in cols {
            index.col(col);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

/// A workspace's recipes, unique by asset id and by path.
async fn create_recipes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Recipes::Table)
                .col(big_pk_auto(Recipes::Id))
                .col(big_integer(Recipes::WorkspaceId))
                .col(string(Recipes::AssetId))
                .col(string(Recipes::Folder))
                .col(string(Recipes::Name))
                .col(text(Recipes::Description))
                .col(json_binary(Recipes::Definition))
                .col(string(Recipes::State))
                .col(timestamp_with_time_zone(Recipes::CreatedAt))
                .col(timestamp_with_time_zone(Recipes::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Recipes::Table, Recipes::WorkspaceId)
                        .to(Workspaces::Table, Workspaces::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    for (name, cols) in [
        (
            "idx_recipes_asset",
            vec![Recipes::WorkspaceId, Recipes::AssetId],
        ),
        (
            "idx_recipes_path",
            vec![Recipes::WorkspaceId, Recipes::Folder, Recipes::Name],
        ),
    ] {
        let mut index = Index::create();
        index.name(name).table(Recipes::Table).unique();
        for col in cols {
            index.col(col);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

/// Which workspace connectors a recipe uses, kept with the recipe (uninstall checks it).
async fn create_recipe_connectors(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(RecipeConnectors::Table)
                .col(big_integer(RecipeConnectors::RecipeId))
                .col(big_integer(RecipeConnectors::WorkspaceConnectorId))
                .primary_key(
                    Index::create()
                        .col(RecipeConnectors::RecipeId)
                        .col(RecipeConnectors::WorkspaceConnectorId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RecipeConnectors::Table, RecipeConnectors::RecipeId)
                        .to(Recipes::Table, Recipes::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            RecipeConnectors::Table,
                            RecipeConnectors::WorkspaceConnectorId,
                        )
                        .to(WorkspaceConnectors::Table, WorkspaceConnectors::Id),
                )
                .to_owned(),
        )
        .await
}

/// The record of every package exported from or imported into a workspace.
async fn create_packages(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Packages::Table)
                .col(big_pk_auto(Packages::Id))
                .col(big_integer(Packages::WorkspaceId))
                .col(string(Packages::Direction))
                .col(string(Packages::PackageId))
                .col(json_binary(Packages::Manifest))
                .col(string(Packages::Sha256))
                .col(big_integer(Packages::Size))
                .col(big_integer_null(Packages::ActorId))
                .col(json_binary_null(Packages::Plan))
                .col(string(Packages::Outcome))
                .col(blob_null(Packages::Archive))
                .col(timestamp_with_time_zone(Packages::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Packages::Table, Packages::WorkspaceId)
                        .to(Workspaces::Table, Workspaces::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum Connections {
    Table,
    Id,
    WorkspaceId,
    AssetId,
    Folder,
    Name,
    WorkspaceConnectorId,
    Fields,
    Secrets,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Recipes {
    Table,
    Id,
    WorkspaceId,
    AssetId,
    Folder,
    Name,
    Description,
    Definition,
    State,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RecipeConnectors {
    Table,
    RecipeId,
    WorkspaceConnectorId,
}

#[derive(DeriveIden)]
enum Packages {
    Table,
    Id,
    WorkspaceId,
    Direction,
    PackageId,
    Manifest,
    Sha256,
    Size,
    ActorId,
    Plan,
    Outcome,
    Archive,
    CreatedAt,
}
