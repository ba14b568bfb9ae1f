//! A workspace and its members, and installing a listing into it: who may, what the copy starts
//! as, and which version is installed (the newest stable one not yanked, unless one is named).

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use super::story::{Step, Story, source_100};
use super::{
    COPY, DEVELOPER_PERMISSIONS, INSTALL, INSTALL_COPY, LISTING_METRICS, create_listing,
    create_workspace, publish,
};
use crate::fixtures::{YANK_VERSION, connector_source, payload, sha256_hex};

/// The ids of a workspace's copies.
const COPIES: &str = "query($ws: String!) { workspace(slug: $ws) { connectors { id } } }";

async fn the_creator_of_a_workspace_is_its_admin_with_every_permission(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Listed).await?;
    let ws = story.take(Step::WorkspaceCreated).await?;
    let mut all_permissions = DEVELOPER_PERMISSIONS.to_vec();
    all_permissions.extend([
        "WORKSPACE_MANAGE_MEMBERS",
        "WORKSPACE_MANAGE_ROLES",
        "AUDIT_READ",
    ]);
    assert_eq!(
        ws,
        json!({ "slug": "ops", "name": "Workspace ops", "environment": "DEVELOPMENT",
                "role": "admin", "permissions": all_permissions })
    );
    story.end().await
}
tests::on_both_backends!(
    the_creator_of_a_workspace_is_its_admin_with_every_permission,
    super::the_creator_of_a_workspace_is_its_admin_with_every_permission
);

async fn a_member_sees_the_workspace_among_theirs_with_role_and_permissions(
    backend: Backend,
) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::MembersAdded).await?;
    assert_eq!(
        story.my_workspaces().await?,
        json!([{ "role": "developer", "permissions": DEVELOPER_PERMISSIONS,
                 "workspace": { "slug": "ops", "environment": "DEVELOPMENT", "role": "developer" } }])
    );
    story.end().await
}
tests::on_both_backends!(
    a_member_sees_the_workspace_among_theirs_with_role_and_permissions,
    super::a_member_sees_the_workspace_among_theirs_with_role_and_permissions
);

async fn an_analyst_may_not_install_and_nothing_is_created(backend: Backend) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::MembersAdded).await?;
    let denied = story.analyst_tries_to_install().await?;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"), "{denied}");
    assert_eq!(denied["data"], Value::Null, "{denied}");
    let none = story
        .app
        .data(Some(&story.dev), COPIES, json!({ "ws": "ops" }))
        .await?;
    assert_eq!(none["workspace"]["connectors"], json!([]));
    story.end().await
}
tests::on_both_backends!(
    an_analyst_may_not_install_and_nothing_is_created,
    super::an_analyst_may_not_install_and_nothing_is_created
);

async fn an_install_is_version_1_of_the_listing_and_releases_nothing(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::MembersAdded).await?;
    let copy = story.take(Step::Installed).await?;
    let (id, source_100) = (story.id.clone(), source_100());
    assert_eq!(
        copy,
        json!({
            "id": id, "name": "Weather", "latestNumber": 1, "releasedNumber": null,
            "parentVersion": { "version": "1.0.0" },
            "latest": { "number": 1, "sha256": sha256_hex(&source_100), "origin": "INSTALLED",
                        "source": source_100, "baseVersion": { "version": "1.0.0" },
                        "author": { "handle": "dev" } },
            "released": null,
        })
    );
    story.end().await
}
tests::on_both_backends!(
    an_install_is_version_1_of_the_listing_and_releases_nothing,
    super::an_install_is_version_1_of_the_listing_and_releases_nothing
);

// ---- Which version is installed: the listing `tides` has 1.0.0, 1.1.0, 1.2.0 (yanked) and
// 1.3.0-beta.1; an admin has the workspaces `first` and `second`. ----

/// A tides source with `n` actions, so that each version is told apart.
fn tides_source(n: usize) -> String {
    let actions: Vec<(String, String)> = (0..n)
        .map(|i| (format!("action_{i}"), format!("Action {i}")))
        .collect();
    let refs: Vec<(&str, &str)> = actions
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    connector_source("Tides", &refs)
}

/// The server, the admin's token, and tides' four versions (1.2.0 yanked) by its author.
async fn arrange_tides(backend: Backend) -> anyhow::Result<(TestApp, String)> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    create_listing(&app, &author, "tides", "Tides", &tides_source(1)).await?;
    for (version, actions) in [("1.1.0", 2), ("1.2.0", 3)] {
        let input = json!({ "slug": "tides", "version": version, "source": tides_source(actions) });
        publish(&app, &author, input).await?;
    }
    let body = app
        .graphql(
            Some(&author),
            YANK_VERSION,
            json!({ "input": { "slug": "tides", "version": "1.2.0" } }),
        )
        .await?;
    assert_eq!(payload(&body, "yankVersion")?["userErrors"], json!([]));
    let input = json!({ "slug": "tides", "version": "1.3.0-beta.1", "source": tides_source(4) });
    publish(&app, &author, input).await?;
    create_workspace(&app, &admin, "first").await?;
    create_workspace(&app, &admin, "second").await?;
    Ok((app, admin))
}

/// `installConnector` of tides into `first` as the admin, naming no version, with the copy
/// selected by `Copy`; answers the payload.
async fn install_tides_by_default(app: &TestApp, admin: &str) -> anyhow::Result<Value> {
    let body = app
        .graphql(
            Some(admin),
            &format!("{INSTALL_COPY}{COPY}"),
            json!({ "input": { "workspace": "first", "connector": "tides" } }),
        )
        .await?;
    Ok(payload(&body, "installConnector")?.clone())
}

/// `installConnector` of tides as the admin, selecting what `INSTALL` selects; answers the
/// payload.
async fn try_install_tides(
    app: &TestApp,
    admin: &str,
    workspace: &str,
    version: Value,
) -> anyhow::Result<Value> {
    let body = app
        .graphql(
            Some(admin),
            INSTALL,
            json!({ "input": { "workspace": workspace, "connector": "tides", "version": version } }),
        )
        .await?;
    Ok(payload(&body, "installConnector")?.clone())
}

/// The answer to installing tides where it is installed.
fn already_installed() -> Value {
    json!({
        "workspaceConnector": null, "changed": false,
        "userErrors": [{
            "field": ["input", "connector"],
            "message": "tides is already installed in this workspace; update it instead",
            "code": "CONFLICT", "line": null, "column": null,
        }],
    })
}

/// The answer to installing tides 1.2.0.
fn yanked() -> Value {
    json!({
        "workspaceConnector": null, "changed": false,
        "userErrors": [{
            "field": ["input", "version"],
            "message": "version 1.2.0 of tides is yanked and cannot be newly installed",
            "code": "BAD_USER_INPUT", "line": null, "column": null,
        }],
    })
}

/// Installing tides into `first` again, by default and naming 1.0.0, is a conflict both times.
async fn assert_installing_again_conflicts(app: &TestApp, admin: &str) -> anyhow::Result<()> {
    for version in [Value::Null, json!("1.0.0")] {
        let again = try_install_tides(app, admin, "first", version).await?;
        assert_eq!(again, already_installed());
    }
    Ok(())
}

async fn by_default_the_newest_stable_version_not_yanked_is_installed(
    backend: Backend,
) -> anyhow::Result<()> {
    let (app, admin) = arrange_tides(backend).await?;
    let p = install_tides_by_default(&app, &admin).await?;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let copy = &p["workspaceConnector"];
    assert_eq!(copy["parentVersion"]["version"], "1.1.0");
    assert_eq!(copy["latest"]["source"], tides_source(2).as_str());
    assert_eq!(
        copy["latest"]["sha256"],
        sha256_hex(&tides_source(2)).as_str()
    );
    assert_eq!(copy["latest"]["origin"], "INSTALLED");
    assert_eq!(copy["releasedNumber"], Value::Null);
    app.stop().await
}
tests::on_both_backends!(
    by_default_the_newest_stable_version_not_yanked_is_installed,
    super::by_default_the_newest_stable_version_not_yanked_is_installed
);

async fn installing_what_is_installed_is_a_conflict_whatever_the_version(
    backend: Backend,
) -> anyhow::Result<()> {
    let (app, admin) = arrange_tides(backend).await?;
    let p = install_tides_by_default(&app, &admin).await?;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_installing_again_conflicts(&app, &admin).await?;
    app.stop().await
}
tests::on_both_backends!(
    installing_what_is_installed_is_a_conflict_whatever_the_version,
    super::installing_what_is_installed_is_a_conflict_whatever_the_version
);

async fn a_yanked_version_cannot_be_newly_installed(backend: Backend) -> anyhow::Result<()> {
    let (app, admin) = arrange_tides(backend).await?;
    let p = try_install_tides(&app, &admin, "second", json!("1.2.0")).await?;
    assert_eq!(p, yanked());
    let none = app
        .data(Some(&admin), COPIES, json!({ "ws": "second" }))
        .await?;
    assert_eq!(none["workspace"]["connectors"], json!([]));
    app.stop().await
}
tests::on_both_backends!(
    a_yanked_version_cannot_be_newly_installed,
    super::a_yanked_version_cannot_be_newly_installed
);

async fn a_pre_release_is_installed_when_named(backend: Backend) -> anyhow::Result<()> {
    let (app, admin) = arrange_tides(backend).await?;
    let p = try_install_tides(&app, &admin, "second", json!("1.3.0-beta.1")).await?;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(
        p["workspaceConnector"]["parentVersion"]["version"],
        "1.3.0-beta.1"
    );
    app.stop().await
}
tests::on_both_backends!(
    a_pre_release_is_installed_when_named,
    super::a_pre_release_is_installed_when_named
);

async fn only_installs_that_happen_are_counted(backend: Backend) -> anyhow::Result<()> {
    let (app, admin) = arrange_tides(backend).await?;
    let first = install_tides_by_default(&app, &admin).await?;
    assert_eq!(first["userErrors"], json!([]), "{first}");
    assert_installing_again_conflicts(&app, &admin).await?;
    assert_eq!(
        try_install_tides(&app, &admin, "second", json!("1.2.0")).await?,
        yanked()
    );
    let beta = try_install_tides(&app, &admin, "second", json!("1.3.0-beta.1")).await?;
    assert_eq!(beta["userErrors"], json!([]), "{beta}");
    let metrics = app
        .data(None, LISTING_METRICS, json!({ "slug": "tides" }))
        .await?;
    assert_eq!(
        metrics["connector"]["metrics"],
        json!({ "totalInstalls": 2, "activeInstalls": 2 })
    );
    app.stop().await
}
tests::on_both_backends!(
    only_installs_that_happen_are_counted,
    super::only_installs_that_happen_are_counted
);
