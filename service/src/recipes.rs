//! Recipes and connections inside a workspace.
//!
//! A recipe's definition names connectors by their listing slug and actions/triggers by name;
//! saving it checks each against the workspace's copies and their *released* versions, and keeps
//! the list of copies it uses (so a used copy cannot be uninstalled). A connection's values are
//! split by the connector's own field declarations: secret ones are write-only.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use entities::{
    connection, connector, recipe, recipe_connector, workspace_connector,
    workspace_connector_version as wcv,
};
use packager::names;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

use crate::audit;
use crate::auth::Principal;
use crate::authz::{Authorizer, Permission, WorkspaceAccess, WorkspaceRef};
use crate::db;
use crate::domain;
use crate::error::{ServiceError, ServiceResult, UserProblem, unless_taken};

/// A recipe as submitted.
#[derive(Debug, Clone)]
pub struct RecipeInput {
    pub asset_id: Option<String>,
    pub folder: String,
    pub name: String,
    pub description: String,
    pub definition: Value,
}

/// A connection as submitted. Values are split into fields and secrets by the connector's
/// declaration.
#[derive(Clone)]
pub struct ConnectionInput {
    pub asset_id: Option<String>,
    pub folder: String,
    pub name: String,
    /// The listing slug of the workspace connector it is for.
    pub connector: String,
    pub values: BTreeMap<String, Value>,
}

/// A new random asset id (UUID v4 text).
pub fn new_asset_id() -> String {
    let mut bytes: [u8; 16] = rand::rng().random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn check_asset_id(field: &[&str], id: &str) -> Result<String, UserProblem> {
    let lower = id.trim().to_ascii_lowercase();
    let shape_ok = lower.len() == 36
        && lower.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if shape_ok {
        Ok(lower)
    } else {
        Err(UserProblem::bad_input(field, "must be a UUID like 3f2b…-…"))
    }
}

/// A folder path, `""` for the root: surrounding spaces and slashes are dropped and each segment is
/// trimmed, then the result must pass the package format's folder rule (`packager::names`), so
/// that every folder a workspace saves can be exported.
pub fn check_folder(field: &[&str], folder: &str) -> Result<String, UserProblem> {
    let trimmed = folder.trim().trim_matches('/');
    let folder = trimmed
        .split('/')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("/");
    names::check_folder(&folder).map_err(|problem| {
        UserProblem::bad_input(
            field,
            format!(
                "the folder {problem}: folders are up to {} segments of ASCII letters, digits, \
                 spaces, '-', '_', '.', '(' and ')', separated by '/', and do not start with `{}`",
                names::MAX_FOLDER_DEPTH,
                names::CONNECTORS_FOLDER
            ),
        )
    })?;
    Ok(folder)
}

/// An asset's id (kept, or a new one), folder and name, checked as recipes and connections share
/// them.
fn asset_place(
    asset_id: Option<&str>,
    folder: &str,
    name: &str,
) -> Result<(String, String, String), UserProblem> {
    let asset_id = match asset_id {
        Some(id) => check_asset_id(&["input", "assetId"], id)?,
        None => new_asset_id(),
    };
    let folder = check_folder(&["input", "folder"], folder)?;
    let name = check_name(&["input", "name"], name)?;
    Ok((asset_id, folder, name))
}

/// A recipe or connection name: trimmed, then held to the package format's name rule.
fn check_name(field: &[&str], name: &str) -> Result<String, UserProblem> {
    let name = domain::text(field, name, names::MAX_NAME_LEN, false)?;
    names::check_name(&name).map_err(|problem| {
        UserProblem::bad_input(
            field,
            format!(
                "the name {problem}: names are ASCII letters, digits, spaces, '-', '_', '.', '(' \
                 and ')', not starting or ending with a dot or a space, and not a device name \
                 such as CON"
            ),
        )
    })?;
    Ok(name)
}

/// What a definition refers to: (listing slug, kind, operation name).
fn references(definition: &Value) -> Result<Vec<(String, &'static str, String)>, UserProblem> {
    let field = ["input", "definition"];
    domain::json_without_nul(&field, definition)?;
    let object = definition.as_object().ok_or_else(|| {
        UserProblem::bad_input(&field, "must be an object with `trigger` and `steps`")
    })?;
    let mut refs = Vec::new();
    let name_of = |v: &Value, key: &str, at: &str| -> Result<String, UserProblem> {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                UserProblem::bad_input(&field, format!("{at}: `{key}` must be a string"))
            })
    };
    let trigger = object
        .get("trigger")
        .ok_or_else(|| UserProblem::bad_input(&field, "a recipe needs a `trigger`"))?;
    refs.push((
        name_of(trigger, "connector", "trigger")?,
        "trigger",
        name_of(trigger, "trigger", "trigger")?,
    ));
    let steps = object
        .get("steps")
        .and_then(Value::as_array)
        .ok_or_else(|| UserProblem::bad_input(&field, "`steps` must be a list"))?;
    if steps.len() > 200 {
        return Err(UserProblem::bad_input(
            &field,
            "a recipe has at most 200 steps",
        ));
    }
    for (i, step) in steps.iter().enumerate() {
        let at = format!("steps[{i}]");
        refs.push((
            name_of(step, "connector", &at)?,
            "action",
            name_of(step, "action", &at)?,
        ));
    }
    if let Some(unknown) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "trigger" | "steps"))
    {
        return Err(UserProblem::bad_input(
            &field,
            format!("unknown key `{unknown}`"),
        ));
    }
    Ok(refs)
}

/// The workspace's copies by listing slug, each with its released version's capabilities: what
/// recipe definitions are checked against. Loaded in three statements whatever the number of
/// copies, once per request (or once per package import, for all its recipes).
pub struct ReleasedCopies(
    BTreeMap<String, (workspace_connector::Model, Option<sdk::Capabilities>)>,
);

pub async fn released_copies(
    db: &impl ConnectionTrait,
    workspace_id: i64,
) -> ServiceResult<ReleasedCopies> {
    let copies = workspace_connector::Entity::find()
        .filter(workspace_connector::Column::WorkspaceId.eq(workspace_id))
        .all(db)
        .await?;
    let listing_ids: Vec<i64> = copies.iter().filter_map(|c| c.connector_id).collect();
    let slugs: BTreeMap<i64, String> = connector::Entity::find()
        .filter(connector::Column::Id.is_in(listing_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l.slug))
        .collect();
    let copy_ids: Vec<i64> = copies
        .iter()
        .filter(|c| c.released_number.is_some())
        .map(|c| c.id)
        .collect();
    let versions: Vec<(i64, i32, Value)> = wcv::Entity::find()
        .select_only()
        .column(wcv::Column::WorkspaceConnectorId)
        .column(wcv::Column::Number)
        .column(wcv::Column::Capabilities)
        .filter(wcv::Column::WorkspaceConnectorId.is_in(copy_ids))
        .into_tuple()
        .all(db)
        .await?;
    let mut released: BTreeMap<i64, sdk::Capabilities> = BTreeMap::new();
    for copy in &copies {
        let wanted = copy.released_number;
        let caps = versions
            .iter()
            .find(|(id, number, _)| *id == copy.id && Some(*number) == wanted)
            .and_then(|(_, _, caps)| serde_json::from_value(caps.clone()).ok());
        if let Some(caps) = caps {
            released.insert(copy.id, caps);
        }
    }
    let mut out = BTreeMap::new();
    for copy in copies {
        let Some(slug) = copy.connector_id.and_then(|id| slugs.get(&id)).cloned() else {
            continue;
        };
        let caps = released.remove(&copy.id);
        out.insert(slug, (copy, caps));
    }
    Ok(ReleasedCopies(out))
}

/// Check a definition against the workspace; returns the copies it uses.
pub async fn validate_definition(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    definition: &Value,
) -> ServiceResult<BTreeSet<i64>> {
    released_copies(db, workspace_id).await?.check(definition)
}

impl ReleasedCopies {
    fn get(&self, slug: &str) -> Option<&(workspace_connector::Model, Option<sdk::Capabilities>)> {
        self.0.get(slug)
    }

    /// Check a definition against these copies; returns the copies it uses.
    pub fn check(&self, definition: &Value) -> ServiceResult<BTreeSet<i64>> {
        let refs = references(definition)?;
        let copies = self;
        let field = ["input", "definition"];
        let mut used = BTreeSet::new();
        for (slug, kind, name) in refs {
            let (copy, caps) = copies.get(&slug).ok_or_else(|| {
                UserProblem::bad_input(
                    &field,
                    format!("connector {slug} is not installed in this workspace"),
                )
            })?;
            let caps = caps.as_ref().ok_or_else(|| {
                UserProblem::bad_input(
                    &field,
                    format!("connector {slug} has no released version; release it first"),
                )
            })?;
            let ops = if kind == "trigger" {
                &caps.triggers
            } else {
                &caps.actions
            };
            if !ops.iter().any(|op| op.name == name) {
                return Err(UserProblem::bad_input(
                    &field,
                    format!("the released version of {slug} has no {kind} `{name}`"),
                )
                .into());
            }
            used.insert(copy.id);
        }
        Ok(used)
    }
}

async fn audit_success(
    txn: &DatabaseTransaction,
    access: &WorkspaceAccess,
    action: Permission,
    object_type: &str,
    object_id: &str,
    detail: Value,
) -> ServiceResult<()> {
    let object = (object_type, object_id.to_owned());
    Ok(audit::success(txn, access, &action.name(), object, detail).await?)
}

/// Record which workspace connectors a recipe uses (package imports share this).
pub async fn set_uses_in(
    txn: &DatabaseTransaction,
    recipe_id: i64,
    used: &BTreeSet<i64>,
) -> ServiceResult<()> {
    recipe_connector::Entity::delete_many()
        .filter(recipe_connector::Column::RecipeId.eq(recipe_id))
        .exec(txn)
        .await?;
    if !used.is_empty() {
        recipe_connector::Entity::insert_many(used.iter().map(|id| {
            recipe_connector::ActiveModel {
                recipe_id: Set(recipe_id),
                workspace_connector_id: Set(*id),
            }
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
}

fn path_taken(what: &str) -> ServiceError {
    UserProblem::conflict(
        &["input", "name"],
        format!("a {what} with this folder and name exists"),
    )
    .into()
}

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

/// Field values by name.
type Values = BTreeMap<String, Value>;

/// Split submitted values into (fields, secrets) by the connector's declared connection fields.
fn split_values(
    caps: &sdk::Capabilities,
    values: BTreeMap<String, Value>,
) -> Result<(Values, Values), UserProblem> {
    for (key, value) in &values {
        domain::json_without_nul(&["input", "values", key], value)?;
        domain::json_without_nul(&["input", "values"], &Value::String(key.clone()))?;
    }
    let mut fields = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    for (key, value) in values {
        let declared = caps
            .connection
            .fields
            .iter()
            .find(|f| f.name == key)
            .ok_or_else(|| {
                UserProblem::bad_input(
                    &["input", "values"],
                    format!("the connector declares no connection field `{key}`"),
                )
            })?;
        if declared.secret {
            secrets.insert(key, value);
        } else {
            fields.insert(key, value);
        }
    }
    Ok((fields, secrets))
}

async fn copy_caps(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    slug: &str,
) -> ServiceResult<(workspace_connector::Model, sdk::Capabilities)> {
    let copies = released_copies(db, workspace_id).await?;
    let (copy, released) = copies.get(slug).cloned().ok_or_else(|| {
        ServiceError::from(UserProblem::bad_input(
            &["input", "connector"],
            format!("connector {slug} is not installed in this workspace"),
        ))
    })?;
    let caps = match released {
        Some(caps) => caps,
        None => {
            let latest = wcv::Entity::find()
                .filter(wcv::Column::WorkspaceConnectorId.eq(copy.id))
                .filter(wcv::Column::Number.eq(copy.latest_number))
                .one(db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("copy {} has no latest version", copy.id))?;
            serde_json::from_value(latest.capabilities)
                .map_err(|err| anyhow::anyhow!("stored capabilities: {err}"))?
        }
    };
    Ok((copy, caps))
}

/// Create a connection. Needs `connection.write`.
pub async fn create_connection(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    workspace_slug: &str,
    input: ConnectionInput,
) -> ServiceResult<connection::Model> {
    let access = authorizer
        .authorize(
            db,
            principal,
            WorkspaceRef::Slug(workspace_slug),
            Some(Permission::ConnectionWrite),
        )
        .await?;
    let (asset_id, folder, name) =
        asset_place(input.asset_id.as_deref(), &input.folder, &input.name)?;
    let txn = db::begin_write(db).await?;
    let (copy, caps) = copy_caps(&txn, access.workspace.id, &input.connector).await?;
    let (fields, secrets) = split_values(&caps, input.values)?;
    let now = Utc::now();
    let inserted = connection::ActiveModel {
        workspace_id: Set(access.workspace.id),
        asset_id: Set(asset_id),
        folder: Set(folder),
        name: Set(name),
        workspace_connector_id: Set(copy.id),
        fields: Set(json!(fields)),
        secrets: Set(json!(secrets)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let created = unless_taken(inserted, || path_taken("connection"))?;
    // Field names only: values, and secrets above all, stay out of the log.
    let detail = json!({ "fields": fields.keys().collect::<Vec<_>>(), "secrets": secrets.keys().collect::<Vec<_>>() });
    audit_success(
        &txn,
        &access,
        Permission::ConnectionWrite,
        "connection",
        &created.asset_id,
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Set some values of a connection (others keep theirs). Needs `connection.write`.
pub async fn update_connection(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: &Principal,
    connection_id: i64,
    values: BTreeMap<String, Value>,
) -> ServiceResult<connection::Model> {
    principal.require_user()?;
    let found = connection::Entity::find_by_id(connection_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("connection".into()))?;
    let access = authorizer
        .authorize_for_object(
            db,
            principal,
            found.workspace_id,
            Some(Permission::ConnectionWrite),
            "connection",
        )
        .await?;
    let txn = db::begin_write(db).await?;
    let copy = workspace_connector::Entity::find_by_id(found.workspace_connector_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound("workspace connector".into()))?;
    let slug = match copy.connector_id {
        Some(id) => connector::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .map(|l| l.slug),
        None => None,
    }
    .ok_or_else(|| ServiceError::NotFound("connector".into()))?;
    let (_, caps) = copy_caps(&txn, access.workspace.id, &slug).await?;
    let (fields, secrets) = split_values(&caps, values)?;
    let merge = |stored: &Value, new: BTreeMap<String, Value>| {
        let mut map: BTreeMap<String, Value> =
            serde_json::from_value(stored.clone()).unwrap_or_default();
        map.extend(new);
        json!(map)
    };
    let detail = json!({ "fields": fields.keys().collect::<Vec<_>>(), "secrets": secrets.keys().collect::<Vec<_>>() });
    let mut active: connection::ActiveModel = found.clone().into();
    active.fields = Set(merge(&found.fields, fields));
    active.secrets = Set(merge(&found.secrets, secrets));
    active.updated_at = Set(Utc::now());
    let updated = active.update(&txn).await?;
    audit_success(
        &txn,
        &access,
        Permission::ConnectionWrite,
        "connection",
        &updated.asset_id,
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// The workspace's connections. Any member may list them; secrets never leave.
pub async fn connections(
    db: &impl ConnectionTrait,
    access: &WorkspaceAccess,
) -> ServiceResult<Vec<connection::Model>> {
    Ok(connection::Entity::find()
        .filter(connection::Column::WorkspaceId.eq(access.workspace.id))
        .order_by_asc(connection::Column::Folder)
        .order_by_asc(connection::Column::Name)
        .all(db)
        .await?)
}
