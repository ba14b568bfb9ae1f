//! Each server process decides with its own casbin enforcer; a policy change made anywhere (another
//! server, SQL by hand) holds on every server's next request, and a decision never sees half of
//! a reload.

use std::collections::BTreeSet;

use api::authz::{Authorizer, Permission, policy};
use entities::{user, workspace};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tests::{Backend, TestApp};

const WS: &str = "sync";
const STANDING: &str = "query($ws: String!) { workspace(slug: $ws) { role permissions } }";
const SET_MEMBER: &str = "mutation($input: SetWorkspaceMemberInput!) { setWorkspaceMember(input: $input) { userErrors { message } } }";
const REMOVE_MEMBER: &str = "mutation($input: RemoveWorkspaceMemberInput!) { removeWorkspaceMember(input: $input) { userErrors { message } } }";
const SET_ROLE: &str = "mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { userErrors { message } } }";

async fn change(app: &TestApp, token: &str, query: &str, input: Value) -> anyhow::Result<()> {
    let data = app
        .data(Some(token), query, json!({ "input": input }))
        .await?;
    let payload = data.as_object().and_then(|o| o.values().next()).cloned();
    anyhow::ensure!(
        payload.is_some_and(|p| p["userErrors"] == json!([])),
        "{data}"
    );
    Ok(())
}

async fn ids(app: &TestApp, handle: &str) -> anyhow::Result<(i64, i64)> {
    let db = app.conn()?;
    let ws = workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(WS))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no workspace"))?;
    let user = user::Entity::find()
        .filter(user::Column::Handle.eq(handle))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {handle}"))?;
    Ok((ws.id, user.id))
}

async fn arrange(backend: Backend) -> anyhow::Result<(TestApp, String, String)> {
    let app = TestApp::spawn(backend).await?;
    let root = app.user_with_token("root").await?;
    let dev = app.user_with_token("dev").await?;
    let input = json!({ "slug": WS, "name": "Sync", "environment": "DEVELOPMENT" });
    change(
        &app,
        &root,
        "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { userErrors { message } } }",
        input,
    )
    .await?;
    Ok((app, root, dev))
}

async fn role_changes_reach_the_other_server(backend: Backend) -> anyhow::Result<()> {
    let (app, root, dev) = arrange(backend).await?;
    let second = app.spawn_second().await?;
    let on_b = |token: String| {
        let second = &second;
        async move {
            second
                .graphql(Some(&token), STANDING, json!({ "ws": WS }))
                .await
        }
    };
    // Not a member yet: B answers as for a missing workspace.
    let body = on_b(dev.clone()).await?;
    assert_eq!(tests::error_code(&body), Some("NOT_FOUND"), "{body}");

    // A custom role, assigned through A, is what B decides with.
    let helper = json!({ "workspace": WS, "name": "helper", "permissions": ["RECIPE_READ"] });
    change(&app, &root, SET_ROLE, helper).await?;
    let member = json!({ "workspace": WS, "handle": "dev", "role": "helper" });
    change(&app, &root, SET_MEMBER, member).await?;
    let body = on_b(dev.clone()).await?;
    assert_eq!(
        body["data"]["workspace"],
        json!({ "role": "helper", "permissions": ["RECIPE_READ"] }),
        "{body}"
    );

    // The role's permissions change through A: B's next request holds them.
    let wider =
        json!({ "workspace": WS, "name": "helper", "permissions": ["RECIPE_READ", "RECIPE_RUN"] });
    change(&app, &root, SET_ROLE, wider).await?;
    let body = on_b(dev.clone()).await?;
    assert_eq!(
        body["data"]["workspace"]["permissions"],
        json!(["RECIPE_READ", "RECIPE_RUN"]),
        "{body}"
    );

    // A policy line written by hand in SQL (no server involved) holds too.
    let (ws_id, dev_id) = ids(&app, "dev").await?;
    app.conn()?
        .execute_unprepared(&format!(
            "UPDATE casbin_rule SET v1 = 'role:admin' WHERE ptype = 'g' AND v0 = 'user:{dev_id}' \
             AND v2 = 'ws:{ws_id}'"
        ))
        .await?;
    let body = on_b(dev.clone()).await?;
    assert_eq!(body["data"]["workspace"]["role"], "admin", "{body}");
    assert_eq!(
        body["data"]["workspace"]["permissions"]
            .as_array()
            .map(Vec::len),
        Some(Permission::ALL.len()),
        "{body}"
    );

    // Removed through A: B answers NOT_FOUND on the next request.
    let remove = json!({ "workspace": WS, "handle": "dev" });
    change(&app, &root, REMOVE_MEMBER, remove).await?;
    let body = on_b(dev).await?;
    assert_eq!(tests::error_code(&body), Some("NOT_FOUND"), "{body}");
    app.stop().await
}
tests::on_both_backends!(
    a_role_change_holds_on_every_server_next_request,
    super::role_changes_reach_the_other_server
);

/// A writer flips a role between two sets of permissions while readers decide: every decision
/// sees one set or the other, never a mixture (a reload swaps a workspace's policy whole).
async fn decisions_never_see_half_a_reload(backend: Backend) -> anyhow::Result<()> {
    let (app, root, _) = arrange(backend).await?;
    let member = json!({ "workspace": WS, "handle": "dev", "role": "developer" });
    change(&app, &root, SET_MEMBER, member).await?;
    let (ws_id, dev_id) = ids(&app, "dev").await?;
    let db = app.conn()?.clone();
    let authorizer = std::sync::Arc::new(Authorizer::new().await?);
    let narrow: BTreeSet<Permission> = [Permission::RecipeRead].into();
    let wide: BTreeSet<Permission> = Permission::ALL.into_iter().collect();

    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (authorizer, db) = (authorizer.clone(), db.clone());
            let (narrow, wide) = (narrow.clone(), wide.clone());
            tokio::spawn(async move {
                let mut seen = BTreeSet::new();
                for _ in 0..200 {
                    let standing = authorizer
                        .standing(&db, dev_id, ws_id)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("dev is a member throughout"))?;
                    let developer: BTreeSet<Permission> = api::authz::BuiltinRole::Developer
                        .permissions()
                        .into_iter()
                        .collect();
                    anyhow::ensure!(
                        [&narrow, &wide, &developer].contains(&&standing.permissions),
                        "a mixture: {:?}",
                        standing.permissions
                    );
                    seen.insert(standing.permissions.len());
                }
                anyhow::Ok(seen)
            })
        })
        .collect();
    for i in 0..40 {
        let permissions = if i % 2 == 0 { &narrow } else { &wide };
        let txn = api::db::begin_write(&db).await?;
        policy::set_role_permissions(&txn, ws_id, "developer", permissions).await?;
        txn.commit().await?;
    }
    let mut seen = BTreeSet::new();
    for reader in readers {
        seen.extend(reader.await??);
    }
    // The last write left the wide set: the next decision holds it.
    let last = authorizer
        .standing(&db, dev_id, ws_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("dev is a member"))?;
    assert_eq!(last.permissions, wide);
    assert!(!seen.is_empty());
    app.stop().await
}
tests::on_both_backends!(
    a_decision_never_sees_half_a_reload,
    super::decisions_never_see_half_a_reload
);
