//! Governance: custom roles and the casbin policy store.
//!
//! `casbin_rule` has the layout casbin's adapters use (`ptype`, `v0`…`v5`), so the policies read
//! as casbin policies: `p, role:developer, ws:7, connector, install` and
//! `g, user:42, role:developer, ws:7` (membership = a `g` line in the workspace's domain).
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_create_workspaces::Workspaces;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_casbin_rule(manager).await?;
        create_roles(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Roles::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CasbinRule::Table).to_owned())
            .await
    }
}

/// The casbin policy store: each line once, looked up by domain and by policy.
async fn create_casbin_rule(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(CasbinRule::Table)
                .col(big_pk_auto(CasbinRule::Id))
                .col(string(CasbinRule::Ptype))
                .col(string(CasbinRule::V0).default(""))
                .col(string(CasbinRule::V1).default(""))
                .col(string(CasbinRule::V2).default(""))
                .col(string(CasbinRule::V3).default(""))
                .col(string(CasbinRule::V4).default(""))
                .col(string(CasbinRule::V5).default(""))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_casbin_rule_unique")
                .table(CasbinRule::Table)
                .col(CasbinRule::Ptype)
                .col(CasbinRule::V0)
                .col(CasbinRule::V1)
                .col(CasbinRule::V2)
                .col(CasbinRule::V3)
                .col(CasbinRule::V4)
                .col(CasbinRule::V5)
                .unique()
                .to_owned(),
        )
        .await?;
    // Lookups by domain: `g` lines carry it in v2, `p` lines in v1.
    manager
        .create_index(
            Index::create()
                .name("idx_casbin_rule_domain")
                .table(CasbinRule::Table)
                .col(CasbinRule::Ptype)
                .col(CasbinRule::V2)
                .col(CasbinRule::V0)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_casbin_rule_policy")
                .table(CasbinRule::Table)
                .col(CasbinRule::Ptype)
                .col(CasbinRule::V1)
                .col(CasbinRule::V0)
                .to_owned(),
        )
        .await
}

/// A workspace's roles, each name once per workspace.
async fn create_roles(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Roles::Table)
                .col(big_pk_auto(Roles::Id))
                .col(big_integer(Roles::WorkspaceId))
                .col(string(Roles::Name))
                .col(string(Roles::Description))
                .col(boolean(Roles::Builtin))
                .col(timestamp_with_time_zone(Roles::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Roles::Table, Roles::WorkspaceId)
                        .to(Workspaces::Table, Workspaces::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_roles_workspace_name")
                .table(Roles::Table)
                .col(Roles::WorkspaceId)
                .col(Roles::Name)
                .unique()
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum CasbinRule {
    Table,
    Id,
    Ptype,
    V0,
    V1,
    V2,
    V3,
    V4,
    V5,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    WorkspaceId,
    Name,
    Description,
    Builtin,
    CreatedAt,
}
