//! Before each cell: its targets put in their known state (through `ensure`), and the variables
//! the operation is run with. One step per domain of operations.

use serde_json::{Value, json};

use super::operations::{Op, TRUSTED_KEY};
use super::world::World;
use super::{
    BYSTANDER, CO_OWNER, Column, DEPUTY, FOREIGN_WS, INSTALL_LISTING, LISTING, OWN_WS,
    RECIPE_LISTING, VICTIM, recipe_definition,
};

impl World {
    /// Put the targets of `op` in their known state and return the operation's variables.
    pub(super) async fn prepare(&mut self, op: Op, column: Column) -> anyhow::Result<Value> {
        let n = self.next();
        let input = match op {
            Op::WorkspaceQuery
            | Op::AuditEvents
            | Op::Packages
            | Op::Recipes
            | Op::Connections
            | Op::CopySource
            | Op::VersionSource => return self.prepare_read(op, column).await,
            Op::SetMember
            | Op::RemoveMember
            | Op::MakeAdmin
            | Op::GrantBeyond
            | Op::DemoteAdmin
            | Op::RemoveAdmin
            | Op::SetRole => self.prepare_members(op, column, n).await?,
            Op::Install
            | Op::Edit
            | Op::Release
            | Op::Restore
            | Op::Update
            | Op::Uninstall
            | Op::MarkRead => self.prepare_copy(op, column, n).await?,
            Op::CreateRecipe
            | Op::UpdateRecipe
            | Op::DeleteRecipe
            | Op::SetRecipeState
            | Op::CreateConnection
            | Op::UpdateConnection => self.prepare_recipes(op, column, n).await?,
            Op::TestConnection | Op::RunAction | Op::PollTrigger => {
                self.prepare_debugger(op, column).await?
            }
            Op::ExportPackage | Op::ImportPackage | Op::SetPackagePolicy => {
                self.prepare_packages(op, column).await?
            }
            Op::Publish
            | Op::Yank
            | Op::UpdateListing
            | Op::AddOwner
            | Op::RemoveOwner
            | Op::CreateConnector
            | Op::CreateWorkspace => self.prepare_listing(op, column, n).await?,
        };
        Ok(json!({ "input": input }))
    }

    /// The variables of a read (no `input`).
    async fn prepare_read(&mut self, op: Op, column: Column) -> anyhow::Result<Value> {
        let ws = column.workspace();
        match op {
            Op::Recipes | Op::Connections => {
                // Something to list where the column names an existing workspace.
                if column != Column::Missing {
                    self.ensure_recipe(column).await?;
                    self.ensure_connection(column).await?;
                }
                Ok(json!({ "ws": ws }))
            }
            Op::CopySource => {
                let id = self.ensure_copy(column).await?;
                let ws = if column == Column::Foreign {
                    FOREIGN_WS
                } else {
                    OWN_WS
                };
                Ok(json!({ "ws": ws, "id": id }))
            }
            Op::VersionSource => Ok(json!({ "listing": LISTING, "ws": ws })),
            Op::WorkspaceQuery | Op::AuditEvents | Op::Packages => Ok(json!({ "ws": ws })),
            other => Err(elsewhere(other, "prepare_read")),
        }
    }

    /// Members, admins and roles: the bystander no member, the victim an analyst, the deputy an
    /// admin, in both workspaces.
    async fn prepare_members(&mut self, op: Op, column: Column, n: u64) -> anyhow::Result<Value> {
        let ws = column.workspace();
        Ok(match op {
            Op::SetMember => {
                self.ensure_member(Column::Own, BYSTANDER, false).await?;
                self.ensure_member(Column::Foreign, BYSTANDER, false)
                    .await?;
                json!({ "workspace": ws, "handle": BYSTANDER, "role": "analyst" })
            }
            Op::RemoveMember => {
                self.ensure_member(Column::Own, VICTIM, true).await?;
                self.ensure_member(Column::Foreign, VICTIM, true).await?;
                json!({ "workspace": ws, "handle": VICTIM })
            }
            Op::MakeAdmin | Op::GrantBeyond => {
                self.ensure_member(Column::Own, BYSTANDER, false).await?;
                self.ensure_member(Column::Foreign, BYSTANDER, false)
                    .await?;
                let role = if op == Op::MakeAdmin {
                    "admin"
                } else {
                    "developer"
                };
                json!({ "workspace": ws, "handle": BYSTANDER, "role": role })
            }
            Op::DemoteAdmin | Op::RemoveAdmin => {
                self.ensure_admin(Column::Own, DEPUTY).await?;
                self.ensure_admin(Column::Foreign, DEPUTY).await?;
                match op {
                    Op::DemoteAdmin => {
                        json!({ "workspace": ws, "handle": DEPUTY, "role": "analyst" })
                    }
                    _ => json!({ "workspace": ws, "handle": DEPUTY }),
                }
            }
            Op::SetRole => json!({
                "workspace": ws,
                "name": format!("scratch-{n}"),
                "permissions": ["RECIPE_READ", "CONNECTOR_INSTALL"],
            }),
            other => return Err(elsewhere(other, "prepare_members")),
        })
    }

    /// Copies of the arranged listing (and the one to install), and unread notices.
    async fn prepare_copy(&mut self, op: Op, column: Column, n: u64) -> anyhow::Result<Value> {
        let ws = column.workspace();
        Ok(match op {
            Op::Install => {
                self.ensure_not_installed(Column::Own, INSTALL_LISTING)
                    .await?;
                self.ensure_not_installed(Column::Foreign, INSTALL_LISTING)
                    .await?;
                json!({ "workspace": ws, "connector": INSTALL_LISTING })
            }
            Op::Edit => {
                let id = self.ensure_copy(column).await?;
                json!({ "workspaceConnectorId": id, "source": format!("{}\n// edit {n}\n", self.source_v1) })
            }
            Op::Restore => {
                json!({ "workspaceConnectorId": self.ensure_copy(column).await?, "number": 1 })
            }
            Op::Update => json!({
                "workspaceConnectorId": self.ensure_copy(column).await?,
                "version": "1.1.0",
                "strategy": "REPLACE",
            }),
            Op::MarkRead => {
                self.ensure_unread().await?;
                json!({ "workspace": ws })
            }
            Op::Release | Op::Uninstall => {
                json!({ "workspaceConnectorId": self.ensure_copy(column).await? })
            }
            other => return Err(elsewhere(other, "prepare_copy")),
        })
    }

    /// Recipes and connections: the arranged ones present (and the recipe stopped).
    async fn prepare_recipes(&mut self, op: Op, column: Column, n: u64) -> anyhow::Result<Value> {
        let ws = column.workspace();
        Ok(match op {
            Op::CreateRecipe => json!({
                "workspace": ws,
                "name": format!("created-{n}"),
                "description": "Created by a matrix cell",
                "definition": recipe_definition(),
            }),
            Op::UpdateRecipe => json!({
                "recipeId": self.ensure_recipe(column).await?,
                "description": format!("Description number {n}"),
            }),
            Op::DeleteRecipe => json!({ "recipeId": self.ensure_recipe(column).await? }),
            Op::SetRecipeState => json!({
                "recipeId": self.ensure_recipe(column).await?,
                "state": "RUNNING",
            }),
            Op::CreateConnection => json!({
                "workspace": ws,
                "name": format!("created-{n}"),
                "connector": RECIPE_LISTING,
                "values": { "api_key": format!("secret-{n}"), "region": "eu" },
            }),
            Op::UpdateConnection => json!({
                "connectionId": self.ensure_connection(column).await?,
                "values": { "region": format!("region-{n}") },
            }),
            other => return Err(elsewhere(other, "prepare_recipes")),
        })
    }

    /// Debugger runs against the released copy of the recipe listing.
    async fn prepare_debugger(&mut self, op: Op, column: Column) -> anyhow::Result<Value> {
        let copy = match column {
            Column::Missing => self.missing_copy.clone(),
            _ => self.recipe_copy(column).await?,
        };
        let target = json!({ "workspaceConnectorId": copy });
        Ok(match op {
            Op::RunAction => {
                json!({ "target": target, "action": "get_item", "input": { "id": "1" } })
            }
            Op::PollTrigger => json!({ "target": target, "trigger": "new_item" }),
            Op::TestConnection => json!({ "target": target }),
            other => return Err(elsewhere(other, "prepare_debugger")),
        })
    }

    /// Packages: both workspaces' policies off, and a fresh archive for an import.
    async fn prepare_packages(&mut self, op: Op, column: Column) -> anyhow::Result<Value> {
        let ws = column.workspace();
        Ok(match op {
            Op::ExportPackage => {
                let recipe = match column {
                    Column::Missing => self.ensure_recipe(Column::Own).await?,
                    _ => self.ensure_recipe(column).await?,
                };
                json!({ "workspace": ws, "recipeIds": [recipe] })
            }
            Op::ImportPackage => {
                self.ensure_unsigned(Column::Own).await?;
                self.ensure_unsigned(Column::Foreign).await?;
                self.archive = self.export_own().await?;
                json!({ "workspace": ws, "archive": null, "dryRun": false })
            }
            Op::SetPackagePolicy => {
                self.ensure_unsigned(Column::Own).await?;
                self.ensure_unsigned(Column::Foreign).await?;
                json!({ "workspace": ws, "requireSigned": true, "trustedKeys": [TRUSTED_KEY] })
            }
            other => return Err(elsewhere(other, "prepare_packages")),
        })
    }

    /// Listings, their versions and owners, and the operations that create something new.
    async fn prepare_listing(&mut self, op: Op, column: Column, n: u64) -> anyhow::Result<Value> {
        let slug = column.listing();
        Ok(match op {
            Op::Publish => json!({
                "slug": slug,
                "version": format!("2.{n}.0"),
                "source": self.source_v1,
            }),
            Op::Yank => {
                self.ensure_unyanked(Column::Own, "1.1.0").await?;
                self.ensure_unyanked(Column::Foreign, "1.0.0").await?;
                let version = if column == Column::Own {
                    "1.1.0"
                } else {
                    "1.0.0"
                };
                json!({ "slug": slug, "version": version, "yanked": true })
            }
            Op::UpdateListing => json!({ "slug": slug, "summary": format!("Summary number {n}") }),
            Op::AddOwner | Op::RemoveOwner => {
                self.ensure_co_owner(op == Op::RemoveOwner).await?;
                json!({ "slug": slug, "handle": CO_OWNER })
            }
            Op::CreateConnector => json!({
                "slug": format!("authz-created-{n}"),
                "name": format!("Created {n}"),
                "summary": "Created by a matrix cell",
                "category": "testing",
                "version": "1.0.0",
                "source": self.source_v1,
            }),
            Op::CreateWorkspace => json!({
                "slug": format!("authz-ws-{n}"),
                "name": format!("Workspace {n}"),
                "environment": "DEVELOPMENT",
            }),
            other => return Err(elsewhere(other, "prepare_listing")),
        })
    }
}

/// `prepare` sent an operation to the step of another domain: a mistake in this file.
fn elsewhere(op: Op, step: &str) -> anyhow::Error {
    anyhow::anyhow!("{op:?} is not prepared by {step}")
}
