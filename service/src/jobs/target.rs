//! What a trigger or a step runs: the workspace's copy of the connector it names, at the
//! version released to recipes *now*, with the connection it uses.

use entities::{
    connection, connector, connector_version, workspace_connector,
    workspace_connector_version as wcv,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::Failure;
use crate::error::ServiceResult;

/// A connector ready to run: its released source, the values of its connection, and which of
/// those are secret (to be redacted as the source's declared secrets are).
pub struct Target {
    pub number: i32,
    /// The community version the released workspace version descends from.
    pub community_version: Option<String>,
    pub source: String,
    pub connection: Value,
    pub secrets: Vec<String>,
}

/// The copy of `slug` in `workspace_id` at its released version, with the connection named in
/// `item` (`connection`: a connection's name) or else its only one. A missing copy, release or
/// connection is a [`Failure`] of the run, not an error of the server.
pub async fn resolve(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    item: &Value,
) -> ServiceResult<Result<Target, Failure>> {
    let slug = item["connector"].as_str().unwrap_or_default();
    let Some(copy) = copy_of(db, workspace_id, slug).await? else {
        return Ok(Err(Failure::new(
            "CONNECTOR_NOT_INSTALLED",
            format!("connector {slug} is not installed in this workspace"),
        )));
    };
    let Some(number) = copy.released_number else {
        return Ok(Err(Failure::new(
            "NOT_RELEASED",
            format!("connector {slug} has no released version"),
        )));
    };
    let Some(version) = wcv::Entity::find()
        .filter(wcv::Column::WorkspaceConnectorId.eq(copy.id))
        .filter(wcv::Column::Number.eq(number))
        .one(db)
        .await?
    else {
        return Ok(Err(Failure::new(
            "NOT_RELEASED",
            format!("connector {slug}'s released version {number} is gone"),
        )));
    };
    let community_version = match version.base_version_id {
        Some(id) => connector_version::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|v| v.version),
        None => None,
    };
    let named = item.get("connection").and_then(Value::as_str);
    let (connection, secrets) = match connection_of(db, copy.id, named).await? {
        Ok(values) => values,
        Err(failure) => return Ok(Err(failure)),
    };
    Ok(Ok(Target {
        number,
        community_version,
        source: version.source,
        connection,
        secrets,
    }))
}

async fn copy_of(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    slug: &str,
) -> ServiceResult<Option<workspace_connector::Model>> {
    let Some(listing) = connector::Entity::find()
        .filter(connector::Column::Slug.eq(slug))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(workspace_connector::Entity::find()
        .filter(workspace_connector::Column::WorkspaceId.eq(workspace_id))
        .filter(workspace_connector::Column::ConnectorId.eq(listing.id))
        .one(db)
        .await?)
}

/// The connection's values (secrets included) and the names of its secrets: the one named, or
/// the copy's only one, or none (`{}`) when the copy has no connection.
async fn connection_of(
    db: &impl ConnectionTrait,
    copy_id: i64,
    named: Option<&str>,
) -> ServiceResult<Result<(Value, Vec<String>), Failure>> {
    let all = connection::Entity::find()
        .filter(connection::Column::WorkspaceConnectorId.eq(copy_id))
        .order_by_asc(connection::Column::Id)
        .all(db)
        .await?;
    let chosen = match named {
        Some(name) => all.into_iter().find(|c| c.name == name).ok_or_else(|| {
            Failure::new(
                "CONNECTION_NOT_FOUND",
                format!("the connector has no connection named {name}"),
            )
        }),
        None => {
            let mut found = all.into_iter();
            match (found.next(), found.next()) {
                (None, _) => return Ok(Ok((json!({}), Vec::new()))),
                (Some(only), None) => Ok(only),
                (Some(_), Some(_)) => Err(Failure::new(
                    "CONNECTION_AMBIGUOUS",
                    "the connector has several connections; name one in the definition \
                     (`connection`)",
                )),
            }
        }
    };
    let chosen = match chosen {
        Ok(chosen) => chosen,
        Err(failure) => return Ok(Err(failure)),
    };
    let mut values = chosen.fields.as_object().cloned().unwrap_or_default();
    let secrets = chosen.secrets.as_object().cloned().unwrap_or_default();
    let names = secrets.keys().cloned().collect();
    values.extend(secrets);
    Ok(Ok((Value::Object(values), names)))
}
