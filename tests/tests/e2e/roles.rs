//! Handing out roles: nobody grants more than they hold, only an admin makes or unmakes an admin,
//! the last admin stays, and every refusal is on the audit record with nothing else changed.

use serde_json::{Value, json};
use tests::{Backend, TestApp};

const WS: &str = "gov";

const SET_MEMBER: &str = "mutation($input: SetWorkspaceMemberInput!) { setWorkspaceMember(input: $input) { member { role } userErrors { field message code } } }";
const REMOVE_MEMBER: &str = "mutation($input: RemoveWorkspaceMemberInput!) { removeWorkspaceMember(input: $input) { user { handle } userErrors { field message code } } }";
const SET_ROLE: &str = "mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { role { name permissions } userErrors { field message code } } }";
const STATE: &str = "query($ws: String!) { workspace(slug: $ws) { members { user { handle } role } roles { name permissions } } }";
const AUDIT: &str = "query($ws: String!) { workspace(slug: $ws) { auditEvents(first: 100) { action objectId outcome actor { handle } detail } } }";

/// The workspace `gov` of `root` (admin) with `mm` (only WORKSPACE_MANAGE_MEMBERS), `rm`
/// (WORKSPACE_MANAGE_ROLES and RECIPE_READ), `lead` (the developer's permissions plus
/// WORKSPACE_MANAGE_MEMBERS), `dev` (developer) and `bystander` (analyst).
struct Gov {
    app: TestApp,
    root: String,
    mm: String,
    rm: String,
    lead: String,
}

async fn must(app: &TestApp, token: &str, query: &str, input: Value) -> anyhow::Result<Value> {
    let data = app
        .data(Some(token), query, json!({ "input": input }))
        .await?;
    let payload = data.as_object().and_then(|o| o.values().next()).cloned();
    let payload = payload.unwrap_or_default();
    anyhow::ensure!(
        payload["userErrors"] == json!([]),
        "unexpected user errors: {payload}"
    );
    Ok(payload)
}

async fn arrange(backend: Backend) -> anyhow::Result<Gov> {
    let app = TestApp::spawn(backend).await?;
    let root = app.user_with_token("root").await?;
    let input = json!({ "slug": WS, "name": "Governance", "environment": "DEVELOPMENT" });
    must(
        &app,
        &root,
        "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { userErrors { field message code } } }",
        input,
    )
    .await?;
    let state = app.data(Some(&root), STATE, json!({ "ws": WS })).await?;
    let mut developer: Vec<Value> = state["workspace"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "developer")
        .and_then(|r| r["permissions"].as_array().cloned())
        .unwrap_or_default();
    anyhow::ensure!(!developer.is_empty(), "no developer role in {state}");
    developer.push(json!("WORKSPACE_MANAGE_MEMBERS"));
    for (name, permissions) in [
        ("members-only", json!(["WORKSPACE_MANAGE_MEMBERS"])),
        (
            "roles-only",
            json!(["WORKSPACE_MANAGE_ROLES", "RECIPE_READ"]),
        ),
        ("lead", json!(developer)),
    ] {
        let input = json!({ "workspace": WS, "name": name, "permissions": permissions });
        must(&app, &root, SET_ROLE, input).await?;
    }
    let mut tokens = Vec::new();
    for (handle, role) in [
        ("mm", "members-only"),
        ("rm", "roles-only"),
        ("lead", "lead"),
        ("dev", "developer"),
        ("bystander", "analyst"),
    ] {
        tokens.push(app.user_with_token(handle).await?);
        let input = json!({ "workspace": WS, "handle": handle, "role": role });
        must(&app, &root, SET_MEMBER, input).await?;
    }
    let [mm, rm, lead, ..] =
        <[String; 5]>::try_from(tokens).map_err(|_| anyhow::anyhow!("five tokens"))?;
    Ok(Gov {
        app,
        root,
        mm,
        rm,
        lead,
    })
}

impl Gov {
    async fn state(&self) -> anyhow::Result<Value> {
        self.app
            .data(Some(&self.root), STATE, json!({ "ws": WS }))
            .await
    }

    /// Run `query` as `token`; it must be refused with FORBIDDEN, audited as denied, and change
    /// nothing else.
    async fn refused(&self, token: &str, query: &str, input: Value) -> anyhow::Result<()> {
        let before = self.state().await?;
        let audit_before = self.denials().await?;
        let body = self
            .app
            .graphql(Some(token), query, json!({ "input": input.clone() }))
            .await?;
        anyhow::ensure!(
            tests::error_code(&body) == Some("FORBIDDEN"),
            "{input}: expected FORBIDDEN, got {body}"
        );
        anyhow::ensure!(
            self.state().await? == before,
            "{input}: a refused change wrote"
        );
        anyhow::ensure!(
            self.denials().await? == audit_before + 1,
            "{input}: the refusal is not on the audit record"
        );
        Ok(())
    }

    async fn denials(&self) -> anyhow::Result<usize> {
        let data = self
            .app
            .data(Some(&self.root), AUDIT, json!({ "ws": WS }))
            .await?;
        Ok(data["workspace"]["auditEvents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["outcome"] == "denied")
            .count())
    }
}

fn member(handle: &str, role: &str) -> Value {
    json!({ "workspace": WS, "handle": handle, "role": role })
}

/// The attack that was found: a role holding only WORKSPACE_MANAGE_MEMBERS made its holder
/// admin, then demoted the real admin.
async fn members_only_cannot_escalate(backend: Backend) -> anyhow::Result<()> {
    let gov = arrange(backend).await?;
    gov.refused(&gov.mm, SET_MEMBER, member("mm", "admin"))
        .await?;
    gov.refused(&gov.mm, SET_MEMBER, member("bystander", "admin"))
        .await?;
    gov.refused(&gov.mm, SET_MEMBER, member("root", "analyst"))
        .await?;
    gov.refused(
        &gov.mm,
        REMOVE_MEMBER,
        json!({ "workspace": WS, "handle": "root" }),
    )
    .await?;
    // Roles holding anything the caller lacks: developer, analyst (RECIPE_READ).
    gov.refused(&gov.mm, SET_MEMBER, member("bystander", "developer"))
        .await?;
    gov.refused(&gov.mm, SET_MEMBER, member("bystander", "analyst"))
        .await?;
    // Nor may they change or remove someone whose role holds more than theirs.
    gov.refused(&gov.mm, SET_MEMBER, member("dev", "members-only"))
        .await?;
    gov.refused(
        &gov.mm,
        REMOVE_MEMBER,
        json!({ "workspace": WS, "handle": "dev" }),
    )
    .await?;
    // What they hold, they may hand out, to someone who holds nothing more.
    gov.app.user_with_token("newcomer").await?;
    let input = member("newcomer", "members-only");
    let payload = must(&gov.app, &gov.mm, SET_MEMBER, input).await?;
    assert_eq!(payload["member"]["role"], "members-only");
    gov.app.stop().await
}
tests::on_both_backends!(
    a_member_manager_cannot_grant_more_than_they_hold,
    super::members_only_cannot_escalate
);

async fn only_admins_make_admins(backend: Backend) -> anyhow::Result<()> {
    let gov = arrange(backend).await?;
    // `lead` holds every permission a developer has and may manage members, but is no admin.
    let payload = must(
        &gov.app,
        &gov.lead,
        SET_MEMBER,
        member("bystander", "developer"),
    )
    .await?;
    assert_eq!(payload["member"]["role"], "developer");
    gov.refused(&gov.lead, SET_MEMBER, member("bystander", "admin"))
        .await?;
    gov.refused(&gov.lead, SET_MEMBER, member("lead", "admin"))
        .await?;
    gov.refused(&gov.lead, SET_MEMBER, member("root", "developer"))
        .await?;
    gov.refused(
        &gov.lead,
        REMOVE_MEMBER,
        json!({ "workspace": WS, "handle": "root" }),
    )
    .await?;
    // An admin makes and unmakes admins; the last one stays.
    must(&gov.app, &gov.root, SET_MEMBER, member("lead", "admin")).await?;
    must(&gov.app, &gov.root, SET_MEMBER, member("lead", "analyst")).await?;
    let body = gov
        .app
        .graphql(
            Some(&gov.root),
            SET_MEMBER,
            json!({ "input": member("root", "developer") }),
        )
        .await?;
    let errors = &body["data"]["setWorkspaceMember"]["userErrors"];
    assert_eq!(errors[0]["code"], "BAD_USER_INPUT", "{body}");
    let state = gov.state().await?;
    let root_role = state["workspace"]["members"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["user"]["handle"] == "root")
        .map(|m| m["role"].clone());
    assert_eq!(root_role, Some(json!("admin")));
    gov.app.stop().await
}
tests::on_both_backends!(
    only_an_admin_makes_or_unmakes_an_admin,
    super::only_admins_make_admins
);

async fn roles_hold_no_more_than_their_maker(backend: Backend) -> anyhow::Result<()> {
    let gov = arrange(backend).await?;
    let role = |name: &str, permissions: Value| json!({ "workspace": WS, "name": name, "permissions": permissions });
    gov.refused(
        &gov.rm,
        SET_ROLE,
        role("everything", json!(["RECIPE_READ", "CONNECTOR_INSTALL"])),
    )
    .await?;
    // Their own role, widened.
    gov.refused(
        &gov.rm,
        SET_ROLE,
        role(
            "roles-only",
            json!([
                "WORKSPACE_MANAGE_ROLES",
                "RECIPE_READ",
                "WORKSPACE_MANAGE_MEMBERS"
            ]),
        ),
    )
    .await?;
    // A role that holds more than they do, even when narrowed.
    gov.refused(&gov.rm, SET_ROLE, role("lead", json!(["RECIPE_READ"])))
        .await?;
    let payload = must(
        &gov.app,
        &gov.rm,
        SET_ROLE,
        role("readers", json!(["RECIPE_READ"])),
    )
    .await?;
    assert_eq!(payload["role"]["permissions"], json!(["RECIPE_READ"]));
    gov.app.stop().await
}
tests::on_both_backends!(
    a_role_manager_cannot_make_roles_beyond_their_own,
    super::roles_hold_no_more_than_their_maker
);

/// Two admins demoting each other at the same moment: one of them stays admin, every time.
async fn last_admin_under_races(backend: Backend) -> anyhow::Result<()> {
    let gov = arrange(backend).await?;
    let second = gov.app.user_with_token("second").await?;
    for round in 0..30 {
        // Both admins again, whoever won the last round (as the platform operator).
        for handle in ["second", "root"] {
            api::workspaces::operator_set_member(gov.app.conn()?, WS, handle, "admin")
                .await
                .map_err(|e| e.into_anyhow())?;
        }
        let (a, b) = tokio::join!(
            gov.app.graphql(
                Some(&gov.root),
                SET_MEMBER,
                json!({ "input": member("second", "analyst") })
            ),
            gov.app.graphql(
                Some(&second),
                SET_MEMBER,
                json!({ "input": member("root", "analyst") })
            ),
        );
        let (a, b) = (a?, b?);
        let state = gov.state().await?;
        let admins = state["workspace"]["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["role"] == "admin")
            .count();
        assert_eq!(admins, 1, "round {round}: {a} / {b} left {state}");
    }
    gov.app.stop().await
}
tests::on_both_backends!(
    the_last_admin_stays_when_admins_race,
    super::last_admin_under_races
);
