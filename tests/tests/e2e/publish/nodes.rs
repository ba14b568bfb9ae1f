//! Global ids resolve to their objects; a version's source is for its owners only, however it is
//! reached.

use super::*;

const NODE: &str = r#"
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Connector { slug }
    ... on ConnectorVersion { version connector { slug } }
    ... on User { handle }
  }
}"#;

/// The latest version's source of `nodes`, read by slug.
const SOURCE: &str = r#"{ connector(slug: "nodes") { latestVersion { version source } } }"#;

/// The listing `nodes`, created by ada; carol owns nothing. The ids as ada reads them.
struct Nodes {
    ada: String,
    carol: String,
    source: String,
    ids: Value,
    connector_id: Value,
    version_id: Value,
    user_id: Value,
}

async fn arrange_nodes(app: &TestApp) -> anyhow::Result<Nodes> {
    let ada = app.user_with_token("ada").await?;
    let carol = app.user_with_token("carol").await?;
    let source = connector_source("Nodes", &[("ping", "Ping")]);
    arrange_listing(app, &ada, "nodes", "Nodes", "utilities", &source).await?;
    let ids = app
        .data(
            Some(&ada),
            r#"{ connector(slug: "nodes") { id latestVersion { id } owners { id } } viewer { user { id } } }"#,
            json!({}),
        )
        .await?;
    Ok(Nodes {
        connector_id: ids["connector"]["id"].clone(),
        version_id: ids["connector"]["latestVersion"]["id"].clone(),
        user_id: ids["connector"]["owners"][0]["id"].clone(),
        ada,
        carol,
        source,
        ids,
    })
}

/// `body` is refused with `code` and holds no part of the source.
fn assert_refused_without_source(body: &Value, code: &str) {
    assert_eq!(error_code(body), Some(code), "{body}");
    assert!(
        !body.to_string().contains("api_key"),
        "source leaked: {body}"
    );
}

async fn distinct_ids(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let n = arrange_nodes(&app).await?;
    assert_eq!(n.user_id, n.ids["viewer"]["user"]["id"]);
    let distinct: std::collections::BTreeSet<String> = [&n.connector_id, &n.version_id, &n.user_id]
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(distinct.len(), 3, "ids are not distinct: {}", n.ids);
    app.stop().await
}
tests::on_both_backends!(
    global_ids_are_distinct_and_the_viewer_has_their_own,
    super::distinct_ids
);

async fn resolve(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let n = arrange_nodes(&app).await?;
    let node = app
        .data(None, NODE, json!({ "id": n.connector_id }))
        .await?;
    assert_eq!(
        node["node"],
        json!({ "__typename": "Connector", "id": n.connector_id, "slug": "nodes" })
    );
    let node = app.data(None, NODE, json!({ "id": n.version_id })).await?;
    assert_eq!(
        node["node"],
        json!({ "__typename": "ConnectorVersion", "id": n.version_id, "version": "1.0.0",
                "connector": { "slug": "nodes" } })
    );
    let node = app.data(None, NODE, json!({ "id": n.user_id })).await?;
    assert_eq!(
        node["node"],
        json!({ "__typename": "User", "id": n.user_id, "handle": "ada" })
    );
    app.stop().await
}
tests::on_both_backends!(a_global_id_resolves_to_its_object, super::resolve);

async fn junk(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_nodes(&app).await?;
    for junk in ["not-an-id", "Q29ubmVjdG9yOjk5OTk", ""] {
        let node = app.data(None, NODE, json!({ "id": junk })).await?;
        assert_eq!(node["node"], Value::Null, "{junk}");
    }
    app.stop().await
}
tests::on_both_backends!(an_id_of_nothing_resolves_to_null, super::junk);

async fn owner_reads(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let n = arrange_nodes(&app).await?;
    let own = app.data(Some(&n.ada), SOURCE, json!({})).await?;
    assert_eq!(
        own["connector"]["latestVersion"]["source"],
        n.source.as_str()
    );
    app.stop().await
}
tests::on_both_backends!(
    an_owner_reads_exactly_the_source_published,
    super::owner_reads
);

async fn others_refused(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let n = arrange_nodes(&app).await?;
    let other = app.graphql(Some(&n.carol), SOURCE, json!({})).await?;
    assert_refused_without_source(&other, "FORBIDDEN");
    assert_eq!(
        other["errors"][0]["path"],
        json!(["connector", "latestVersion", "source"])
    );
    let by_node = app
        .graphql(
            Some(&n.carol),
            "query($id: ID!) { node(id: $id) { ... on ConnectorVersion { source } } }",
            json!({ "id": n.version_id }),
        )
        .await?;
    assert_eq!(error_code(&by_node), Some("FORBIDDEN"), "{by_node}");
    app.stop().await
}
tests::on_both_backends!(
    no_one_else_reads_a_version_s_source_by_slug_or_by_id,
    super::others_refused
);

async fn anonymous(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange_nodes(&app).await?;
    let anonymous = app.graphql(None, SOURCE, json!({})).await?;
    assert_refused_without_source(&anonymous, "UNAUTHENTICATED");
    app.stop().await
}
tests::on_both_backends!(
    an_anonymous_reader_must_sign_in_to_read_a_source,
    super::anonymous
);
