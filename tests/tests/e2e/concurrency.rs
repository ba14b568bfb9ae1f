//! Concurrency over HTTP: many workspaces installing one listing at once, identical installs
//! racing into one workspace, and publishes of the same version number racing each other. The
//! counters stay exact, exactly one racer wins, and no request fails with an internal error.

use std::future::Future;

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

/// Runs the racers at once; each must be answered 200 and none may leak a storage failure.
/// Returns the bodies, in the racers' order.
async fn race<R>(racers: impl IntoIterator<Item = R>) -> anyhow::Result<Vec<Value>>
where
    R: Future<Output = anyhow::Result<(u16, Value)>>,
{
    let mut bodies = Vec::new();
    for result in join_all(racers).await {
        let (status, body) = result?;
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    assert_no_internal_failure(&bodies);
    Ok(bodies)
}

/// A race's payloads, parted into those without user errors (each with its racer's index) and
/// those with.
struct Outcome<'a> {
    winners: Vec<(usize, &'a Value)>,
    losers: Vec<&'a Value>,
}

/// The payloads `field` of a race's bodies, parted into winners and losers.
fn outcome<'a>(bodies: &'a [Value], field: &str) -> anyhow::Result<Outcome<'a>> {
    let mut parted = Outcome {
        winners: Vec::new(),
        losers: Vec::new(),
    };
    for (i, body) in bodies.iter().enumerate() {
        let p = payload(body, field)?;
        if p["userErrors"] == json!([]) {
            parted.winners.push((i, p));
        } else {
            parted.losers.push(p);
        }
    }
    Ok(parted)
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

/// The rows of the install ledger for the listing `id`, of `kind` only if one is given.
async fn ledger_rows(app: &TestApp, id: i64, kind: Option<&str>) -> anyhow::Result<u64> {
    let mut rows = install_event::Entity::find().filter(install_event::Column::ConnectorId.eq(id));
    if let Some(kind) = kind {
        rows = rows.filter(install_event::Column::Kind.eq(kind));
    }
    Ok(rows.count(app.conn()?).await?)
}

/// How many workspace copies of the listing `id` exist.
async fn copies_of(app: &TestApp, id: i64) -> anyhow::Result<u64> {
    Ok(workspace_connector::Entity::find()
        .filter(workspace_connector::Column::ConnectorId.eq(id))
        .count(app.conn()?)
        .await?)
}

/// The listing's install counters, in total and per version.
async fn metrics(app: &TestApp, slug: &str) -> anyhow::Result<Value> {
    let data = app.data(None, METRICS, json!({ "slug": slug })).await?;
    Ok(data["connector"].clone())
}

/// `n` workspaces `ws-00`, `ws-01`, … each made by an admin of its own; returns their tokens.
async fn workspaces_each_with_an_admin(app: &TestApp, n: usize) -> anyhow::Result<Vec<String>> {
    let mut admins = Vec::with_capacity(n);
    for i in 0..n {
        let token = app.user_with_token(&format!("admin-{i:02}")).await?;
        create_workspace(app, &token, &format!("ws-{i:02}")).await?;
        admins.push(token);
    }
    Ok(admins)
}

/// Each admin installs `popular` into their workspace, each from a task of its own, all at once.
async fn install_in_every_workspace(
    app: &TestApp,
    admins: &[String],
) -> anyhow::Result<Vec<Value>> {
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
    race(installs.map(|task| async move { task.await? })).await
}

/// 50 workspaces, each with its own admin, install the same listing at once: 50 installs and 50
/// active installs exactly, and 50 `install` rows in the ledger.
async fn fifty_workspaces(backend: Backend) -> anyhow::Result<()> {
    const N: usize = 50;
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let source = connector_source("Popular", &[("ping", "Ping")]);
    create_listing(&app, &author, "popular", "Popular", &source).await?;
    let admins = workspaces_each_with_an_admin(&app, N).await?;

    for body in &install_in_every_workspace(&app, &admins).await? {
        let p = payload(body, "installConnector")?;
        assert_eq!(p["userErrors"], json!([]), "{body}");
        assert_eq!(p["changed"], true, "{body}");
        assert_eq!(p["workspaceConnector"]["latestNumber"], 1, "{body}");
        assert_eq!(
            p["workspaceConnector"]["parentVersion"]["version"], "1.0.0",
            "{body}"
        );
    }
    let counters = metrics(&app, "popular").await?;
    assert_eq!(
        counters["metrics"],
        json!({ "totalInstalls": N, "activeInstalls": N })
    );
    assert_eq!(
        counters["versions"]["edges"],
        json!([{ "node": { "version": "1.0.0", "installs": N, "activeInstalls": N } }])
    );
    let id = listing_id(&app, "popular").await?;
    assert_eq!(ledger_rows(&app, id, Some("install")).await?, N as u64);
    let all_events = install_event::Entity::find().count(app.conn()?).await?;
    assert_eq!(all_events, N as u64);
    assert_eq!(copies_of(&app, id).await?, N as u64);
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
    let source = connector_source("Contested", &[("grab", "Grab")]);
    create_listing(&app, &author, "contested", "Contested", &source).await?;
    create_workspace(&app, &admin, "ops").await?;

    let input = json!({ "input": { "workspace": "ops", "connector": "contested" } });
    let racers = (0..N).map(|_| app.graphql_raw(Some(&admin), INSTALL, input.clone()));
    let bodies = race(racers).await?;
    let Outcome {
        winners: won,
        losers: conflicts,
    } = outcome(&bodies, "installConnector")?;
    for (_, p) in &won {
        assert_eq!(p["changed"], true, "{p}");
        assert_eq!(p["workspaceConnector"]["latestNumber"], 1, "{p}");
    }
    let conflict = json!({
        "workspaceConnector": null, "changed": false,
        "userErrors": [{
            "field": ["input", "connector"],
            "message": "contested is already installed in this workspace; update it instead",
            "code": "CONFLICT", "line": null, "column": null,
        }],
    });
    for p in &conflicts {
        assert_eq!(*p, &conflict, "{p}");
    }
    assert_eq!((won.len(), conflicts.len()), (1, N - 1));

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
    assert_eq!(copies_of(&app, id).await?, 1);
    assert_eq!(ledger_rows(&app, id, None).await?, 1);
    assert_eq!(
        metrics(&app, "contested").await?["metrics"],
        json!({ "totalInstalls": 1, "activeInstalls": 1 })
    );
    app.stop().await
}
tests::on_both_backends!(
    concurrency_identical_installs_into_one_workspace,
    super::identical_installs
);

/// `n` sources of racy, each with a `variant` action titled after its index.
fn racy_variants(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            connector_source(
                "Racy",
                &[("run", "Run"), ("variant", &format!("Variant {i}"))],
            )
        })
        .collect()
}

/// Ten publishes of the same version number of one listing at once: exactly one is published
/// (its source is the one stored), the others are told the version exists.
async fn same_version_publishes(backend: Backend) -> anyhow::Result<()> {
    const N: usize = 10;
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let source = connector_source("Racy", &[("run", "Run")]);
    create_listing(&app, &author, "racy", "Racy", &source).await?;
    let sources = racy_variants(N);
    let racers = sources.iter().map(|source| {
        app.graphql_raw(
            Some(&author),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "racy", "version": "1.1.0", "source": source } }),
        )
    });
    let bodies = race(racers).await?;
    let Outcome { winners, losers } = outcome(&bodies, "publishVersion")?;
    for (i, p) in &winners {
        assert_eq!(p["version"]["version"], "1.1.0", "{p}");
        assert_eq!(
            p["version"]["sha256"],
            sha256_hex(&sources[*i]).as_str(),
            "{p}"
        );
    }
    let exists = json!({
        "version": null,
        "userErrors": [{
            "field": ["input", "version"],
            "message": "version 1.1.0 is already published; versions are immutable",
            "code": "CONFLICT", "line": null, "column": null,
        }],
    });
    for p in &losers {
        assert_eq!(*p, &exists, "{p}");
    }
    let winners: Vec<usize> = winners.iter().map(|(i, _)| *i).collect();
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(
        stored_racy(&app, &author).await?,
        json!({
            "latestVersion": { "version": "1.1.0", "sha256": sha256_hex(&sources[winners[0]]) },
            "versions": { "totalCount": 2, "edges": [
                { "node": { "version": "1.1.0" } }, { "node": { "version": "1.0.0" } },
            ] },
            "version": { "source": sources[winners[0]] },
        })
    );
    app.stop().await
}
tests::on_both_backends!(
    concurrency_same_version_publishes,
    super::same_version_publishes
);

/// What racy stores: its latest version, its versions, and 1.1.0's source.
async fn stored_racy(app: &TestApp, author: &str) -> anyhow::Result<Value> {
    let listing = app
        .data(
            Some(author),
            r#"query { connector(slug: "racy") {
                latestVersion { version sha256 }
                versions { totalCount edges { node { version } } }
                version(version: "1.1.0") { source }
            } }"#,
            json!({}),
        )
        .await?;
    Ok(listing["connector"].clone())
}

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

/// The people of the race over one copy, the copy's id and the source it was installed from.
struct SharedCopy {
    admin: String,
    author: String,
    id: Value,
    source: String,
}

/// The listing `shared` at 1.0.0, installed into `ops` by its admin.
async fn arrange_shared_copy(app: &TestApp) -> anyhow::Result<SharedCopy> {
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let source = connector_source("Shared", &[("share", "Share")]);
    create_listing(app, &author, "shared", "Shared", &source).await?;
    create_workspace(app, &admin, "ops").await?;
    let body = app
        .graphql(
            Some(&admin),
            INSTALL,
            json!({ "input": { "workspace": "ops", "connector": "shared" } }),
        )
        .await?;
    let id = payload(&body, "installConnector")?["workspaceConnector"]["id"].clone();
    Ok(SharedCopy {
        admin,
        author,
        id,
        source,
    })
}

/// The admin saves each of `sources` to the copy `id`, all at once; each must be saved. Returns
/// the version numbers they were given, in order.
async fn race_edits(
    app: &TestApp,
    admin: &str,
    id: &Value,
    sources: &[String],
) -> anyhow::Result<Vec<i64>> {
    let edits = sources.iter().map(|s| {
        app.graphql_raw(
            Some(admin),
            EDIT,
            json!({ "input": { "workspaceConnectorId": id, "source": s } }),
        )
    });
    let mut numbers = Vec::new();
    for body in &race(edits).await? {
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
    Ok(numbers)
}

/// The copy's latest number, and the sources of its versions after the first, sorted.
async fn edited_sources(
    app: &TestApp,
    admin: &str,
    id: &Value,
) -> anyhow::Result<(Value, Vec<String>)> {
    let versions = app
        .data(
            Some(admin),
            "query($id: ID!) { workspace(slug: \"ops\") { connector(id: $id) { latestNumber versions { number source } } } }",
            json!({ "id": id }),
        )
        .await?;
    let copy = &versions["workspace"]["connector"];
    let mut stored: Vec<String> = copy["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["number"] != 1)
        .filter_map(|v| v["source"].as_str().map(str::to_owned))
        .collect();
    stored.sort();
    Ok((copy["latestNumber"].clone(), stored))
}

/// A racer's update that lost: prepared before the winner committed, or after; both are answers
/// the caller can act on.
fn assert_update_lost(p: &Value) {
    assert_eq!(p["workspaceConnector"], Value::Null, "{p}");
    assert_eq!(p["changed"], false, "{p}");
    let raced = json!([{ "field": ["input", "workspaceConnectorId"],
        "message": "the copy changed while the update was prepared; try again",
        "code": "CONFLICT" }]);
    let late = json!([{ "field": ["input", "version"],
        "message": "the copy already follows shared 1.1.0; nothing newer to update to",
        "code": "BAD_USER_INPUT" }]);
    assert!(p["userErrors"] == raced || p["userErrors"] == late, "{p}");
}

/// The author publishes shared 1.1.0; then the admin updates the copy `id` to it (replacing the
/// edits) `n` times at once. Returns the bodies.
async fn race_updates(
    app: &TestApp,
    author: &str,
    admin: &str,
    id: &Value,
    n: usize,
) -> anyhow::Result<Vec<Value>> {
    let body = app
        .graphql(
            Some(author),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "shared", "version": "1.1.0",
                    "source": connector_source("Shared", &[("share", "Share"), ("more", "More")]) } }),
        )
        .await?;
    assert_eq!(payload(&body, "publishVersion")?["userErrors"], json!([]));
    let updates = (0..n).map(|_| {
        app.graphql_raw(
            Some(admin),
            UPDATE,
            json!({ "input": { "workspaceConnectorId": id, "strategy": "REPLACE" } }),
        )
    });
    race(updates).await
}

/// Concurrent changes to one copy: ten edits at once each get their own version number (2 to 11,
/// none lost, none twice); then ten updates to the same new community version at once: exactly
/// one is applied and recorded.
async fn changes_to_one_copy(backend: Backend) -> anyhow::Result<()> {
    const N: usize = 10;
    let app = TestApp::spawn(backend).await?;
    let SharedCopy {
        admin,
        author,
        id,
        source,
    } = arrange_shared_copy(&app).await?;

    let sources: Vec<String> = (0..N)
        .map(|i| source.replace("title: \"Share\"", &format!("title: \"Share {i}\"")))
        .collect();
    let numbers = race_edits(&app, &admin, &id, &sources).await?;
    assert_eq!(numbers, (2..=11).collect::<Vec<i64>>());
    let (latest, stored) = edited_sources(&app, &admin, &id).await?;
    assert_eq!(latest, 11);
    let mut sent = sources.clone();
    sent.sort();
    assert_eq!(stored, sent);

    // Ten identical updates (replacing the edits) race: one applies.
    let bodies = race_updates(&app, &author, &admin, &id, N).await?;
    let Outcome {
        winners: applied,
        losers: lost,
    } = outcome(&bodies, "updateWorkspaceConnector")?;
    for (_, p) in &applied {
        assert_eq!(
            p["workspaceConnector"],
            json!({ "latestNumber": 12, "parentVersion": { "version": "1.1.0" } }),
            "{p}"
        );
    }
    lost.into_iter().for_each(assert_update_lost);
    assert_eq!(applied.len(), 1);
    let listing = listing_id(&app, "shared").await?;
    assert_eq!(ledger_rows(&app, listing, Some("update")).await?, 1);
    assert_eq!(
        metrics(&app, "shared").await?["versions"]["edges"],
        json!([
            { "node": { "version": "1.1.0", "installs": 0, "activeInstalls": 1 } },
            { "node": { "version": "1.0.0", "installs": 1, "activeInstalls": 0 } },
        ])
    );
    app.stop().await
}
tests::on_both_backends!(concurrency_changes_to_one_copy, super::changes_to_one_copy);
