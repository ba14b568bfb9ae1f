//! Publishing to the community catalog over GraphQL: creating a listing, publishing, yanking and
//! pre-releasing versions, owners, editing and deprecating, unlisted listings, global ids and who
//! may read a version's source. Each file states the rules of one of those; the shared queries,
//! readers of answers and arranging steps are here.
mod create;
mod deprecation;
mod edit;
mod nodes;
mod owners;
mod unlisted;
mod yank;

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{
    CREATE_CONNECTOR, PUBLISH_VERSION, UPDATE_CONNECTOR, YANK_VERSION, connector_source,
    create_input, payload, sha256_hex, timestamp,
};

const LISTING: &str = r#"
query($slug: String!, $first: Int, $after: String, $includeYanked: Boolean! = true) {
  connector(slug: $slug) {
    id slug name summary description category keywords visibility status createdAt updatedAt
    owners { handle }
    latestVersion { version }
    versions(first: $first, after: $after, includeYanked: $includeYanked) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id version yanked yankedAt breaking breakingMessage releaseNotes sha256 publishedAt publishedBy { handle } } }
    }
  }
}"#;

const CATALOG_SLUGS: &str = r#"
query($query: String, $category: String, $includeDeprecated: Boolean! = false) {
  connectors(first: 100, query: $query, category: $category, sort: NAME, includeDeprecated: $includeDeprecated) {
    totalCount
    nodes { slug }
  }
}"#;

/// The slugs of a `connectors` answer, in order.
fn slugs(data: &Value) -> Vec<String> {
    data["connectors"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["slug"].as_str().map(str::to_owned))
        .collect()
}

/// The version numbers of a `versions` connection, in order.
fn versions_of(connector: &Value) -> Vec<String> {
    connector["versions"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["version"].as_str().map(str::to_owned))
        .collect()
}

fn handles(owners: &Value) -> Vec<String> {
    owners
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["handle"].as_str().map(str::to_owned))
        .collect()
}

async fn listing(app: &TestApp, token: Option<&str>, vars: Value) -> anyhow::Result<Value> {
    Ok(app.data(token, LISTING, vars).await?["connector"].clone())
}

/// The catalog's slugs (by name) for `vars` of `CATALOG_SLUGS`, as an anonymous reader sees them.
async fn catalog(app: &TestApp, vars: Value) -> anyhow::Result<Value> {
    app.data(None, CATALOG_SLUGS, vars).await
}

/// The `field` payload of the mutation `document` run by `token` with `input`, after checking
/// the answer has no errors.
async fn mutation(
    app: &TestApp,
    token: &str,
    (document, field): (&str, &str),
    input: Value,
) -> anyhow::Result<Value> {
    let body = app
        .graphql(Some(token), document, json!({ "input": input }))
        .await?;
    Ok(payload(&body, field)?.clone())
}

/// The payload of a mutation that must succeed: it has no user errors.
async fn accepted(
    app: &TestApp,
    token: &str,
    mutation_field: (&str, &str),
    input: Value,
) -> anyhow::Result<Value> {
    let p = mutation(app, token, mutation_field, input).await?;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    Ok(p)
}

/// `createConnector` with `input`; the payload, after checking it has no user errors.
async fn create(app: &TestApp, token: &str, input: Value) -> anyhow::Result<Value> {
    accepted(app, token, (CREATE_CONNECTOR, "createConnector"), input).await
}

/// A listing `slug` named `name` in `category`, created by `token` with `source` as 1.0.0.
async fn arrange_listing(
    app: &TestApp,
    token: &str,
    slug: &str,
    name: &str,
    category: &str,
    source: &str,
) -> anyhow::Result<()> {
    create(app, token, create_input(slug, name, category, source)).await?;
    Ok(())
}

async fn publish(app: &TestApp, token: &str, input: Value) -> anyhow::Result<Value> {
    let p = accepted(app, token, (PUBLISH_VERSION, "publishVersion"), input).await?;
    Ok(p["version"].clone())
}

/// `publishVersion` by `token`, which must be refused with `FORBIDDEN`; the body.
async fn refused_publish(app: &TestApp, token: &str, input: Value) -> anyhow::Result<Value> {
    let body = app
        .graphql(Some(token), PUBLISH_VERSION, json!({ "input": input }))
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    Ok(body)
}

async fn yank(
    app: &TestApp,
    token: &str,
    slug: &str,
    version: &str,
    yanked: bool,
) -> anyhow::Result<Value> {
    let input = json!({ "slug": slug, "version": version, "yanked": yanked });
    let p = accepted(app, token, (YANK_VERSION, "yankVersion"), input).await?;
    Ok(p["version"].clone())
}

/// `updateConnector` with `input`; the payload (user errors included, for the test to check).
async fn update(app: &TestApp, token: &str, input: Value) -> anyhow::Result<Value> {
    mutation(app, token, (UPDATE_CONNECTOR, "updateConnector"), input).await
}

/// Ada's token and the source of `mailer` and `other` (both in messaging), after ada renamed
/// mailer "Postbox", gave it new words and moved it to logistics; the `updateConnector` payload.
async fn arrange_postbox(app: &TestApp) -> anyhow::Result<(String, String, Value)> {
    let ada = app.user_with_token("ada").await?;
    let source = connector_source("Mailer", &[("send_mail", "Send mail")]);
    for (slug, name) in [("mailer", "Mailer"), ("other", "Other")] {
        arrange_listing(app, &ada, slug, name, "messaging", &source).await?;
    }
    let updated = update(
        app,
        &ada,
        json!({ "slug": "mailer", "name": "Postbox", "summary": "Letters by API",
                "keywords": ["Post", "letters"], "category": "logistics" }),
    )
    .await?;
    Ok((ada, source, updated))
}
