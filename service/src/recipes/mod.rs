//! Recipes and connections inside a workspace.
//!
//! A recipe's definition names connectors by their listing slug and actions/triggers by name;
//! saving it checks each against the workspace's copies and their *released* versions, and keeps
//! the list of copies it uses (so a used copy cannot be uninstalled). A connection's values are
//! split by the connector's own field declarations: secret ones are write-only.

use std::collections::{BTreeMap, BTreeSet};

use entities::{
    connector, recipe_connector, workspace_connector, workspace_connector_version as wcv,
};
use packager::names;
use rand::Rng;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde_json::Value;

use crate::audit;
use crate::authz::{Permission, WorkspaceAccess};
use crate::domain;
use crate::error::{ServiceError, ServiceResult, UserProblem};

mod connections;
mod recipe_actions;

pub use connections::{connections, create_connection, update_connection};
pub use recipe_actions::{
    create_recipe, delete_recipe, open_recipe, recipes, set_recipe_running, update_recipe, users_of,
};

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
    if let Some(interval) = trigger.get("interval_seconds")
        && interval.as_u64().is_none_or(|s| s == 0)
    {
        return Err(UserProblem::bad_input(
            &field,
            "trigger: `interval_seconds` must be a whole number of seconds above 0",
        ));
    }
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
        if let Some(input) = step.get("input") {
            crate::jobs::mapping::check(input, i)
                .map_err(|err| UserProblem::bad_input(&field, format!("{at}: {err}")))?;
        }
    }
    for (at, item) in std::iter::once(("trigger".to_owned(), trigger)).chain(
        steps
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("steps[{i}]"), s)),
    ) {
        if item.get("connection").is_some_and(|c| !c.is_string()) {
            return Err(UserProblem::bad_input(
                &field,
                format!("{at}: `connection` must be the name of a connection"),
            ));
        }
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
