//! Recipes and connections over GraphQL.

use std::collections::BTreeMap;

use ::service::model::{Connection as ConnectionRecord, Recipe as RecipeRecord};
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::context::{principal, state};
use super::errors::GqlResult;
use super::ids::{self, Kind};
use super::mutation::{UserError, split};
use crate::error::{ServiceResult, UserProblem};
use crate::recipes::{self as service, ConnectionInput, RecipeInput};

fn decode(kind: Kind, id: &ID, field: &str) -> ServiceResult<i64> {
    ids::decode_as(kind, id).ok_or_else(|| {
        UserProblem::bad_input(&["input", field], "not an id of the right kind").into()
    })
}

/// Whether a recipe runs.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RecipeState {
    /// Not running.
    Stopped,
    /// Running.
    Running,
}

/// An automation: a trigger and ordered steps, each naming a connector and an action.
pub struct Recipe(pub RecipeRecord);

/// An automation: a trigger and ordered steps, each naming a connector and an action.
#[Object]
impl Recipe {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::Recipe, self.0.id)
    }
    /// Stable asset id (a UUID), kept across export and import.
    async fn asset_id(&self) -> &str {
        &self.0.asset_id
    }
    /// Folder path, `/`-separated; empty for the root.
    async fn folder(&self) -> &str {
        &self.0.folder
    }
    /// Name, unique within its folder.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it does.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// `{ trigger: {connector, trigger, input}, steps: [{connector, action, input}] }`.
    async fn definition(&self) -> Json<Value> {
        Json(self.0.definition.clone())
    }
    /// Running or stopped.
    async fn state(&self) -> RecipeState {
        if self.0.state == "running" {
            RecipeState::Running
        } else {
            RecipeState::Stopped
        }
    }
    /// Last change.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// What its trigger's events did, newest first. Needs `RECIPE_READ`.
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last job of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only jobs in this state.")] status: Option<super::jobs::JobStatus>,
    ) -> GqlResult<super::jobs::JobConnection> {
        super::jobs::recipe_jobs(ctx, self.0.id, first, after, status).await
    }
}

/// Credentials and settings for a workspace connector. Secret values are write-only.
pub struct Connection(pub ConnectionRecord);

/// Credentials and settings for a workspace connector. Secret values are write-only.
#[Object]
impl Connection {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::Connection, self.0.id)
    }
    /// Stable asset id (a UUID), kept across export and import.
    async fn asset_id(&self) -> &str {
        &self.0.asset_id
    }
    /// Folder path.
    async fn folder(&self) -> &str {
        &self.0.folder
    }
    /// Name, unique within its folder.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The workspace connector it is for.
    async fn workspace_connector_id(&self) -> ID {
        ids::encode(Kind::WorkspaceConnector, self.0.workspace_connector_id)
    }
    /// Non-secret values.
    async fn fields(&self) -> Json<Value> {
        Json(self.0.fields.clone())
    }
    /// Names of the secret fields that hold a value (the values are never returned).
    async fn secrets_set(&self) -> Vec<String> {
        self.0
            .secrets
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// A new recipe.
#[derive(InputObject)]
pub struct CreateRecipeInput {
    /// The workspace's slug.
    pub workspace: String,
    /// A UUID to keep (e.g. from another workspace); a new one when absent.
    pub asset_id: Option<String>,
    /// Folder path.
    #[graphql(default)]
    pub folder: String,
    /// Name.
    pub name: String,
    /// What it does.
    #[graphql(default)]
    pub description: String,
    /// Trigger and steps.
    pub definition: Json<Value>,
}

/// Changes to a recipe; absent fields stay.
#[derive(InputObject)]
pub struct UpdateRecipeInput {
    /// The recipe.
    pub recipe_id: ID,
    /// New folder.
    pub folder: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New definition.
    pub definition: Option<Json<Value>>,
}

/// A recipe to act on.
#[derive(InputObject)]
pub struct RecipeRefInput {
    /// The recipe.
    pub recipe_id: ID,
}

/// Start or stop a recipe.
#[derive(InputObject)]
pub struct SetRecipeStateInput {
    /// The recipe.
    pub recipe_id: ID,
    /// The state to put it in.
    pub state: RecipeState,
}

/// A recipe after a change.
#[derive(SimpleObject)]
pub struct RecipePayload {
    /// The recipe.
    pub recipe: Option<Recipe>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A new connection.
#[derive(InputObject)]
pub struct CreateConnectionInput {
    /// The workspace's slug.
    pub workspace: String,
    /// A UUID to keep; a new one when absent.
    pub asset_id: Option<String>,
    /// Folder path.
    #[graphql(default)]
    pub folder: String,
    /// Name.
    pub name: String,
    /// The listing slug of the workspace connector it is for.
    pub connector: String,
    /// Field values by name; secret ones are stored write-only.
    #[graphql(default_with = "Json(BTreeMap::new())")]
    pub values: Json<BTreeMap<String, Value>>,
}

/// New values for some fields of a connection.
#[derive(InputObject)]
pub struct UpdateConnectionInput {
    /// The connection.
    pub connection_id: ID,
    /// Field values by name; others keep theirs.
    pub values: Json<BTreeMap<String, Value>>,
}

/// A connection after a change.
#[derive(SimpleObject)]
pub struct ConnectionPayload {
    /// The connection.
    pub connection: Option<Connection>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Recipes and connections.
#[derive(Default)]
pub struct RecipeMutationRoot;

#[Object]
impl RecipeMutationRoot {
    /// Create a recipe (stopped); its connectors must be installed and released. Needs `RECIPE_WRITE`.
    async fn create_recipe(
        &self,
        ctx: &Context<'_>,
        input: CreateRecipeInput,
    ) -> GqlResult<RecipePayload> {
        let recipe = RecipeInput {
            asset_id: input.asset_id,
            folder: input.folder,
            name: input.name,
            description: input.description,
            definition: input.definition.0,
        };
        let result = service::create_recipe(
            &state(ctx)?.db,
            &state(ctx)?.authz,
            principal(ctx)?,
            &input.workspace,
            recipe,
        )
        .await;
        let (recipe, user_errors) = split(result)?;
        Ok(RecipePayload {
            recipe: recipe.map(Recipe),
            user_errors,
        })
    }

    /// Change a recipe. Needs `RECIPE_WRITE`.
    async fn update_recipe(
        &self,
        ctx: &Context<'_>,
        input: UpdateRecipeInput,
    ) -> GqlResult<RecipePayload> {
        let db = &state(ctx)?.db;
        let result = match decode(Kind::Recipe, &input.recipe_id, "recipeId") {
            Ok(id) => {
                service::update_recipe(
                    db,
                    &state(ctx)?.authz,
                    principal(ctx)?,
                    id,
                    input.folder,
                    input.name,
                    input.description,
                    input.definition.map(|d| d.0),
                )
                .await
            }
            Err(e) => Err(e),
        };
        let (recipe, user_errors) = split(result)?;
        Ok(RecipePayload {
            recipe: recipe.map(Recipe),
            user_errors,
        })
    }

    /// Delete a recipe. Needs `RECIPE_WRITE`.
    async fn delete_recipe(
        &self,
        ctx: &Context<'_>,
        input: RecipeRefInput,
    ) -> GqlResult<RecipePayload> {
        let db = &state(ctx)?.db;
        let result = match decode(Kind::Recipe, &input.recipe_id, "recipeId") {
            Ok(id) => service::delete_recipe(db, &state(ctx)?.authz, principal(ctx)?, id).await,
            Err(e) => Err(e),
        };
        let (recipe, user_errors) = split(result)?;
        Ok(RecipePayload {
            recipe: recipe.map(Recipe),
            user_errors,
        })
    }

    /// Start or stop a recipe. Needs `RECIPE_RUN`.
    async fn set_recipe_state(
        &self,
        ctx: &Context<'_>,
        input: SetRecipeStateInput,
    ) -> GqlResult<RecipePayload> {
        let db = &state(ctx)?.db;
        let running = input.state == RecipeState::Running;
        let result = match decode(Kind::Recipe, &input.recipe_id, "recipeId") {
            Ok(id) => {
                service::set_recipe_running(db, &state(ctx)?.authz, principal(ctx)?, id, running)
                    .await
            }
            Err(e) => Err(e),
        };
        let (recipe, user_errors) = split(result)?;
        Ok(RecipePayload {
            recipe: recipe.map(Recipe),
            user_errors,
        })
    }

    /// Create a connection for an installed connector. Needs `CONNECTION_WRITE`.
    async fn create_connection(
        &self,
        ctx: &Context<'_>,
        input: CreateConnectionInput,
    ) -> GqlResult<ConnectionPayload> {
        let connection = ConnectionInput {
            asset_id: input.asset_id,
            folder: input.folder,
            name: input.name,
            connector: input.connector,
            values: input.values.0,
        };
        let result = service::create_connection(
            &state(ctx)?.db,
            &state(ctx)?.authz,
            principal(ctx)?,
            &input.workspace,
            connection,
        )
        .await;
        let (connection, user_errors) = split(result)?;
        Ok(ConnectionPayload {
            connection: connection.map(Connection),
            user_errors,
        })
    }

    /// Set values of a connection. Needs `CONNECTION_WRITE`.
    async fn update_connection(
        &self,
        ctx: &Context<'_>,
        input: UpdateConnectionInput,
    ) -> GqlResult<ConnectionPayload> {
        let db = &state(ctx)?.db;
        let result = match decode(Kind::Connection, &input.connection_id, "connectionId") {
            Ok(id) => {
                service::update_connection(
                    db,
                    &state(ctx)?.authz,
                    principal(ctx)?,
                    id,
                    input.values.0,
                )
                .await
            }
            Err(e) => Err(e),
        };
        let (connection, user_errors) = split(result)?;
        Ok(ConnectionPayload {
            connection: connection.map(Connection),
            user_errors,
        })
    }
}
