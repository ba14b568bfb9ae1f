//! Changes reaching every server at once: a role change holds from the very next request, on the
//! server that made it and on a second server sharing the database; and notices of new versions
//! arrive over the graphql-ws subscription, whichever server the version was published through.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{Backend, Endpoint, TestApp, WsClient, error_code};

use crate::fixtures::{connector_source, payload};
use crate::lifecycle::{INSTALL, SET_MEMBER, create_listing, create_workspace, set_member};

const PUBLISH: &str = r#"
mutation($input: PublishVersionInput!) {
  publishVersion(input: $input) { version { version } userErrors { field message code } }
}"#;

/// One of the two servers sharing a database (a `TestApp` or its `SecondServer`).
#[derive(Clone, Copy)]
struct Server<'a>(&'a Endpoint);

impl Server<'_> {
    async fn graphql(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.0.graphql(Some(token), query, variables).await
    }

    async fn sql_statements(&self) -> anyhow::Result<u64> {
        self.0.sql_statements().await
    }

    async fn ws(&self, token: Option<&str>) -> anyhow::Result<WsClient> {
        self.0.ws(token).await
    }

    /// `setWorkspaceMember` through this server; must succeed.
    async fn set_role(&self, token: &str, handle: &str, role: &str) -> anyhow::Result<()> {
        let body = self
            .graphql(
                token,
                SET_MEMBER,
                json!({ "input": { "workspace": "ops", "handle": handle, "role": role } }),
            )
            .await?;
        assert_eq!(
            payload(&body, "setWorkspaceMember")?,
            &json!({ "member": { "user": { "handle": handle }, "role": role }, "userErrors": [] })
        );
        Ok(())
    }

    /// `installConnector` of `listing` into `ops` through this server.
    async fn install(&self, token: &str, listing: &str) -> anyhow::Result<Value> {
        self.graphql(
            token,
            INSTALL,
            json!({ "input": { "workspace": "ops", "connector": listing } }),
        )
        .await
    }

    /// The caller's role in `ops`, as this server answers it.
    async fn role(&self, token: &str) -> anyhow::Result<Value> {
        let body = self
            .graphql(token, "{ workspace(slug: \"ops\") { role } }", json!({}))
            .await?;
        Ok(body["data"]["workspace"]["role"].clone())
    }
}

fn assert_installed(body: &Value) -> anyhow::Result<()> {
    let p = payload(body, "installConnector")?;
    assert_eq!(p["userErrors"], json!([]), "{body}");
    assert_eq!(p["changed"], true, "{body}");
    assert_eq!(p["workspaceConnector"]["latestNumber"], 1, "{body}");
    Ok(())
}

fn assert_forbidden(body: &Value) {
    assert_eq!(error_code(body), Some("FORBIDDEN"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
}

/// A role change holds from the very next request, on this server and on another one sharing
/// the database (PostgreSQL: a second server over the same database; SQLite: over the same file).
async fn role_change_next_request(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let dev = app.user_with_token("dev").await?;
    for slug in ["alpha", "beta", "gamma", "delta"] {
        let name = format!("Listing {slug}");
        create_listing(
            &app,
            &author,
            slug,
            &name,
            &connector_source(&name, &[("launch", "Launch")]),
        )
        .await?;
    }
    create_workspace(&app, &admin, "ops").await?;
    set_member(&app, &admin, "ops", "dev", "developer").await?;
    let a = Server(&app);

    // One server: a developer installs; demoted to analyst, their next install is FORBIDDEN.
    assert_installed(&a.install(&dev, "alpha").await?)?;
    a.set_role(&admin, "dev", "analyst").await?;
    assert_forbidden(&a.install(&dev, "beta").await?);

    // Two servers over one database: a change through A holds on B's very next request.
    let second = app.spawn_second().await?;
    let b = Server(&second);
    assert_eq!(b.role(&dev).await?, "analyst");
    a.set_role(&admin, "dev", "developer").await?;
    assert_installed(&b.install(&dev, "beta").await?)?;
    a.set_role(&admin, "dev", "analyst").await?;
    assert_forbidden(&b.install(&dev, "gamma").await?);
    assert_eq!(b.role(&dev).await?, "analyst");

    // And the other way round.
    b.set_role(&admin, "dev", "developer").await?;
    assert_eq!(a.role(&dev).await?, "developer");
    assert_installed(&a.install(&dev, "gamma").await?)?;
    b.set_role(&admin, "dev", "analyst").await?;
    assert_forbidden(&a.install(&dev, "delta").await?);

    // Removed from the workspace through B: on A the workspace is gone for them.
    let removed = b
        .graphql(
            &admin,
            r#"mutation { removeWorkspaceMember(input: { workspace: "ops", handle: "dev" }) { user { handle } userErrors { field message code } } }"#,
            json!({}),
        )
        .await?;
    assert_eq!(
        payload(&removed, "removeWorkspaceMember")?,
        &json!({ "user": { "handle": "dev" }, "userErrors": [] })
    );
    let gone = a
        .graphql(&dev, "{ workspace(slug: \"ops\") { role } }", json!({}))
        .await?;
    assert_eq!(error_code(&gone), Some("NOT_FOUND"), "{gone}");

    // Three installs went through, on both servers.
    let metrics = app
        .data(
            None,
            r#"{ connectors(first: 10, sort: NAME) { nodes { slug metrics { totalInstalls } } } }"#,
            json!({}),
        )
        .await?;
    assert_eq!(
        metrics["connectors"]["nodes"],
        json!([
            { "slug": "alpha", "metrics": { "totalInstalls": 1 } },
            { "slug": "beta", "metrics": { "totalInstalls": 1 } },
            { "slug": "delta", "metrics": { "totalInstalls": 0 } },
            { "slug": "gamma", "metrics": { "totalInstalls": 1 } },
        ])
    );
    second.stop().await?;
    app.stop().await
}
tests::on_both_backends!(
    notifications_role_change_holds_on_next_request,
    super::role_change_next_request
);

const SUBSCRIPTION: &str = r#"
subscription($ws: String!) {
  workspaceNotifications(workspace: $ws) {
    kind title message breakingMessage version { version }
  }
}"#;

/// How long a notice may take to arrive.
const DELIVERY: Duration = Duration::from_secs(10);

/// Subscribe on `server` and wait until the subscription is live: it has run its first queries
/// (membership, the newest notice so far, a first poll), seen in the server's statement counter.
/// Nothing else talks to that server meanwhile.
async fn subscribe_live(server: Server<'_>, token: &str) -> anyhow::Result<WsClient> {
    let mut ws = server.ws(Some(token)).await?;
    let before = server.sql_statements().await?;
    ws.subscribe("n", SUBSCRIPTION, json!({ "ws": "ops" }))
        .await?;
    let deadline = tokio::time::Instant::now() + DELIVERY;
    loop {
        if server.sql_statements().await? >= before + 4 {
            return Ok(ws);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the subscription did not start within {DELIVERY:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn notice(version: &str, message: &str) -> Value {
    json!({
        "type": "next",
        "id": "n",
        "payload": { "data": { "workspaceNotifications": {
            "kind": "connector_update_available",
            "title": format!("Weather {version} is available"),
            "message": message,
            "breakingMessage": null,
            "version": { "version": version },
        } } },
    })
}

/// Publish a version through `server`; must succeed.
async fn publish_through(
    server: Server<'_>,
    token: &str,
    version: &str,
    notes: &str,
    actions: &[(&str, &str)],
) -> anyhow::Result<()> {
    let source = connector_source("Weather", actions);
    let body = server
        .graphql(
            token,
            PUBLISH,
            json!({ "input": { "slug": "weather", "version": version, "source": source, "releaseNotes": notes } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "publishVersion")?,
        &json!({ "version": { "version": version }, "userErrors": [] })
    );
    Ok(())
}

/// Published through either server, a notice reaches the subscribers on both, once.
async fn notices_reach_both_servers(
    a: Server<'_>,
    b: Server<'_>,
    author: &str,
    dev: &str,
) -> anyhow::Result<()> {
    let mut on_a = subscribe_live(a, dev).await?;
    let mut on_b = subscribe_live(b, dev).await?;

    // Published through A: A's subscriber is woken at once, B's finds it by polling.
    publish_through(
        a,
        author,
        "1.1.0",
        "Published through A",
        &[("forecast", "Forecast"), ("alerts", "Alerts")],
    )
    .await?;
    assert_eq!(
        on_a.next_message(DELIVERY).await?,
        notice("1.1.0", "Published through A")
    );
    assert_eq!(
        on_b.next_message(DELIVERY).await?,
        notice("1.1.0", "Published through A")
    );

    // Published through B: both subscribers hear of it too.
    publish_through(
        b,
        author,
        "1.2.0",
        "Published through B",
        &[
            ("forecast", "Forecast"),
            ("alerts", "Alerts"),
            ("radar", "Radar"),
        ],
    )
    .await?;
    assert_eq!(
        on_a.next_message(DELIVERY).await?,
        notice("1.2.0", "Published through B")
    );
    assert_eq!(
        on_b.next_message(DELIVERY).await?,
        notice("1.2.0", "Published through B")
    );

    // Each notice arrived once.
    let quiet = Duration::from_millis(1500);
    on_a.expect_silence(quiet).await?;
    on_b.expect_silence(quiet).await?;
    on_a.close().await?;
    on_b.close().await?;

    Ok(())
}

/// A non-member is told the workspace does not exist, exactly as for a missing one; a caller
/// without a token is UNAUTHENTICATED.
async fn refusals(app: &TestApp, outsider: &str, dev: &str) -> anyhow::Result<()> {
    for (token, slug) in [(outsider, "ops"), (dev, "no-such-workspace")] {
        let mut ws = app.ws(Some(token)).await?;
        ws.subscribe("n", SUBSCRIPTION, json!({ "ws": slug }))
            .await?;
        let refused = ws.next_message(DELIVERY).await?;
        assert_eq!(refused["type"], "next", "{refused}");
        assert_eq!(refused["id"], "n", "{refused}");
        assert_eq!(refused["payload"]["data"], Value::Null, "{refused}");
        assert_eq!(
            error_code(&refused["payload"]),
            Some("NOT_FOUND"),
            "{refused}"
        );
        assert_eq!(
            refused["payload"]["errors"][0]["message"],
            format!("workspace \"{slug}\" not found"),
            "{refused}"
        );
        assert_eq!(
            ws.next_message(DELIVERY).await?,
            json!({ "type": "complete", "id": "n" })
        );
        ws.close().await?;
    }

    // Without a token: UNAUTHENTICATED.
    let mut anonymous = app.ws(None).await?;
    anonymous
        .subscribe("n", SUBSCRIPTION, json!({ "ws": "ops" }))
        .await?;
    let refused = anonymous.next_message(DELIVERY).await?;
    assert_eq!(
        error_code(&refused["payload"]),
        Some("UNAUTHENTICATED"),
        "{refused}"
    );
    anonymous.close().await?;

    Ok(())
}

/// The graphql-ws subscription: notices of versions published through this server and through a
/// second one sharing the database arrive on both servers' subscriptions within 10 s; a
/// non-member (and an anonymous caller) is refused.
async fn subscription(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let second = app.spawn_second().await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let dev = app.user_with_token("dev").await?;
    let outsider = app.user_with_token("outsider").await?;
    create_listing(
        &app,
        &author,
        "weather",
        "Weather",
        &connector_source("Weather", &[("forecast", "Forecast")]),
    )
    .await?;
    create_workspace(&app, &admin, "ops").await?;
    set_member(&app, &admin, "ops", "dev", "developer").await?;
    let installed = app
        .graphql(
            Some(&dev),
            INSTALL,
            json!({ "input": { "workspace": "ops", "connector": "weather" } }),
        )
        .await?;
    assert_installed(&installed)?;
    let (a, b) = (Server(&app), Server(&second));

    notices_reach_both_servers(a, b, &author, &dev).await?;
    refusals(&app, &outsider, &dev).await?;

    // The notices are stored once each, unread.
    let stored = app
        .data(
            Some(&dev),
            "{ workspace(slug: \"ops\") { unreadNotificationCount notifications { title } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        stored["workspace"],
        json!({ "unreadNotificationCount": 2, "notifications": [
            { "title": "Weather 1.2.0 is available" }, { "title": "Weather 1.1.0 is available" },
        ] })
    );
    second.stop().await?;
    app.stop().await
}
tests::on_both_backends!(notifications_subscription, super::subscription);

/// A subscriber in `ops` (a developer) with a token whose id is known; (token id, secret).
async fn subscriber(app: &TestApp, admin: &str) -> anyhow::Result<(i64, String)> {
    let db = app.conn()?;
    let user = api::auth::create_user(
        db,
        "watcher",
        "Watcher",
        "w@example.test",
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| e.into_anyhow())?;
    let (token, secret) = api::auth::create_token(db, &user, "ws", None)
        .await
        .map_err(|e| e.into_anyhow())?;
    set_member(app, admin, "ops", "watcher", "developer").await?;
    Ok((token.id, secret.reveal().to_owned()))
}

/// Revoking the token of an open graphql-ws connection closes it with 4403 within a few seconds
/// (it used to go on delivering notices).
async fn revoked_token_closes(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let admin = app.user_with_token("admin").await?;
    create_workspace(&app, &admin, "ops").await?;
    let (token_id, secret) = subscriber(&app, &admin).await?;
    let mut ws = subscribe_live(Server(&app), &secret).await?;
    api::auth::revoke_token(app.conn()?, token_id)
        .await
        .map_err(|e| e.into_anyhow())?;
    assert_eq!(ws.close_code(DELIVERY).await?, Some(4403));
    // The admin's own connection is unaffected.
    let mut other = subscribe_live(Server(&app), &admin).await?;
    other.expect_silence(Duration::from_secs(5)).await?;
    other.close().await?;
    app.stop().await
}
tests::on_both_backends!(
    a_revoked_token_closes_its_subscription,
    super::revoked_token_closes
);

/// A member removed from the workspace has their subscription closed with 4403.
async fn removed_member_closes(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let admin = app.user_with_token("admin").await?;
    create_workspace(&app, &admin, "ops").await?;
    let (_, secret) = subscriber(&app, &admin).await?;
    let mut ws = subscribe_live(Server(&app), &secret).await?;
    let body = app
        .graphql(
            Some(&admin),
            "mutation($input: RemoveWorkspaceMemberInput!) { removeWorkspaceMember(input: $input) { userErrors { code } } }",
            json!({ "input": { "workspace": "ops", "handle": "watcher" } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "removeWorkspaceMember")?["userErrors"],
        json!([])
    );
    assert_eq!(ws.close_code(DELIVERY).await?, Some(4403));
    app.stop().await
}
tests::on_both_backends!(
    a_removed_member_loses_their_subscription,
    super::removed_member_closes
);
