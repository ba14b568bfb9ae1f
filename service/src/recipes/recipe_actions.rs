//! A workspace's recipes: create, open, change, delete, start and stop them, and list them.

use chrono::Utc;
use entities::{connection, recipe, recipe_connector};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::authz::{Authorizer, Permission, WorkspaceAccess, WorkspaceRef};
use crate::db;
use crate::domain;
use crate::error::{ServiceError, ServiceResult, unless_taken};

use super::*;

/// Create a recipe (stopped). Needs `recipe.write`.
pub async fn create_recipe(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    workspace_slug: &str,
    input: RecipeInput,
) -> ServiceResult<recipe::Model> {
    let access = authorizer
        .authorize(
            db,
            principal,
            WorkspaceRef::Slug(workspace_slug),
            Some(Permission::RecipeWrite),
        )
        .await?;
    let (asset_id, folder, name) =
        asset_place(input.asset_id.as_deref(), &input.folder, &input.name)?;
    let description = domain::text(&["input", "description"], &input.description, 5_000, true)?;
    let txn = db::begin_write(db).await?;
    let used = validate_definition(&txn, access.workspace.id, &input.definition).await?;
    let now = Utc::now();
    let inserted = recipe::ActiveModel {
        workspace_id: Set(access.workspace.id),
        asset_id: Set(asset_id),
        folder: Set(folder),
        name: Set(name),
        description: Set(description),
        definition: Set(input.definition),
        state: Set("stopped".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let recipe = unless_taken(inserted, || path_taken("recipe"))?;
    set_uses_in(&txn, recipe.id, &used).await?;
    audit_success(
        &txn,
        &access,
        Permission::RecipeWrite,
        "recipe",
        &recipe.asset_id,
        json!({ "created": recipe.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(recipe)
}

/// Load a recipe by id and authorize `permission` in its workspace (foreign ids answer
/// `NOT_FOUND`).
pub async fn open_recipe(
    db: &impl ConnectionTrait,
    authorizer: &Authorizer,
    principal: &Principal,
    recipe_id: i64,
    permission: Permission,
) -> ServiceResult<(WorkspaceAccess, recipe::Model)> {
    principal.require_user()?;
    let found = recipe::Entity::find_by_id(recipe_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("recipe".into()))?;
    let access = authorizer
        .authorize_for_object(
            db,
            principal,
            found.workspace_id,
            Some(permission),
            "recipe",
        )
        .await?;
    Ok((access, found))
}

/// Change a recipe: any of folder, name, description, definition. Needs `recipe.write`.
#[allow(clippy::too_many_arguments)] // the store and its enforcer, the caller, then the fields
pub async fn update_recipe(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    recipe_id: i64,
    folder: Option<String>,
    name: Option<String>,
    description: Option<String>,
    definition: Option<Value>,
) -> ServiceResult<recipe::Model> {
    let (access, found) = open_recipe(
        db,
        authorizer,
        principal,
        recipe_id,
        Permission::RecipeWrite,
    )
    .await?;
    let mut active: recipe::ActiveModel = found.clone().into();
    if let Some(folder) = folder {
        active.folder = Set(check_folder(&["input", "folder"], &folder)?);
    }
    if let Some(name) = name {
        active.name = Set(check_name(&["input", "name"], &name)?);
    }
    if let Some(description) = description {
        active.description = Set(domain::text(
            &["input", "description"],
            &description,
            5_000,
            true,
        )?);
    }
    let txn = db::begin_write(db).await?;
    if let Some(definition) = definition {
        let used = validate_definition(&txn, access.workspace.id, &definition).await?;
        set_uses_in(&txn, found.id, &used).await?;
        active.definition = Set(definition);
    }
    active.updated_at = Set(Utc::now());
    let updated = unless_taken(active.update(&txn).await, || path_taken("recipe"))?;
    audit_success(
        &txn,
        &access,
        Permission::RecipeWrite,
        "recipe",
        &updated.asset_id,
        json!({ "updated": updated.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Delete a recipe. Needs `recipe.write`.
pub async fn delete_recipe(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    recipe_id: i64,
) -> ServiceResult<recipe::Model> {
    let (access, found) = open_recipe(
        db,
        authorizer,
        principal,
        recipe_id,
        Permission::RecipeWrite,
    )
    .await?;
    let txn = db::begin_write(db).await?;
    recipe::Entity::delete_by_id(found.id).exec(&txn).await?;
    audit_success(
        &txn,
        &access,
        Permission::RecipeWrite,
        "recipe",
        &found.asset_id,
        json!({ "deleted": found.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(found)
}

/// Start or stop a recipe. Needs `recipe.run`; starting re-checks the definition against the
/// released versions.
pub async fn set_recipe_running(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    recipe_id: i64,
    running: bool,
) -> ServiceResult<recipe::Model> {
    let (access, found) =
        open_recipe(db, authorizer, principal, recipe_id, Permission::RecipeRun).await?;
    let state = if running { "running" } else { "stopped" };
    if found.state == state {
        return Ok(found);
    }
    let txn = db::begin_write(db).await?;
    if running {
        validate_definition(&txn, access.workspace.id, &found.definition).await?;
    }
    let mut active: recipe::ActiveModel = found.into();
    active.state = Set(state.to_owned());
    active.updated_at = Set(Utc::now());
    let updated = active.update(&txn).await?;
    if running {
        crate::jobs::poll_soon(&txn, updated.id).await?;
    }
    audit_success(
        &txn,
        &access,
        Permission::RecipeRun,
        "recipe",
        &updated.asset_id,
        json!({ "state": state }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// The workspace's recipes, by folder and name. Needs `recipe.read`.
pub async fn recipes(
    db: &impl ConnectionTrait,
    access: &WorkspaceAccess,
) -> ServiceResult<Vec<recipe::Model>> {
    access.require(Permission::RecipeRead)?;
    Ok(recipe::Entity::find()
        .filter(recipe::Column::WorkspaceId.eq(access.workspace.id))
        .order_by_asc(recipe::Column::Folder)
        .order_by_asc(recipe::Column::Name)
        .all(db)
        .await?)
}

/// The recipes and connections that use a copy, in words ("recipe `a/b`, connection `c`"), or
/// `None` when nothing does.
pub async fn users_of(
    db: &impl ConnectionTrait,
    copy_id: i64,
) -> Result<Option<String>, sea_orm::DbErr> {
    let recipe_ids: Vec<i64> = recipe_connector::Entity::find()
        .filter(recipe_connector::Column::WorkspaceConnectorId.eq(copy_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.recipe_id)
        .collect();
    let recipes = recipe::Entity::find()
        .filter(recipe::Column::Id.is_in(recipe_ids))
        .order_by_asc(recipe::Column::Folder)
        .order_by_asc(recipe::Column::Name)
        .all(db)
        .await?;
    let connections = connection::Entity::find()
        .filter(connection::Column::WorkspaceConnectorId.eq(copy_id))
        .order_by_asc(connection::Column::Folder)
        .order_by_asc(connection::Column::Name)
        .all(db)
        .await?;
    let path = |folder: &str, name: &str| {
        if folder.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", folder.trim_end_matches('/'))
        }
    };
    let users: Vec<String> = recipes
        .iter()
        .map(|r| format!("recipe `{}`", path(&r.folder, &r.name)))
        .chain(
            connections
                .iter()
                .map(|c| format!("connection `{}`", path(&c.folder, &c.name))),
        )
        .collect();
    Ok((!users.is_empty()).then(|| users.join(", ")))
}
