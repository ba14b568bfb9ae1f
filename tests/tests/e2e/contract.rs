//! The public contract: the served schema is the checked-in `schema.graphql`, every type and field
//! is described, and the HTTP surface answers as documented.

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

#[test]
fn checked_in_schema_matches_the_served_schema() -> anyhow::Result<()> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let checked_in = std::fs::read_to_string(path)?;
    let served = api::graphql::sdl();
    if checked_in != served {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &served)?;
        }
        anyhow::bail!(
            "schema.graphql differs from the served schema; run \
             `cargo run -q -- schema > schema.graphql` (or this test with UPDATE_SCHEMA=1)"
        );
    }
    Ok(())
}

const INTROSPECTION: &str = r#"{ __schema { types {
  name kind description
  fields { name description args { name description } }
  inputFields { name description }
  enumValues { name description }
} } }"#;

/// Every type, field, argument, input field and enum value of ours carries a description.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_and_field_is_described() -> anyhow::Result<()> {
    let app = TestApp::spawn(Backend::Sqlite).await?;
    let data = app.data(None, INTROSPECTION, json!({})).await?;
    let mut missing = Vec::new();
    let empty = |v: &Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    for ty in data["__schema"]["types"].as_array().into_iter().flatten() {
        let name = ty["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || ["ID", "String", "Int", "Float", "Boolean"].contains(&name) {
            continue;
        }
        if empty(&ty["description"]) {
            missing.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let fname = format!("{name}.{}", field["name"].as_str().unwrap_or_default());
            if empty(&field["description"]) {
                missing.push(fname.clone());
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if empty(&arg["description"]) && arg["name"] != "input" {
                    missing.push(format!("{fname}({})", arg["name"]));
                }
            }
        }
        for list in ["inputFields", "enumValues"] {
            for item in ty[list].as_array().into_iter().flatten() {
                if empty(&item["description"]) {
                    missing.push(format!(
                        "{name}.{}",
                        item["name"].as_str().unwrap_or_default()
                    ));
                }
            }
        }
    }
    app.stop().await?;
    assert!(missing.is_empty(), "undocumented: {missing:?}");
    Ok(())
}

async fn http_surface(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let get = |path: &str| app.client.get(format!("{}{path}", app.base_url)).send();
    assert_eq!(get("/livez").await?.status(), 200);
    assert_eq!(get("/readyz").await?.text().await?, "ready");
    let metrics = get("/metrics").await?.text().await?;
    assert!(
        metrics.contains("patchbay_db_statements_total"),
        "{metrics}"
    );
    let graphiql = get("/graphiql").await?;
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await?.contains("graphiql"));

    // Queries work over GET; mutations do not.
    let query = get("/graphql?query=%7B__typename%7D").await?;
    assert_eq!(query.json::<Value>().await?["data"]["__typename"], "Query");
    let mutation = get(
        "/graphql?query=mutation%7BcreateConnector(input:%7Bslug:%22x%22%7D)%7BuserErrors%7Bmessage%7D%7D%7D",
    )
    .await?;
    assert_eq!(mutation.status(), 405);
    assert_eq!(
        error_code(&mutation.json::<Value>().await?),
        Some("BAD_USER_INPUT")
    );

    // A malformed body is a clear error, not a crash.
    let malformed = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await?;
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        error_code(&malformed.json::<Value>().await?),
        Some("BAD_USER_INPUT")
    );

    // A bad token is refused outright, even for a public query.
    let (status, body) = app
        .graphql_raw(Some("pb_not-a-real-token"), "{ __typename }", json!({}))
        .await?;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));

    // The viewer is null when anonymous, and the token's user when signed in.
    let token = app.user_with_token("ada").await?;
    let anon = app
        .data(None, "{ viewer { user { handle } } }", json!({}))
        .await?;
    assert_eq!(anon["viewer"]["user"], Value::Null);
    let me = app
        .data(
            Some(&token),
            "{ viewer { user { handle email } } }",
            json!({}),
        )
        .await?;
    assert_eq!(me["viewer"]["user"]["handle"], "ada");
    assert_eq!(me["viewer"]["user"]["email"], "ada@example.test");
    app.stop().await
}
tests::on_both_backends!(http_surface_answers_as_documented, super::http_surface);

async fn limits(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let before = app.sql_statements().await?;

    let deep = "{ connectors { edges { node { latestVersion { connector { latestVersion { connector { latestVersion { connector { latestVersion { connector { latestVersion { connector { slug } } } } } } } } } } } } } }";
    let body = app.graphql(None, deep, json!({})).await?;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");

    let complex = "{ connectors(first: 100) { edges { node { versions(first: 100) { edges { node { capabilities { actions { inputFields { name label type } } } } } } } } } }";
    let body = app.graphql(None, complex, json!({})).await?;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");

    let aliases: String = (0..40).map(|i| format!("a{i}: __typename ")).collect();
    let body = app
        .graphql(None, &format!("{{ {aliases} }}"), json!({}))
        .await?;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");

    // Refused before any resolver ran: no SQL was sent for any of them.
    assert_eq!(app.sql_statements().await?, before);

    let batch: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let resp = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .json(&batch)
        .send()
        .await?;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        error_code(&resp.json::<Value>().await?),
        Some("LIMIT_EXCEEDED")
    );
    let ok_batch: Vec<Value> = (0..3)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let resp: Value = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .json(&ok_batch)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(resp.as_array().map(Vec::len), Some(3));

    let huge = "x".repeat(17 * 1024 * 1024);
    let resp = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"query\":\"{{ __typename }}\",\"variables\":{{\"x\":\"{huge}\"}}}}"
        ))
        .send()
        .await?;
    assert_eq!(resp.status(), 413);
    assert_eq!(
        error_code(&resp.json::<Value>().await?),
        Some("LIMIT_EXCEEDED")
    );
    app.stop().await
}
tests::on_both_backends!(limits_refuse_before_resolvers_run, super::limits);

/// Internal errors are masked: the client gets a code and a generic message, never SQL.
async fn internal_errors_are_masked(backend: Backend) -> anyhow::Result<()> {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(backend).await?;
    app.conn()?
        .execute_unprepared("DROP TABLE connector_install_days")
        .await?;
    let body = app
        .graphql(
            None,
            "{ connectors(sort: TRENDING) { totalCount } }",
            json!({}),
        )
        .await?;
    assert_eq!(error_code(&body), Some("INTERNAL_SERVER_ERROR"), "{body}");
    assert_eq!(body["errors"][0]["message"], "internal server error");
    assert!(!body.to_string().contains("connector_install_days"));
    app.stop().await
}
tests::on_both_backends!(
    internal_errors_are_masked_from_clients,
    super::internal_errors_are_masked
);
