//! The world every cell starts from, arranged once per backend through the API: users and
//! tokens, listings, workspaces with custom roles and members, copies, recipes, connections, and
//! ids that look valid but name nothing.

use std::cell::Cell;

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};
use tests::{Backend, TestApp};

use super::operations::{
    CREATE_CONNECTOR, CREATE_WORKSPACE, DELETE_RECIPE, PUBLISH, SET_MEMBER, SET_ROLE,
};
use super::world::{WORKSPACE_STATE, World};
use super::{
    ACTORS, BYSTANDER, CO_OWNER, CUSTOM_AUDIT_ROLE, CUSTOM_DEV_ROLE, CUSTOM_MANAGER_ROLE, Column,
    DEPUTY, FOREIGN_ADMIN, FOREIGN_LISTING, FOREIGN_WS, GONE_NAME, INSTALL_LISTING, LISTING,
    OWN_WS, RECIPE_LISTING, VICTIM, handle, must,
};
use crate::fixtures::{connector_source, recipe_connector_source};

/// The signed-in actors' tokens, by actor.
type Tokens = BTreeMap<&'static str, String>;

/// Users, listings, workspaces, roles, members and copies, arranged through the API.
pub(super) async fn arrange(backend: Backend) -> anyhow::Result<World> {
    let app = TestApp::spawn(backend).await?;
    let (tokens, foreign_admin) = sign_in(&app).await?;
    let admin = token_of(&tokens, "admin")?;
    let owner = token_of(&tokens, "listing_owner")?;
    let source_v1 = arrange_listings(&app, &owner, &foreign_admin).await?;
    let developer = arrange_workspaces(&app, &admin, &foreign_admin).await?;
    check_actors_hold_their_roles(&app, &tokens, developer).await?;
    let mut world = World {
        app,
        tokens,
        admin,
        foreign_admin,
        owner,
        missing_copy: String::new(),
        source_v1,
        missing_recipe: String::new(),
        missing_connection: String::new(),
        archive: Vec::new(),
        seq: 0,
        wrote: Cell::new(false),
        last_snapshot: None,
    };
    world.arrange_copies_and_members().await?;
    world.arrange_recipes_and_connections().await?;
    Ok(world)
}

/// A user and a token for every actor but `anonymous`, the foreign admin and the users the cells
/// act on; returns the actors' tokens and the foreign admin's.
async fn sign_in(app: &TestApp) -> anyhow::Result<(Tokens, String)> {
    let mut tokens = BTreeMap::new();
    for actor in ACTORS.into_iter().filter(|a| *a != "anonymous") {
        tokens.insert(actor, app.user_with_token(&handle(actor)).await?);
    }
    let foreign_admin = app.user_with_token(FOREIGN_ADMIN).await?;
    for extra in [BYSTANDER, VICTIM, CO_OWNER, DEPUTY] {
        app.user_with_token(extra).await?;
    }
    Ok((tokens, foreign_admin))
}

fn token_of(tokens: &Tokens, actor: &str) -> anyhow::Result<String> {
    tokens
        .get(actor)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no token for {actor}"))
}

/// The listings: the arranged one with 1.0.0 and 1.1.0, one to install, the recipe listing (all
/// of `listing_owner`), and one of someone else. Returns the source of the arranged 1.0.0.
async fn arrange_listings(
    app: &TestApp,
    owner: &str,
    foreign_admin: &str,
) -> anyhow::Result<String> {
    let source_v1 = connector_source("Authz", &[("get_item", "Get item")]);
    let source_v11 = connector_source(
        "Authz",
        &[("get_item", "Get item"), ("list_items", "List items")],
    );
    let create = |slug: &str, source: &str| {
        json!({
            "slug": slug,
            "name": format!("Listing {slug}"),
            "summary": "Arranged for the authorization matrix",
            "category": "testing",
            "version": "1.0.0",
            "source": source,
        })
    };
    let listing = create(LISTING, &source_v1);
    must(app, owner, CREATE_CONNECTOR, listing, "createConnector").await?;
    let input = json!({ "slug": LISTING, "version": "1.1.0", "source": source_v11 });
    must(app, owner, PUBLISH, input, "publishVersion").await?;
    let install = create(INSTALL_LISTING, &source_v1);
    must(app, owner, CREATE_CONNECTOR, install, "createConnector").await?;
    let recipes = create(RECIPE_LISTING, &recipe_connector_source("Authz recipes"));
    must(app, owner, CREATE_CONNECTOR, recipes, "createConnector").await?;
    let input = create(FOREIGN_LISTING, &source_v1);
    must(
        app,
        foreign_admin,
        CREATE_CONNECTOR,
        input,
        "createConnector",
    )
    .await?;
    Ok(source_v1)
}

/// Both workspaces, the own one's custom roles, and its members (one per role of the table).
/// Returns the built-in developer role's permissions.
async fn arrange_workspaces(
    app: &TestApp,
    admin: &str,
    foreign_admin: &str,
) -> anyhow::Result<Value> {
    for (token, slug) in [(admin, OWN_WS), (foreign_admin, FOREIGN_WS)] {
        let input = json!({ "slug": slug, "name": format!("Workspace {slug}"), "environment": "DEVELOPMENT" });
        must(app, token, CREATE_WORKSPACE, input, "createWorkspace").await?;
    }
    let roles = app
        .data(Some(admin), WORKSPACE_STATE, json!({ "ws": OWN_WS }))
        .await?;
    let developer = roles["workspace"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "developer")
        .map(|r| r["permissions"].clone())
        .ok_or_else(|| anyhow::anyhow!("no developer role in {roles}"))?;
    for (name, permissions) in [
        (CUSTOM_DEV_ROLE, developer.clone()),
        (CUSTOM_AUDIT_ROLE, json!(["RECIPE_READ", "AUDIT_READ"])),
        (
            CUSTOM_MANAGER_ROLE,
            json!([
                "WORKSPACE_MANAGE_MEMBERS",
                "WORKSPACE_MANAGE_ROLES",
                "RECIPE_READ"
            ]),
        ),
    ] {
        let input = json!({ "workspace": OWN_WS, "name": name, "permissions": permissions });
        must(app, admin, SET_ROLE, input, "setWorkspaceRole").await?;
    }
    for (actor, role) in [
        ("analyst", "analyst"),
        ("operator", "operator"),
        ("developer", "developer"),
        ("custom_with_dev", CUSTOM_DEV_ROLE),
        ("custom_without_dev", CUSTOM_AUDIT_ROLE),
        ("member_manager", CUSTOM_MANAGER_ROLE),
    ] {
        let input = json!({ "workspace": OWN_WS, "handle": handle(actor), "role": role });
        must(app, admin, SET_MEMBER, input, "setWorkspaceMember").await?;
    }
    Ok(developer)
}

/// Each actor holds what the table's header says, and the outsiders belong nowhere.
async fn check_actors_hold_their_roles(
    app: &TestApp,
    tokens: &Tokens,
    developer: Value,
) -> anyhow::Result<()> {
    let developer: BTreeSet<String> = serde_json::from_value(developer)?;
    for (actor, role, expected) in [
        ("analyst", "analyst", json!(["RECIPE_READ"])),
        ("custom_with_dev", CUSTOM_DEV_ROLE, json!(developer)),
        (
            "custom_without_dev",
            CUSTOM_AUDIT_ROLE,
            json!(["AUDIT_READ", "RECIPE_READ"]),
        ),
        (
            "member_manager",
            CUSTOM_MANAGER_ROLE,
            json!([
                "RECIPE_READ",
                "WORKSPACE_MANAGE_MEMBERS",
                "WORKSPACE_MANAGE_ROLES"
            ]),
        ),
    ] {
        let data = app
            .data(
                Some(&token_of(tokens, actor)?),
                "query($ws: String!) { workspace(slug: $ws) { role permissions } }",
                json!({ "ws": OWN_WS }),
            )
            .await?;
        let held: BTreeSet<String> =
            serde_json::from_value(data["workspace"]["permissions"].clone())?;
        let expected: BTreeSet<String> = serde_json::from_value(expected)?;
        anyhow::ensure!(data["workspace"]["role"] == role, "{actor} holds {data}");
        anyhow::ensure!(
            held == expected,
            "{actor} holds {held:?}, expected {expected:?}"
        );
    }
    for actor in ["non_member", "listing_owner"] {
        let data = app
            .data(
                Some(&token_of(tokens, actor)?),
                "{ myWorkspaces { role } }",
                json!({}),
            )
            .await?;
        anyhow::ensure!(
            data["myWorkspaces"] == json!([]),
            "{actor} belongs to {data}"
        );
    }
    Ok(())
}

impl World {
    /// A copy id that looks valid but names nothing (installed, then uninstalled), the arranged
    /// copy in both workspaces, and the victim an analyst of both.
    async fn arrange_copies_and_members(&mut self) -> anyhow::Result<()> {
        let gone = self.install(Column::Own, LISTING, Some("1.0.0")).await?;
        self.uninstall(Column::Own, &gone).await?;
        self.missing_copy = gone;
        self.ensure_copy(Column::Own).await?;
        self.ensure_copy(Column::Foreign).await?;
        self.ensure_member(Column::Own, VICTIM, true).await?;
        self.ensure_member(Column::Foreign, VICTIM, true).await?;
        Ok(())
    }

    /// Recipes and connections: the recipe listing released in both workspaces, a recipe and a
    /// connection in each, and ids that look valid but name nothing (created, then deleted; there
    /// is no mutation that deletes a connection, so its row is deleted directly). Last, a package
    /// export in each workspace, so that the history reads have something to list.
    async fn arrange_recipes_and_connections(&mut self) -> anyhow::Result<()> {
        for column in [Column::Own, Column::Foreign] {
            self.ensure_recipe_copy(column).await?;
            self.ensure_recipe(column).await?;
            self.ensure_connection(column).await?;
        }
        let gone = self.create_recipe(Column::Own, GONE_NAME).await?;
        let input = json!({ "recipeId": gone });
        must(&self.app, &self.admin, DELETE_RECIPE, input, "deleteRecipe").await?;
        self.missing_recipe = gone;
        let gone = self.create_connection(Column::Own, GONE_NAME).await?;
        let deleted = entities::connection::Entity::delete_many()
            .filter(entities::connection::Column::Name.eq(GONE_NAME))
            .exec(self.app.conn()?)
            .await?;
        anyhow::ensure!(
            deleted.rows_affected == 1,
            "deleted {} connections named {GONE_NAME}",
            deleted.rows_affected
        );
        self.missing_connection = gone;
        for column in [Column::Own, Column::Foreign] {
            self.export(column).await?;
        }
        anyhow::ensure!(
            self.find_named(Column::Own, "connections", GONE_NAME)
                .await?
                .is_none(),
            "the deleted connection is still listed"
        );
        Ok(())
    }
}
