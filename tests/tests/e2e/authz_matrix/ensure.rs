//! Putting a cell's targets back in their known state: copies, members and admins, notices,
//! versions and co-owners, recipes, connections and package policies. Each `ensure_…` changes
//! only what an earlier cell changed.

use serde_json::{Value, json};

use super::operations::{
    ADD_OWNER, CREATE_CONNECTION, CREATE_RECIPE, EDIT, EXPORT_PACKAGE, INSTALL, PUBLISH, RELEASE,
    REMOVE_MEMBER, REMOVE_OWNER, SET_MEMBER, SET_PACKAGE_POLICY, SET_RECIPE_STATE, UNINSTALL, YANK,
};
use super::world::World;
use super::{
    CO_OWNER, CONNECTION_NAME, Column, LISTING, RECIPE_LISTING, RECIPE_NAME, id_of,
    recipe_definition,
};

impl World {
    /// Run a mutation as the admin of a workspace column; it must succeed. Returns its payload.
    async fn as_admin(
        &self,
        column: Column,
        document: &str,
        input: Value,
        field: &str,
    ) -> anyhow::Result<Value> {
        self.must(self.workspace_admin(column), document, input, field)
            .await
    }

    /// The copy of `listing` in a workspace, if any.
    pub(super) async fn find_copy(
        &self,
        column: Column,
        listing: &str,
    ) -> anyhow::Result<Option<Value>> {
        let state = self.workspace_state(column).await?;
        Ok(state["connectors"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["listing"]["slug"] == listing)
            .cloned())
    }

    pub(super) async fn install(
        &self,
        column: Column,
        listing: &str,
        version: Option<&str>,
    ) -> anyhow::Result<String> {
        let input =
            json!({ "workspace": column.workspace(), "connector": listing, "version": version });
        let payload = self
            .as_admin(column, INSTALL, input, "installConnector")
            .await?;
        id_of(&payload["workspaceConnector"]["id"])
    }

    /// Release a copy's latest version (as the workspace's admin).
    async fn release(&self, column: Column, copy: &str) -> anyhow::Result<()> {
        let input = json!({ "workspaceConnectorId": copy });
        self.as_admin(column, RELEASE, input, "releaseWorkspaceConnector")
            .await?;
        Ok(())
    }

    pub(super) async fn uninstall(&self, column: Column, copy: &str) -> anyhow::Result<()> {
        self.as_admin(
            column,
            UNINSTALL,
            json!({ "workspaceConnectorId": copy }),
            "uninstallWorkspaceConnector",
        )
        .await?;
        Ok(())
    }

    /// The copy of the arranged listing in a workspace, in the known state every copy cell starts
    /// from: installed at 1.0.0, version 1 released, version 2 a local edit (so that release,
    /// restore, update, edit and uninstall each have something to change). For the missing
    /// column, the id of an uninstalled copy.
    pub(super) async fn ensure_copy(&self, column: Column) -> anyhow::Result<String> {
        if column == Column::Missing {
            return Ok(self.missing_copy.clone());
        }
        if let Some(copy) = self.find_copy(column, LISTING).await? {
            let id = id_of(&copy["id"])?;
            if copy["latestNumber"] == 2
                && copy["releasedNumber"] == 1
                && copy["parentVersion"]["version"] == "1.0.0"
            {
                return Ok(id);
            }
            self.uninstall(column, &id).await?;
        }
        let id = self.install(column, LISTING, Some("1.0.0")).await?;
        self.release(column, &id).await?;
        let edited = format!("{}\n// local edit\n", self.source_v1);
        let input = json!({ "workspaceConnectorId": id, "source": edited });
        self.as_admin(column, EDIT, input, "editWorkspaceConnector")
            .await?;
        Ok(id)
    }

    pub(super) async fn ensure_not_installed(
        &self,
        column: Column,
        listing: &str,
    ) -> anyhow::Result<()> {
        if let Some(copy) = self.find_copy(column, listing).await? {
            self.uninstall(column, &id_of(&copy["id"])?).await?;
        }
        Ok(())
    }

    /// Make `who` an analyst of the workspace (`present`), or no member at all.
    pub(super) async fn ensure_member(
        &self,
        column: Column,
        who: &str,
        present: bool,
    ) -> anyhow::Result<()> {
        let state = self.workspace_state(column).await?;
        let role = state["members"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["user"]["handle"] == who)
            .map(|m| m["role"].clone());
        match (present, role) {
            (true, Some(role)) if role == "analyst" => {}
            (true, _) => {
                let input =
                    json!({ "workspace": column.workspace(), "handle": who, "role": "analyst" });
                self.as_admin(column, SET_MEMBER, input, "setWorkspaceMember")
                    .await?;
            }
            (false, Some(_)) => {
                let input = json!({ "workspace": column.workspace(), "handle": who });
                self.as_admin(column, REMOVE_MEMBER, input, "removeWorkspaceMember")
                    .await?;
            }
            (false, None) => {}
        }
        Ok(())
    }

    /// Make `who` an admin of the workspace (as its admin).
    pub(super) async fn ensure_admin(&self, column: Column, who: &str) -> anyhow::Result<()> {
        let state = self.workspace_state(column).await?;
        let is_admin = state["members"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["user"]["handle"] == who && m["role"] == "admin");
        if !is_admin {
            let input = json!({ "workspace": column.workspace(), "handle": who, "role": "admin" });
            self.as_admin(column, SET_MEMBER, input, "setWorkspaceMember")
                .await?;
        }
        Ok(())
    }

    /// Publish a new version of the arranged listing (as its owner); returns its number.
    pub(super) async fn publish_next(&mut self) -> anyhow::Result<String> {
        let version = format!("2.{}.0", self.next());
        let input = json!({ "slug": LISTING, "version": version, "source": self.source_v1 });
        self.must(&self.owner, PUBLISH, input, "publishVersion")
            .await?;
        Ok(version)
    }

    /// Both workspaces hold unread notices (so that marking them read changes something).
    pub(super) async fn ensure_unread(&mut self) -> anyhow::Result<()> {
        let mut unread = Vec::new();
        for column in [Column::Own, Column::Foreign] {
            unread.push(self.workspace_state(column).await?["unreadNotificationCount"].as_u64());
        }
        if unread.iter().all(|n| n.is_some_and(|n| n > 0)) {
            return Ok(());
        }
        // A version newer than every copy's parent notifies both workspaces.
        self.ensure_copy(Column::Own).await?;
        self.ensure_copy(Column::Foreign).await?;
        self.publish_next().await?;
        for column in [Column::Own, Column::Foreign] {
            let count = self.workspace_state(column).await?["unreadNotificationCount"].clone();
            anyhow::ensure!(
                count.as_u64().is_some_and(|n| n > 0),
                "no unread notice in {:?} after publishing",
                column
            );
        }
        Ok(())
    }

    pub(super) async fn ensure_unyanked(
        &self,
        column: Column,
        version: &str,
    ) -> anyhow::Result<()> {
        let input = json!({ "slug": column.listing(), "version": version, "yanked": false });
        self.must(self.listing_owner(column), YANK, input, "yankVersion")
            .await?;
        Ok(())
    }

    /// Make the co-owner an owner of the own and foreign listings (`present`), or of neither.
    pub(super) async fn ensure_co_owner(&self, present: bool) -> anyhow::Result<()> {
        let state = self.listing_state().await?;
        for (column, key) in [(Column::Own, "main"), (Column::Foreign, "foreign")] {
            let is_owner = state[key]["owners"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|o| o["handle"] == CO_OWNER);
            let input = json!({ "slug": column.listing(), "handle": CO_OWNER });
            let token = self.listing_owner(column);
            if present && !is_owner {
                self.must(token, ADD_OWNER, input, "addConnectorOwner")
                    .await?;
            } else if !present && is_owner {
                self.must(token, REMOVE_OWNER, input, "removeConnectorOwner")
                    .await?;
            }
        }
        Ok(())
    }

    /// The recipe listing installed in a workspace with its first version released, so that
    /// recipes and connections may name it.
    pub(super) async fn ensure_recipe_copy(&self, column: Column) -> anyhow::Result<()> {
        if let Some(copy) = self.find_copy(column, RECIPE_LISTING).await?
            && !copy["releasedNumber"].is_null()
        {
            return Ok(());
        }
        self.ensure_not_installed(column, RECIPE_LISTING).await?;
        let payload = self
            .as_admin(
                column,
                INSTALL,
                json!({ "workspace": column.workspace(), "connector": RECIPE_LISTING }),
                "installConnector",
            )
            .await?;
        let id = id_of(&payload["workspaceConnector"]["id"])?;
        self.release(column, &id).await
    }

    /// The id of the recipe listing's copy in a workspace (released, so the debugger cells run
    /// the same version recipes would).
    pub(super) async fn recipe_copy(&self, column: Column) -> anyhow::Result<String> {
        self.ensure_recipe_copy(column).await?;
        let copy = self
            .find_copy(column, RECIPE_LISTING)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no copy of {RECIPE_LISTING} in {column:?}"))?;
        id_of(&copy["id"])
    }

    /// An item (`recipes` or `connections`) of a workspace by name, as its admin sees it.
    pub(super) async fn find_named(
        &self,
        column: Column,
        list: &str,
        name: &str,
    ) -> anyhow::Result<Option<Value>> {
        let state = self.workspace_state(column).await?;
        Ok(state[list]
            .as_array()
            .into_iter()
            .flatten()
            .find(|item| item["name"] == name)
            .cloned())
    }

    /// Create a recipe named `name` in a workspace (as its admin); returns its id.
    pub(super) async fn create_recipe(&self, column: Column, name: &str) -> anyhow::Result<String> {
        let input = json!({ "workspace": column.workspace(), "name": name, "definition": recipe_definition() });
        let payload = self
            .as_admin(column, CREATE_RECIPE, input, "createRecipe")
            .await?;
        id_of(&payload["recipe"]["id"])
    }

    /// The arranged recipe of a workspace, in the state every recipe cell starts from: present
    /// and stopped. For the missing column, the id of a deleted recipe.
    pub(super) async fn ensure_recipe(&self, column: Column) -> anyhow::Result<String> {
        if column == Column::Missing {
            return Ok(self.missing_recipe.clone());
        }
        let Some(recipe) = self.find_named(column, "recipes", RECIPE_NAME).await? else {
            return self.create_recipe(column, RECIPE_NAME).await;
        };
        let id = id_of(&recipe["id"])?;
        if recipe["state"] != "STOPPED" {
            self.as_admin(
                column,
                SET_RECIPE_STATE,
                json!({ "recipeId": id, "state": "STOPPED" }),
                "setRecipeState",
            )
            .await?;
        }
        Ok(id)
    }

    /// Create a connection named `name` in a workspace (as its admin); returns its id.
    pub(super) async fn create_connection(
        &self,
        column: Column,
        name: &str,
    ) -> anyhow::Result<String> {
        let input = json!({
            "workspace": column.workspace(),
            "name": name,
            "connector": RECIPE_LISTING,
            "values": { "api_key": "arranged-secret", "region": "arranged" },
        });
        let payload = self
            .as_admin(column, CREATE_CONNECTION, input, "createConnection")
            .await?;
        id_of(&payload["connection"]["id"])
    }

    /// The arranged connection of a workspace (present). For the missing column, the id of a
    /// deleted connection.
    pub(super) async fn ensure_connection(&self, column: Column) -> anyhow::Result<String> {
        if column == Column::Missing {
            return Ok(self.missing_connection.clone());
        }
        match self
            .find_named(column, "connections", CONNECTION_NAME)
            .await?
        {
            Some(connection) => id_of(&connection["id"]),
            None => self.create_connection(column, CONNECTION_NAME).await,
        }
    }

    /// Turn a workspace's package policy off (as its admin) if a cell turned it on.
    pub(super) async fn ensure_unsigned(&self, column: Column) -> anyhow::Result<()> {
        if self.workspace_state(column).await?["requiresSignedPackages"] == false {
            return Ok(());
        }
        let input = json!({ "workspace": column.workspace(), "requireSigned": false });
        self.as_admin(column, SET_PACKAGE_POLICY, input, "setPackagePolicy")
            .await?;
        Ok(())
    }

    /// Export a workspace's arranged recipe as its admin; returns the recorded package.
    pub(super) async fn export(&self, column: Column) -> anyhow::Result<Value> {
        let recipe = self.ensure_recipe(column).await?;
        let input = json!({ "workspace": column.workspace(), "recipeIds": [recipe] });
        let payload = self
            .as_admin(column, EXPORT_PACKAGE, input, "exportPackage")
            .await?;
        Ok(payload["package"].clone())
    }

    /// A package freshly exported from the own workspace (its arranged recipe and the released
    /// recipe listing it uses), downloaded with the admin's token: importing it back is valid.
    pub(super) async fn export_own(&self) -> anyhow::Result<Vec<u8>> {
        let package = self.export(Column::Own).await?;
        // A download is audited: it writes.
        self.wrote.set(true);
        let path = package["downloadPath"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no downloadPath in {package}"))?;
        let resp = self
            .app
            .client
            .get(format!("{}{path}", self.app.base_url))
            .bearer_auth(&self.admin)
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "downloading {path}: {}",
            resp.status()
        );
        Ok(resp.bytes().await?.to_vec())
    }
}
