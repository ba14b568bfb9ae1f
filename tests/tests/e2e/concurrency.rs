//! Concurrency over HTTP: many workspaces installing one listing at once, identical installs
//! racing into one workspace, and publishes of the same version number racing each other. The
//! counters stay exact, exactly one racer wins, and no request fails with an internal error.

use entities::{install_event, workspace_connector};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tests::{Backend, TestApp};

use crate::fixtures::{PUBLISH_VERSION, connector_source, payload, sha256_hex};
use crate::lifecycle::{INSTALL, create_listing, create_workspace};

const METRICS: &str = r#"
query($slug: String!) {
  connector(slug: $slug) {
    id
    metrics { totalInstalls activeInstalls }
    versions { edges { node { version installs activeInstalls } } }
  }
}"#;

/// No response of a race may leak a storage failure.
fn assert_no_internal_failure(bodies: &[Value]) {
    for body in bodies {
        let text = body.to_string();
        assert!(
            !text.contains("database is locked"),
            "a racer saw a lock: {text}"
        );
        assert!(
            !text.contains("INTERNAL_SERVER_ERROR"),
            "a racer failed inside: {text}"
        );
    }
}

/// The listing's id in the database, looked up by slug.
async fn listing_id(app: &TestApp, slug: &str) -> anyhow::Result<i64> {
    let listing = entities::connector::Entity::find()
        .filter(entities::connector::Column::Slug.eq(slug))
        .one(app.conn()?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no listing {slug}"))?;
    Ok(listing.id)
}

/// 50 workspaces, each with its own admin, install the same listing at once: 50 installs and 50
/// active installs exactly, and 50 `install` rows in the ledger.
async fn fifty_workspaces(backend: Backend) -> anyhow::Result<()> {
    const N: usize = 50;
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    create_listing(
        &app,
        &author,
        "popular",
        "Popular",
        &connector_source("Popular", &[("ping", "Ping")]),
    )
    .await?;
    let mut admins = Vec::with_capacity(N);
    for i in 0..N {
        let token = app.user_with_token(&format!("admin-{i:02}")).await?;
        create_workspace(&app, &token, &format!("ws-{i:02}")).await?;
        admins.push(token);
    }

    let installs = admins.iter().enumerate().map(|(i, token)| {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base_url);
        let token = token.clone();
        tokio::spawn(async move {
            let resp = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "query": INSTALL, "variables": { "input": {
                    "workspace": format!("ws-{i:02}"), "connector": "popular" } } }))
                .send()
                .await?;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await?;
            anyhow::Ok((status, body))
        })
    });
    let mut bodies = Vec::with_capacity(N);
    for joined in join_all(installs).await {
        let (status, body) = joined??;
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    assert_no_internal_failure(&bodies);
    for body in &bodies {
        let p = payload(body, "installConnector")?;
        assert_eq!(p["userErrors"], json!([]), "{body}");
        assert_eq!(p["changed"], true, "{body}");
        assert_eq!(p["workspaceConnector"]["latestNumber"], 1, "{body}");
        assert_eq!(
            p["workspaceConnector"]["parentVersion"]["version"], "1.0.0",
            "{body}"
        );
    }

    let data = app
        .data(None, METRICS, json!({ "slug": "popular" }))
        .await?;
    assert_eq!(
        data["connector"]["metrics"],
        json!({ "totalInstalls": N, "activeInstalls": N })
    );
    assert_eq!(
        data["connector"]["versions"]["edges"],
        json!([{ "node": { "version": "1.0.0", "installs": N, "activeInstalls": N } }])
    );
    let id = listing_id(&app, "popular").await?;
    let db = app.conn()?;
    let events = install_event::Entity::find()
        .filter(install_event::Column::ConnectorId.eq(id))
        .filter(install_event::Column::Kind.eq("install"))
        .count(db)
        .await?;
    assert_eq!(events, N as u64);
    let all_events = install_event::Entity::find().count(db).await?;
    assert_eq!(all_events, N as u64);
    let copies = workspace_connector::Entity::find()
        .filter(workspace_connector::Column::ConnectorId.eq(id))
        .count(db)
        .await?;
    assert_eq!(copies, N as u64);
    app.stop().await
}
tests::on_both_backends!(
    concurrency_fifty_workspaces_install_at_once,
    super::fifty_workspaces
);

/// Ten identical installs into one workspace at once: exactly one installs, nine are told of the
/// conflict, one copy exists and one install is counted.
async fn identical_installs(backend: Backend) -> anyhow::Result<()> {
    const N: usize = 10;
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(
        &app,
        &author,
        "contested",
        "Contested",
        &connector_source("Contested", &[("grab", "Grab")]),
    )
    .await?;
    create_workspace(&app, &admin, "ops").await?;

    let input = json!({ "input": { "workspace": "ops", "connector": "contested" } });
    let racers = (0..N).map(|_| app.graphql_raw(Some(&admin), INSTALL, input.clone()));
    let mut bodies = Vec::with_capacity(N);
    for result in join_all(racers).await {
        let (status, body) = result?;
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    assert_no_internal_failure(&bodies);
    let mut won = 0;
    let mut conflicts = 0;
    for body in &bodies {
        let p = payload(body, "installConnector")?;
        if p["userErrors"] == json!([]) {
            won += 1;
            assert_eq!(p["changed"], true, "{body}");
            assert_eq!(p["workspaceConnector"]["latestNumber"], 1, "{body}");
        } else {
            conflicts += 1;
            assert_eq!(
                p,
                &json!({
                    "workspaceConnector": null, "changed": false,
                    "userErrors": [{
                        "field": ["input", "connector"],
                        "message": "contested is already installed in this workspace; update it instead",
                        "code": "CONFLICT", "line": null, "column": null,
                    }],
                }),
                "{body}"
            );
        }
    }
    assert_eq!((won, conflicts), (1, N - 1));

    let listed = app
        .data(
            Some(&admin),
            "{ workspace(slug: \"ops\") { connectors { name latestNumber } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        listed["workspace"]["connectors"],
        json!([{ "name": "Contested", "latestNumber": 1 }])
    );
    let id = listing_id(&app, "contested").await?;
    let db = app.conn()?;
    let copies = workspace_connector::Entity::find()
        .filter(workspace_connector::Column::ConnectorId.eq(id))
        .count(db)
        .await?;
    assert_eq!(copies, 1);
    let events = install_event::Entity::find()
        .filter(install_event::Column::ConnectorId.eq(id))
        .count(db)
        .await?;
    assert_eq!(events, 1);
    let data = app
        .data(None, METRICS, json!({ "slug": "contested" }))
        .await?;
    assert_eq!(
        data["connector"]["metrics"],
        json!({ "totalInstalls": 1, "activeInstalls": 1 })
    );
    app.stop().await
}
tests::on_both_backends!(
    concurrency_identical_installs_into_one_workspace,
    super::identical_installs
);

/// Ten publishes of the same version number of one listing at once: exactly one is published
/// (its source is the one stored), the others are told the version exists.
async fn same_version_publishes(backend: Backend) -> anyhow::Result<()> {
    const N: usize = 10;
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    create_listing(
        &app,
        &author,
        "racy",
        "Racy",
        &connector_source("Racy", &[("run", "Run")]),
    )
    .await?;
    let sources: Vec<String> = (0..N)
        .map(|i| {
            connector_source(
                "Racy",
                &[("run", "Run"), ("variant", &format!("Variant {i}"))],
            )
        })
        .collect();
    let racers = sources.iter().map(|source| {
        app.graphql_raw(
            Some(&author),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "racy", "version": "1.1.0", "source": source } }),
        )
    });
    let mut bodies = Vec::with_capacity(N);
    for result in join_all(racers).await {
        let (status, body) = result?;
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    assert_no_internal_failure(&bodies);
    let mut winners = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let p = payload(body, "publishVersion")?;
        if p["userErrors"] == json!([]) {
            assert_eq!(p["version"]["version"], "1.1.0", "{body}");
            assert_eq!(
                p["version"]["sha256"],
                sha256_hex(&sources[i]).as_str(),
                "{body}"
            );
            winners.push(i);
        } else {
            assert_eq!(
                p,
                &json!({
                    "version": null,
                    "userErrors": [{
                        "field": ["input", "version"],
                        "message": "version 1.1.0 is already published; versions are immutable",
                        "code": "CONFLICT", "line": null, "column": null,
                    }],
                }),
                "{body}"
            );
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let winner = winners[0];
    let listing = app
        .data(
            Some(&author),
            r#"query { connector(slug: "racy") {
                latestVersion { version sha256 }
                versions { totalCount edges { node { version } } }
                version(version: "1.1.0") { source }
            } }"#,
            json!({}),
        )
        .await?;
    assert_eq!(
        listing["connector"],
        json!({
            "latestVersion": { "version": "1.1.0", "sha256": sha256_hex(&sources[winner]) },
            "versions": { "totalCount": 2, "edges": [
                { "node": { "version": "1.1.0" } }, { "node": { "version": "1.0.0" } },
            ] },
            "version": { "source": sources[winner] },
        })
    );
    app.stop().await
}
tests::on_both_backends!(
    concurrency_same_version_publishes,
    super::same_version_publishes
);

const EDIT: &str = r#"
mutation($input: EditWorkspaceConnectorInput!) {
  editWorkspaceConnector(input: $input) {
    workspaceConnector { latestNumber } changed userErrors { field message code }
  }
}"#;

const UPDATE: &str = r#"
mutation($input: UpdateWorkspaceConnectorInput!) {
  updateWorkspaceConnector(input: $input) {
    workspaceConnector { latestNumber parentVersion { version } } changed userErrors { field message code }
  }
}"#;

/// Concurrent changes to one copy: ten edits at once each get their own version number (2 to 11,
/// none lost, none twice); then ten updates to the same new community version at once: exactly
/// one is applied and recorded.
async fn changes_to_one_copy(backend: Backend) -> anyhow::Result<()> {
    const N: usize = 10;
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let source = connector_source("Shared", &[("share", "Share")]);
    create_listing(&app, &author, "shared", "Shared", &source).await?;
    create_workspace(&app, &admin, "ops").await?;
    let body = app
        .graphql(
            Some(&admin),
            INSTALL,
            json!({ "input": { "workspace": "ops", "connector": "shared" } }),
        )
        .await?;
    let id = payload(&body, "installConnector")?["workspaceConnector"]["id"].clone();

    let sources: Vec<String> = (0..N)
        .map(|i| source.replace("title: \"Share\"", &format!("title: \"Share {i}\"")))
        .collect();
    let edits = sources.iter().map(|s| {
        app.graphql_raw(
            Some(&admin),
            EDIT,
            json!({ "input": { "workspaceConnectorId": id, "source": s } }),
        )
    });
    let mut bodies = Vec::with_capacity(N);
    for result in join_all(edits).await {
        let (status, body) = result?;
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    assert_no_internal_failure(&bodies);
    let mut numbers = Vec::new();
    for body in &bodies {
        let p = payload(body, "editWorkspaceConnector")?;
        assert_eq!(p["userErrors"], json!([]), "{body}");
        assert_eq!(p["changed"], true, "{body}");
        numbers.push(
            p["workspaceConnector"]["latestNumber"]
                .as_i64()
                .unwrap_or(-1),
        );
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (2..=11).collect::<Vec<i64>>());
    let versions = app
        .data(
            Some(&admin),
            "query($id: ID!) { workspace(slug: \"ops\") { connector(id: $id) { latestNumber versions { number source } } } }",
            json!({ "id": id }),
        )
        .await?;
    let copy = &versions["workspace"]["connector"];
    assert_eq!(copy["latestNumber"], 11);
    let mut stored: Vec<String> = copy["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["number"] != 1)
        .filter_map(|v| v["source"].as_str().map(str::to_owned))
        .collect();
    stored.sort();
    let mut sent = sources.clone();
    sent.sort();
    assert_eq!(stored, sent);

    // Ten identical updates (replacing the edits) race: one applies.
    let body = app
        .graphql(
            Some(&author),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "shared", "version": "1.1.0",
                    "source": connector_source("Shared", &[("share", "Share"), ("more", "More")]) } }),
        )
        .await?;
    assert_eq!(payload(&body, "publishVersion")?["userErrors"], json!([]));
    let updates = (0..N).map(|_| {
        app.graphql_raw(
            Some(&admin),
            UPDATE,
            json!({ "input": { "workspaceConnectorId": id, "strategy": "REPLACE" } }),
        )
    });
    let mut bodies = Vec::with_capacity(N);
    for result in join_all(updates).await {
        let (status, body) = result?;
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    assert_no_internal_failure(&bodies);
    let mut applied = 0;
    for body in &bodies {
        let p = payload(body, "updateWorkspaceConnector")?;
        if p["userErrors"] == json!([]) {
            applied += 1;
            assert_eq!(
                p["workspaceConnector"],
                json!({ "latestNumber": 12, "parentVersion": { "version": "1.1.0" } }),
                "{body}"
            );
        } else {
            assert_eq!(p["workspaceConnector"], Value::Null, "{body}");
            assert_eq!(p["changed"], false, "{body}");
            // Prepared before the winner committed, or after: both are answers the caller can act on.
            let raced = json!([{ "field": ["input", "workspaceConnectorId"],
                "message": "the copy changed while the update was prepared; try again",
                "code": "CONFLICT" }]);
            let late = json!([{ "field": ["input", "version"],
                "message": "the copy already follows shared 1.1.0; nothing newer to update to",
                "code": "BAD_USER_INPUT" }]);
            assert!(
                p["userErrors"] == raced || p["userErrors"] == late,
                "{body}"
            );
        }
    }
    assert_eq!(applied, 1);
    let listing = listing_id(&app, "shared").await?;
    let updates = install_event::Entity::find()
        .filter(install_event::Column::ConnectorId.eq(listing))
        .filter(install_event::Column::Kind.eq("update"))
        .count(app.conn()?)
        .await?;
    assert_eq!(updates, 1);
    let data = app.data(None, METRICS, json!({ "slug": "shared" })).await?;
    assert_eq!(
        data["connector"]["versions"]["edges"],
        json!([
            { "node": { "version": "1.1.0", "installs": 0, "activeInstalls": 1 } },
            { "node": { "version": "1.0.0", "installs": 1, "activeInstalls": 0 } },
        ])
    );
    app.stop().await
}
tests::on_both_backends!(concurrency_changes_to_one_copy, super::changes_to_one_copy);
