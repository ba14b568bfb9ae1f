//! A workspace's connections: the values (secrets among them) a connector's connection fields
//! are filled with; create, change and list them.

use std::collections::BTreeMap;

use chrono::Utc;
use entities::{connection, connector, workspace_connector, workspace_connector_version as wcv};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::authz::{Authorizer, Permission, WorkspaceAccess, WorkspaceRef};
use crate::db;
use crate::domain;
use crate::error::{ServiceError, ServiceResult, UserProblem, unless_taken};

use super::*;

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
