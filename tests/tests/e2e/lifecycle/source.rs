//! Who may read a copy's source: a closed-source listing installs, but its copy's source is
//! hidden from the workspace's developers (and so cannot be edited) while the listing's owner
//! can read it; and `ConnectorVersion.source(workspace:)` answers a developer of that workspace,
//! is FORBIDDEN to an analyst there (which the audit log records) and NOT_FOUND to a non-member.

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use super::{AUDIT, COPY, EDIT, INSTALL, create_listing, create_workspace, set_member};
use crate::fixtures::{CREATE_CONNECTOR, connector_source, create_input, payload, sha256_hex};

const COPY_SOURCE: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) { connectors { id latestNumber latest { number sha256 source } } }
}"#;

const VERSION_SOURCE: &str = r#"
query($slug: String!, $ws: String) {
  connector(slug: $slug) { version(version: "1.0.0") { source(workspace: $ws) } }
}"#;

// ---- A closed-source listing, `vault`, installed into `ops` by its developer. ----

struct Vault {
    app: TestApp,
    author: String,
    admin: String,
    dev: String,
    source: String,
    /// The payload of the developer's install.
    installed: Value,
    /// The copy's id.
    id: Value,
}

/// The author lists vault with its source hidden; an admin makes `ops` with a developer, who
/// installs vault.
async fn arrange_vault(backend: Backend) -> anyhow::Result<Vault> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let dev = app.user_with_token("dev").await?;
    let source = connector_source("Vault", &[("read_secret", "Read secret")]);
    let mut input = create_input("vault", "Vault", "security", &source);
    input["sourceHidden"] = json!(true);
    let body = app
        .graphql(Some(&author), CREATE_CONNECTOR, json!({ "input": input }))
        .await?;
    assert_eq!(payload(&body, "createConnector")?["userErrors"], json!([]));
    create_workspace(&app, &admin, "ops").await?;
    set_member(&app, &admin, "ops", "dev", "developer").await?;
    let body = app
        .graphql(
            Some(&dev),
            INSTALL,
            json!({ "input": { "workspace": "ops", "connector": "vault" } }),
        )
        .await?;
    let installed = payload(&body, "installConnector")?.clone();
    Ok(Vault {
        id: installed["workspaceConnector"]["id"].clone(),
        app,
        author,
        admin,
        dev,
        source,
        installed,
    })
}

async fn a_closed_source_listing_installs(backend: Backend) -> anyhow::Result<()> {
    let vault = arrange_vault(backend).await?;
    let p = &vault.installed;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(p["workspaceConnector"]["latestNumber"], 1);
    vault.app.stop().await
}
tests::on_both_backends!(
    a_closed_source_listing_installs,
    super::a_closed_source_listing_installs
);

async fn a_closed_source_copys_source_is_forbidden_but_its_checksum_is_not(
    backend: Backend,
) -> anyhow::Result<()> {
    let Vault {
        app, dev, source, ..
    } = arrange_vault(backend).await?;
    let body = app
        .graphql(Some(&dev), COPY_SOURCE, json!({ "ws": "ops" }))
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(
        body["errors"][0]["path"],
        json!(["workspace", "connectors", 0, "latest", "source"])
    );
    let sha = app
        .data(
            Some(&dev),
            "{ workspace(slug: \"ops\") { connectors { latest { sha256 } } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        sha["workspace"]["connectors"],
        json!([{ "latest": { "sha256": sha256_hex(&source) } }])
    );
    app.stop().await
}
tests::on_both_backends!(
    a_closed_source_copys_source_is_forbidden_but_its_checksum_is_not,
    super::a_closed_source_copys_source_is_forbidden_but_its_checksum_is_not
);

async fn a_closed_source_versions_source_is_forbidden_even_naming_the_workspace(
    backend: Backend,
) -> anyhow::Result<()> {
    let vault = arrange_vault(backend).await?;
    let body = ask_version_source(&vault.app, &vault.dev, "vault", Some("ops")).await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    vault.app.stop().await
}
tests::on_both_backends!(
    a_closed_source_versions_source_is_forbidden_even_naming_the_workspace,
    super::a_closed_source_versions_source_is_forbidden_even_naming_the_workspace
);

async fn a_closed_source_copy_cannot_be_edited_and_nothing_is_written(
    backend: Backend,
) -> anyhow::Result<()> {
    let Vault {
        app,
        dev,
        source,
        id,
        ..
    } = arrange_vault(backend).await?;
    let edited = source.replace("Read secret", "Read a secret");
    let body = app
        .graphql(
            Some(&dev),
            &format!("{EDIT}{COPY}"),
            json!({ "input": { "workspaceConnectorId": id, "source": edited } }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    let still = app
        .data(
            Some(&dev),
            "{ workspace(slug: \"ops\") { connectors { latestNumber } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        still["workspace"]["connectors"],
        json!([{ "latestNumber": 1 }])
    );
    app.stop().await
}
tests::on_both_backends!(
    a_closed_source_copy_cannot_be_edited_and_nothing_is_written,
    super::a_closed_source_copy_cannot_be_edited_and_nothing_is_written
);

async fn the_owner_reads_a_closed_source_and_as_a_member_the_copys(
    backend: Backend,
) -> anyhow::Result<()> {
    let Vault {
        app,
        author,
        admin,
        source,
        id,
        ..
    } = arrange_vault(backend).await?;
    let owned = app
        .data(Some(&author), VERSION_SOURCE, json!({ "slug": "vault" }))
        .await?;
    assert_eq!(owned["connector"]["version"]["source"], source.as_str());
    set_member(&app, &admin, "ops", "author", "developer").await?;
    let copy = app
        .data(Some(&author), COPY_SOURCE, json!({ "ws": "ops" }))
        .await?;
    assert_eq!(
        copy["workspace"]["connectors"],
        json!([{ "id": id, "latestNumber": 1,
                 "latest": { "number": 1, "sha256": sha256_hex(&source), "source": source } }])
    );
    app.stop().await
}
tests::on_both_backends!(
    the_owner_reads_a_closed_source_and_as_a_member_the_copys,
    super::the_owner_reads_a_closed_source_and_as_a_member_the_copys
);

// ---- An open listing, `maps`, and a workspace `ops` with a developer and an analyst. ----

struct Maps {
    app: TestApp,
    admin: String,
    dev: String,
    analyst: String,
    outsider: String,
    source: String,
}

async fn arrange_maps(backend: Backend) -> anyhow::Result<Maps> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("author").await?;
    let admin = app.user_with_token("admin").await?;
    let dev = app.user_with_token("dev").await?;
    let analyst = app.user_with_token("analyst").await?;
    let outsider = app.user_with_token("outsider").await?;
    let source = connector_source("Maps", &[("geocode", "Geocode")]);
    create_listing(&app, &author, "maps", "Maps", &source).await?;
    create_workspace(&app, &admin, "ops").await?;
    set_member(&app, &admin, "ops", "dev", "developer").await?;
    set_member(&app, &admin, "ops", "analyst", "analyst").await?;
    Ok(Maps {
        app,
        admin,
        dev,
        analyst,
        outsider,
        source,
    })
}

/// 1.0.0's `source(workspace: ws)` of the listing `slug` (naming no workspace if `ws` is `None`),
/// as the holder of `token` asks for it; answers the whole body.
async fn ask_version_source(
    app: &TestApp,
    token: &str,
    slug: &str,
    ws: Option<&str>,
) -> anyhow::Result<Value> {
    let mut variables = json!({ "slug": slug });
    if let Some(ws) = ws {
        variables["ws"] = json!(ws);
    }
    app.graphql(Some(token), VERSION_SOURCE, variables).await
}

/// A developer reads maps' source in `ops`; answers the whole body.
async fn developer_reads(maps: &Maps) -> anyhow::Result<Value> {
    ask_version_source(&maps.app, &maps.dev, "maps", Some("ops")).await
}

/// The analyst asks for maps' source in `ops`; answers the whole body.
async fn analyst_asks(maps: &Maps) -> anyhow::Result<Value> {
    ask_version_source(&maps.app, &maps.analyst, "maps", Some("ops")).await
}

/// Someone outside `ops` asks for maps' source there; answers the whole body.
async fn outsider_asks(maps: &Maps) -> anyhow::Result<Value> {
    ask_version_source(&maps.app, &maps.outsider, "maps", Some("ops")).await
}

/// The developer asks for maps' source naming no workspace; answers the whole body.
async fn developer_asks_unnamed(maps: &Maps) -> anyhow::Result<Value> {
    ask_version_source(&maps.app, &maps.dev, "maps", None).await
}

async fn a_developer_reads_a_versions_source_in_their_workspace(
    backend: Backend,
) -> anyhow::Result<()> {
    let maps = arrange_maps(backend).await?;
    let read = developer_reads(&maps).await?;
    assert_eq!(read.get("errors"), None, "{read}");
    assert_eq!(
        read["data"]["connector"]["version"]["source"],
        maps.source.as_str()
    );
    maps.app.stop().await
}
tests::on_both_backends!(
    a_developer_reads_a_versions_source_in_their_workspace,
    super::a_developer_reads_a_versions_source_in_their_workspace
);

async fn an_analyst_may_not_read_a_versions_source_in_their_workspace(
    backend: Backend,
) -> anyhow::Result<()> {
    let maps = arrange_maps(backend).await?;
    let denied = analyst_asks(&maps).await?;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"), "{denied}");
    assert_eq!(
        denied["errors"][0]["path"],
        json!(["connector", "version", "source"])
    );
    maps.app.stop().await
}
tests::on_both_backends!(
    an_analyst_may_not_read_a_versions_source_in_their_workspace,
    super::an_analyst_may_not_read_a_versions_source_in_their_workspace
);

async fn to_a_non_member_the_workspace_is_not_found(backend: Backend) -> anyhow::Result<()> {
    let maps = arrange_maps(backend).await?;
    let unknown = outsider_asks(&maps).await?;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"), "{unknown}");
    maps.app.stop().await
}
tests::on_both_backends!(
    to_a_non_member_the_workspace_is_not_found,
    super::to_a_non_member_the_workspace_is_not_found
);

async fn naming_no_workspace_no_permission_applies(backend: Backend) -> anyhow::Result<()> {
    let maps = arrange_maps(backend).await?;
    let unnamed = developer_asks_unnamed(&maps).await?;
    assert_eq!(error_code(&unnamed), Some("FORBIDDEN"), "{unnamed}");
    maps.app.stop().await
}
tests::on_both_backends!(
    naming_no_workspace_no_permission_applies,
    super::naming_no_workspace_no_permission_applies
);

async fn of_the_four_asks_only_the_analysts_denial_is_audited(
    backend: Backend,
) -> anyhow::Result<()> {
    let maps = arrange_maps(backend).await?;
    developer_reads(&maps).await?;
    analyst_asks(&maps).await?;
    outsider_asks(&maps).await?;
    developer_asks_unnamed(&maps).await?;
    let audit = maps
        .app
        .data(Some(&maps.admin), AUDIT, json!({ "ws": "ops" }))
        .await?;
    let denied_events: Vec<&Value> = audit["workspace"]["auditEvents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["outcome"] == "denied")
        .collect();
    assert_eq!(
        denied_events,
        vec![
            &json!({ "action": "connector.view_source", "objectType": "workspace",
                      "objectId": "ops", "outcome": "denied", "actor": { "handle": "analyst" },
                      "detail": "{\"role\":\"analyst\"}" })
        ]
    );
    maps.app.stop().await
}
tests::on_both_backends!(
    of_the_four_asks_only_the_analysts_denial_is_audited,
    super::of_the_four_asks_only_the_analysts_denial_is_audited
);
