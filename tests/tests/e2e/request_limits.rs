//! Hostile documents and requests, refused with a code before any work is done: fragment bombs,
//! huge and deeply nested documents, unknown directives, cross-site media types — and the
//! standard introspection query of real clients, which must pass.

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

/// `fragment F1 on Query { ...F0 ...F0 }` … up to `Fn`: under 1 KB at n = 24, 2^n fields.
fn fragment_bomb(n: usize) -> String {
    let mut q = format!("query Bomb {{ ...F{n} }}\nfragment F0 on Query {{ __typename }}\n");
    for i in 1..=n {
        q.push_str(&format!(
            "fragment F{i} on Query {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    q
}

/// What graphql-js 16.15's `getIntrospectionQuery()` sends with every option on (descriptions,
/// `specifiedByURL`, `isRepeatable`, schema description, input value deprecation, `isOneOf`) —
/// GraphiQL's and graphql-inspector's query: 14 levels deep through its `ofType` chain.
/// Generated with `node -e "process.stdout.write(require('graphql').getIntrospectionQuery({...}))"`.
pub const STANDARD_INTROSPECTION: &str =
    include_str!("../../fixtures/introspection-graphql-js.graphql");

async fn post_raw(
    app: &TestApp,
    content_type: Option<&str>,
    body: String,
) -> anyhow::Result<(u16, Value)> {
    let mut req = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await?))
}

async fn fragment_bombs_are_refused(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let before = app.sql_statements().await?;
    for n in [13, 24, 39, 200] {
        let body = app.graphql(None, &fragment_bomb(n), json!({})).await?;
        assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "F{n}: {body}");
        assert!(body["data"].is_null(), "F{n}: {body}");
    }
    // A spread costs what it expands to, also when each fragment alone is small: 2^10 fields
    // (and their spreads) are within the limit.
    let body = app.graphql(None, &fragment_bomb(10), json!({})).await?;
    assert!(body.get("errors").is_none(), "{body}");
    // A bomb whose leaf spreads nothing that exists selects no field; it is refused all the same
    // (async-graphql would walk its 2^24 spreads before validating).
    let leafless = fragment_bomb(24).replace(
        "fragment F0 on Query { __typename }",
        "fragment F0 on Query { ...Missing }",
    );
    let body = app.graphql(None, &leafless, json!({})).await?;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let inline = fragment_bomb(24).replace(
        "fragment F0 on Query { __typename }",
        "fragment F0 on Query { ... on Query { ... on Query { __typename } } }",
    );
    let body = app.graphql(None, &inline, json!({})).await?;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
    assert_eq!(app.sql_statements().await?, before, "nothing ran");
    app.stop().await
}
tests::on_both_backends!(
    fragment_bombs_are_refused_with_a_code,
    super::fragment_bombs_are_refused
);

async fn huge_documents_are_refused(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    // A 15 MB comment inside a legal query: under the body limit, over the document limit.
    let comment = format!("{{ __typename }}\n#{}\n", "x".repeat(15 * 1024 * 1024));
    let body = app.graphql(None, &comment, json!({})).await?;
    assert_eq!(
        error_code(&body),
        Some("LIMIT_EXCEEDED"),
        "{:.300}",
        body.to_string()
    );
    // Deep nesting of selections or of values, which would recurse in the parser.
    let deep = format!("{}{}", "{ a ".repeat(5_000), "}".repeat(5_000));
    let body = app.graphql(None, &deep, json!({})).await?;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
    let value = format!(
        "{{ connectors(query: {}\"x\"{}) {{ totalCount }} }}",
        "[".repeat(3_000),
        "]".repeat(3_000)
    );
    let body = app.graphql(None, &value, json!({})).await?;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
    // The same over GET, where the server must know the operation type before executing.
    let resp = app
        .client
        .get(format!("{}/graphql", app.base_url))
        .query(&[("query", deep.as_str())])
        .send()
        .await?;
    let body: Value = resp.json().await?;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
    app.stop().await
}
tests::on_both_backends!(
    huge_and_deep_documents_are_refused,
    super::huge_documents_are_refused
);

async fn every_error_carries_a_code(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let cases: [(&str, &str); 9] = [
        ("{ connectors { ", "BAD_USER_INPUT"),
        ("{ noSuchField }", "BAD_USER_INPUT"),
        ("{ __typename @foo }", "BAD_USER_INPUT"),
        (
            "query Q @include(if: true) { __typename }",
            "BAD_USER_INPUT",
        ),
        (
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            "BAD_USER_INPUT",
        ),
        (
            "{ connectors { edges { node { latestVersion { connector { latestVersion { connector \
             { latestVersion { connector { latestVersion { connector { latestVersion { connector \
             { slug } } } } } } } } } } } } } }",
            "LIMIT_EXCEEDED",
        ),
        (
            "{ connectors(first: 100) { edges { node { versions(first: 100) { edges { node { \
             capabilities { actions { inputFields { name label type } } } } } } } } } }",
            "LIMIT_EXCEEDED",
        ),
        (
            "{ __typename @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) \
             @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) \
             @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) \
             @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) \
             @skip(if: false) @skip(if: false) }",
            "LIMIT_EXCEEDED",
        ),
        (
            "query A { __typename } query B { __typename }",
            "BAD_USER_INPUT",
        ),
    ];
    for (query, code) in cases {
        let body = app.graphql(None, query, json!({})).await?;
        assert_eq!(error_code(&body), Some(code), "{query}: {body}");
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        assert!(
            errors.iter().all(|e| e["extensions"]["code"].is_string()),
            "{query}: every error has a code: {body}"
        );
    }
    app.stop().await
}
tests::on_both_backends!(
    every_request_error_carries_a_code,
    super::every_error_carries_a_code
);

async fn standard_introspection_passes(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let data = app.data(None, STANDARD_INTROSPECTION, json!({})).await?;
    let types = data["__schema"]["types"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(types.iter().any(|t| t["name"] == "Connector"), "{data}");
    // The limits still refuse what only looks like it: a 17-deep ofType chain, and depth that
    // is not `ofType`.
    let chain = format!(
        "{{ __type(name: \"Connector\") {{ {} name {} }} }}",
        "ofType {".repeat(17),
        "}".repeat(17)
    );
    let body = app.graphql(None, &chain, json!({})).await?;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
    let wide = format!(
        "{{ __schema {{ types {{ {} name {} }} }} }}",
        "fields { type {".repeat(6),
        "} }".repeat(6)
    );
    let body = app.graphql(None, &wide, json!({})).await?;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
    app.stop().await
}
tests::on_both_backends!(
    standard_introspection_query_passes,
    super::standard_introspection_passes
);

async fn no_suggestions_without_introspection(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn_with(backend, |c| c.introspection = false).await?;
    let body = app
        .graphql(None, "{ connectr(slug: \"x\") { slug } }", json!({}))
        .await?;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(!body.to_string().contains("Did you mean"), "{body}");
    let body = app.graphql(None, STANDARD_INTROSPECTION, json!({})).await?;
    assert!(body["data"]["__schema"].is_null(), "{body}");
    app.stop().await
}
tests::on_both_backends!(
    field_suggestions_are_off_with_introspection,
    super::no_suggestions_without_introspection
);

async fn cross_site_media_types_are_refused(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let token = app.user_with_token("ada").await?;
    let create = json!({
        "query": "mutation { createWorkspace(input: { slug: \"csrf\", name: \"Csrf\", environment: DEVELOPMENT }) { workspace { slug } } }"
    })
    .to_string();
    let before = crate::packages::db_signature(&app).await?;
    let statements = app.sql_statements().await?;
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut req = app
            .client
            .post(format!("{}/graphql", app.base_url))
            .bearer_auth(&token)
            .body(create.clone());
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = req.send().await?;
        assert_eq!(resp.status(), 415, "{content_type:?}");
        let body: Value = resp.json().await?;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    }
    // A multipart request without a header that forces a preflight is refused unread.
    let form = reqwest::multipart::Form::new()
        .text("operations", create.clone())
        .text("map", "{}");
    let resp = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await?;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await?;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    // Token authentication ran (a lookup, and now and then its last-used time), nothing else:
    // creating a workspace alone takes more than ten statements.
    let ran = app.sql_statements().await? - statements;
    assert!(ran <= 10, "only token lookups ran: {ran}");
    let mut after = crate::packages::db_signature(&app).await?;
    // The token's last-used time is the one thing a signed-in request may write.
    after.insert("api_tokens".into(), before["api_tokens"].clone());
    assert_eq!(after, before, "a refused request wrote");
    // application/json with a charset, or in capitals, is what clients send.
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let (status, body) = post_raw(
            &app,
            Some(content_type),
            json!({ "query": "{ __typename }" }).to_string(),
        )
        .await?;
        assert_eq!(
            (status, &body["data"]["__typename"]),
            (200, &json!("Query"))
        );
    }
    app.stop().await
}
tests::on_both_backends!(
    cross_site_requests_are_refused,
    super::cross_site_media_types_are_refused
);

/// The same guard holds over graphql-ws: a bomb sent as a `subscribe` message is an error with
/// its code, and the connection stays usable.
async fn bombs_over_websocket(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let mut ws = app.ws(None).await?;
    ws.subscribe("b", &fragment_bomb(39), json!({})).await?;
    let message = ws.next_message(std::time::Duration::from_secs(10)).await?;
    // graphql-transport-ws answers a query's refusal as a result with errors.
    assert_eq!(message["id"], "b", "{message}");
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{message}"
    );
    assert!(message["payload"]["data"].is_null(), "{message}");
    let complete = ws.next_message(std::time::Duration::from_secs(10)).await?;
    assert_eq!(complete, json!({ "id": "b", "type": "complete" }));
    ws.subscribe("t", "{ __typename }", json!({})).await?;
    let message = ws.next_message(std::time::Duration::from_secs(10)).await?;
    assert_eq!(
        message["payload"]["data"]["__typename"], "Query",
        "{message}"
    );
    app.stop().await
}
tests::on_both_backends!(the_guard_holds_over_websocket, super::bombs_over_websocket);
