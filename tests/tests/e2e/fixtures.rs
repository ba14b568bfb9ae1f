//! Connector sources and GraphQL documents shared by the tests.

/// A small valid connector whose action titles and names are given, so search can find them.
pub fn connector_source(title: &str, actions: &[(&str, &str)]) -> String {
    let actions: Vec<String> = actions
        .iter()
        .map(|(name, action_title)| {
            format!(
                "    {name}: {{\n      title: \"{action_title}\",\n      input_fields: [ {{ name: \"id\" }} ],\n      output_fields: [ {{ name: \"ok\", type: \"boolean\" }} ],\n      execute: (connection, input) => get(`/items/${{input.id}}`),\n    }},\n"
            )
        })
        .collect();
    format!(
        "export default {{\n  title: \"{title}\",\n  description: \"Test connector\",\n  allowed_hosts: [\"api.example.com\"],\n  connection: {{\n    fields: [ {{ name: \"api_key\", control_type: \"password\" }} ],\n    authorization: {{ type: \"api_key\", header: \"X-Api-Key\", value: (c) => c.api_key }},\n    base_uri: (c) => \"https://api.example.com\",\n  }},\n  test: (connection) => get(\"/me\"),\n  actions: {{\n{}  }},\n}};\n",
        actions.concat()
    )
}

pub const CREATE_CONNECTOR: &str = r#"
mutation($input: CreateConnectorInput!) {
  createConnector(input: $input) {
    connector { id slug name category keywords owners { handle } latestVersion { version sha256 } }
    version { version sha256 capabilities { actions { name title } allowedHosts } }
    userErrors { field message code line column }
  }
}"#;

pub const PUBLISH_VERSION: &str = r#"
mutation($input: PublishVersionInput!) {
  publishVersion(input: $input) {
    version { version sha256 breaking breakingMessage releaseNotes capabilities { actions { name title } } }
    userErrors { field message code line column }
  }
}"#;

// ---- Helpers for the catalog tests (publish, search, metrics, bad input). ----

/// The hex sha256 of `text`, computed here and not by the server.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// An RFC 3339 timestamp of an answer, in UTC.
pub fn timestamp(value: &serde_json::Value) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let text = value
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("not a timestamp: {value}"))?;
    Ok(chrono::DateTime::parse_from_rfc3339(text)?.with_timezone(&chrono::Utc))
}

/// A service result as `anyhow`, for arranging data through the services.
pub fn service<T>(result: api::error::ServiceResult<T>) -> anyhow::Result<T> {
    result.map_err(api::error::ServiceError::into_anyhow)
}

/// A `CreateConnectorInput` with the given slug, name, category and source, version `1.0.0`.
pub fn create_input(slug: &str, name: &str, category: &str, source: &str) -> serde_json::Value {
    serde_json::json!({
        "slug": slug,
        "name": name,
        "summary": format!("{name} for tests"),
        "category": category,
        "version": "1.0.0",
        "source": source,
    })
}

/// A public listing for the services, with the given slug, name and category.
pub fn new_listing(slug: &str, name: &str, category: &str) -> api::catalog::NewListing {
    api::catalog::NewListing {
        slug: slug.to_owned(),
        name: name.to_owned(),
        summary: format!("{name} for tests"),
        description: String::new(),
        category: category.to_owned(),
        keywords: Vec::new(),
        visibility: api::catalog::Visibility::Public,
        source_hidden: false,
    }
}

/// A version for the services, published at `published_at` (`None`: now).
pub fn new_version(
    version: &str,
    source: String,
    published_at: Option<chrono::DateTime<chrono::Utc>>,
) -> api::catalog::NewVersion {
    api::catalog::NewVersion {
        version: version.to_owned(),
        source,
        release_notes: String::new(),
        breaking: None,
        published_at,
    }
}

/// Insert a workspace row directly (workspaces have no GraphQL API yet); returns its id.
pub async fn insert_workspace(db: &sea_orm::DatabaseConnection, slug: &str) -> anyhow::Result<i64> {
    use sea_orm::ActiveModelTrait as _;
    let ws = entities::workspace::ActiveModel {
        slug: sea_orm::ActiveValue::Set(slug.to_owned()),
        name: sea_orm::ActiveValue::Set(format!("Workspace {slug}")),
        environment: sea_orm::ActiveValue::Set("development".to_owned()),
        created_at: sea_orm::ActiveValue::Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(ws.id)
}

/// The user with `handle`, as the services want it.
pub async fn user_model(
    db: &sea_orm::DatabaseConnection,
    handle: &str,
) -> anyhow::Result<entities::user::Model> {
    service(api::auth::find_user(db, handle).await)
}

/// Rows in `connectors` and in `connector_versions`, counted in the database itself.
pub async fn raw_listing_and_version_rows(
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<(u64, u64)> {
    use sea_orm::{EntityTrait as _, PaginatorTrait as _};
    let listings = entities::connector::Entity::find().count(db).await?;
    let versions = entities::connector_version::Entity::find()
        .count(db)
        .await?;
    Ok((listings, versions))
}

/// The one mutation field of `data` (the payload), after checking the body has no errors.
pub fn payload<'a>(
    body: &'a serde_json::Value,
    field: &str,
) -> anyhow::Result<&'a serde_json::Value> {
    anyhow::ensure!(body.get("errors").is_none(), "unexpected errors: {body}");
    Ok(&body["data"][field])
}

/// Run a mutation (its variables: `{ input }`) as the holder of `token` that must succeed with no
/// user errors; returns its payload.
pub async fn must(
    app: &tests::TestApp,
    token: &str,
    document: &str,
    input: serde_json::Value,
    field: &str,
) -> anyhow::Result<serde_json::Value> {
    let body = app
        .graphql(Some(token), document, serde_json::json!({ "input": input }))
        .await?;
    let found = payload(&body, field)?.clone();
    anyhow::ensure!(
        found["userErrors"].as_array().is_none_or(Vec::is_empty),
        "{field}: user errors: {found}"
    );
    Ok(found)
}

pub const YANK_VERSION: &str = r#"
mutation($input: YankVersionInput!) {
  yankVersion(input: $input) {
    version { version yanked yankedAt }
    userErrors { field message code }
  }
}"#;

pub const UPDATE_CONNECTOR: &str = r#"
mutation($input: UpdateConnectorInput!) {
  updateConnector(input: $input) {
    connector { slug name summary description category keywords visibility status }
    userErrors { field message code }
  }
}"#;

pub const ADD_OWNER: &str = r#"
mutation($input: ConnectorOwnerInput!) {
  addConnectorOwner(input: $input) {
    connector { slug owners { handle } }
    userErrors { field message code }
  }
}"#;

pub const REMOVE_OWNER: &str = r#"
mutation($input: ConnectorOwnerInput!) {
  removeConnectorOwner(input: $input) {
    connector { slug owners { handle } }
    userErrors { field message code }
  }
}"#;

/// A small valid connector for recipes, connections and the debugger: one trigger `new_item`, one
/// action `get_item`, and two connection fields, `api_key` (secret) and `region` (not secret).
/// Its test, action and trigger answer without sending any request.
pub fn recipe_connector_source(title: &str) -> String {
    format!(
        "export default {{\n  title: \"{title}\",\n  description: \"Test connector with a trigger\",\n  allowed_hosts: [\"api.example.com\"],\n  connection: {{\n    fields: [ {{ name: \"api_key\", control_type: \"password\" }}, {{ name: \"region\" }} ],\n    authorization: {{ type: \"api_key\", header: \"X-Api-Key\", value: (c) => c.api_key }},\n    base_uri: (c) => \"https://api.example.com\",\n  }},\n  test: (connection) => true,\n  actions: {{\n    get_item: {{\n      title: \"Get item\",\n      input_fields: [ {{ name: \"id\" }} ],\n      output_fields: [ {{ name: \"ok\", type: \"boolean\" }} ],\n      execute: (connection, input) => ({{ ok: true }}),\n    }},\n  }},\n  triggers: {{\n    new_item: {{\n      title: \"New item\",\n      output_fields: [ {{ name: \"id\" }} ],\n      poll: (connection, input, cursor) => ({{ events: [ {{ id: \"1\" }} ], cursor: null }}),\n      dedup: (event) => `${{event.id}}`,\n    }},\n  }},\n}};\n"
    )
}

// ---- The demo catalog's closed-source connector, for the package tests. ----

/// Version 1.0.0 of the closed-source Acme ERP connector of the demo catalog
/// (`examples/connectors/acme-erp`): a source that no package may carry.
pub const ACME_ERP_1_0_0: &str =
    include_str!("../../../examples/connectors/acme-erp/versions/1.0.0.js");

/// Version 1.1.0 of the same connector (it adds the `new_invoice` trigger).
pub const ACME_ERP_1_1_0: &str =
    include_str!("../../../examples/connectors/acme-erp/versions/1.1.0.js");

/// A line of the closed source that nothing else in a package could contain.
pub const ACME_ERP_DISTINCTIVE_LINE: &str =
    "base_uri: (connection) => `https://api.acme-erp.example/v3/tenants/${connection.tenant_id}`,";

/// Every line of `source` that is its own: at least 40 characters once trimmed.
pub fn distinctive_lines(source: &str) -> Vec<&str> {
    source
        .lines()
        .map(str::trim)
        .filter(|l| l.len() >= 40)
        .collect()
}
