//! The data the browser sees: eleven listings (one page of ten and one more), the first with two
//! versions and a hostile description, and two workspaces the developer belongs to.

use serde_json::{Value, json};
use tests::TestApp;

fn source(title: &str, actions: &[(&str, &str)]) -> String {
    let actions: String = actions
        .iter()
        .map(|(name, action_title)| {
            format!(
                "    {name}: {{\n      title: \"{action_title}\",\n      input_fields: [ {{ name: \"id\" }} ],\n      output_fields: [ {{ name: \"ok\", type: \"boolean\" }} ],\n      execute: (connection, input) => get(`/items/${{input.id}}`),\n    }},\n"
            )
        })
        .collect();
    format!(
        "// {title}: a connector for the browser tests\nexport default {{\n  title: \"{title}\",\n  description: \"Test connector\",\n  allowed_hosts: [\"api.example.com\"],\n  connection: {{\n    fields: [ {{ name: \"api_key\", control_type: \"password\" }} ],\n    authorization: {{ type: \"api_key\", header: \"X-Api-Key\", value: (c) => c.api_key }},\n    base_uri: (c) => \"https://api.example.com\",\n  }},\n  test: (connection) => get(\"/me\"),\n  actions: {{\n{actions}  }},\n}};\n"
    )
}

/// Markdown an attacker might write into a listing.
const HOSTILE_DESCRIPTION: &str = "# Acme Issues\n\nTrack **issues** and _bugs_ from `Acme`.\n\n\
<img src=x onerror=\"window.pwned=1\">\n\n<script>window.pwned=2</script>\n\n\
- [click me](javascript:window.pwned=3)\n- [docs](https://example.com/docs)\n\
- [sneaky](https://example.com/\"onmouseover=\"window.pwned=4)\n\n\
```\nlet x = \"<b>not bold</b>\";\n```\n";

async fn ok_payload(
    app: &TestApp,
    token: &str,
    query: &str,
    field: &str,
    input: Value,
) -> anyhow::Result<Value> {
    let data = app
        .data(Some(token), query, json!({ "input": input }))
        .await?;
    let p = data[field].clone();
    anyhow::ensure!(p["userErrors"] == json!([]), "{field}: {p}");
    Ok(p)
}

const CREATE_CONNECTOR: &str = r#"mutation($input: CreateConnectorInput!) {
  createConnector(input: $input) { connector { slug } userErrors { field message code } } }"#;
const PUBLISH_VERSION: &str = r#"mutation($input: PublishVersionInput!) {
  publishVersion(input: $input) { version { version } userErrors { field message code } } }"#;
const CREATE_WORKSPACE: &str = r#"mutation($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) { workspace { slug } userErrors { field message code } } }"#;
const SET_MEMBER: &str = r#"mutation($input: SetWorkspaceMemberInput!) {
  setWorkspaceMember(input: $input) { member { role } userErrors { field message code } } }"#;

/// Eleven listings (one page of ten and one more), the first with two versions and a hostile
/// description; a workspace where `dev` is a developer and one where they are an analyst.
/// Returns the developer's token.
pub async fn arrange(app: &TestApp) -> anyhow::Result<String> {
    let alice = app.user_with_token("alice").await?;
    let boss = app.user_with_token("boss").await?;
    let dev = app.user_with_token("dev").await?;
    publish_acme_issues(app, &alice).await?;
    create_ten_other_listings(app, &alice).await?;
    create_workspaces_for_dev(app, &boss).await?;
    Ok(dev)
}

/// `acme-issues`: 1.0.0 with one action and the hostile description, then 1.1.0, which adds an
/// action and is breaking.
async fn publish_acme_issues(app: &TestApp, alice: &str) -> anyhow::Result<()> {
    ok_payload(
        app,
        alice,
        CREATE_CONNECTOR,
        "createConnector",
        json!({
            "slug": "acme-issues", "name": "Acme Issues", "category": "devtools",
            "summary": "Create and track Acme issues from recipes",
            "description": HOSTILE_DESCRIPTION, "keywords": ["tickets"],
            "version": "1.0.0", "source": source("Acme Issues", &[("get_issue", "Get issue")]),
            "releaseNotes": "First release.",
        }),
    )
    .await?;
    ok_payload(
        app,
        alice,
        PUBLISH_VERSION,
        "publishVersion",
        json!({
            "slug": "acme-issues", "version": "1.1.0",
            "source": source("Acme Issues", &[("get_issue", "Get issue"), ("close_issue", "Close issue")]),
            "releaseNotes": "Adds **Close issue**.",
            "breaking": "Issue ids are now strings.",
        }),
    )
    .await?;
    Ok(())
}

/// Ten more listings in five categories, two each (devtools gets a third with `acme-issues`).
async fn create_ten_other_listings(app: &TestApp, alice: &str) -> anyhow::Result<()> {
    let others = [
        ("crm", "Beta CRM"),
        ("crm", "Gamma Contacts"),
        ("email", "Delta Mail"),
        ("email", "Epsilon Newsletters"),
        ("storage", "Zeta Files"),
        ("storage", "Eta Buckets"),
        ("devtools", "Theta Builds"),
        ("devtools", "Iota Deploys"),
        ("chat", "Kappa Chat"),
        ("chat", "Lambda Rooms"),
    ];
    for (category, name) in others {
        let slug = name.to_lowercase().replace(' ', "-");
        ok_payload(
            app,
            alice,
            CREATE_CONNECTOR,
            "createConnector",
            json!({
                "slug": slug, "name": name, "category": category,
                "summary": format!("{name} in your recipes"),
                "version": "1.0.0", "source": source(name, &[("ping", "Ping")]),
            }),
        )
        .await?;
    }
    Ok(())
}

/// `team`, where `dev` is a developer (may install), and `ops`, where they are an analyst.
async fn create_workspaces_for_dev(app: &TestApp, boss: &str) -> anyhow::Result<()> {
    for (slug, role) in [("team", "developer"), ("ops", "analyst")] {
        ok_payload(
            app,
            boss,
            CREATE_WORKSPACE,
            "createWorkspace",
            json!({ "slug": slug, "name": format!("Workspace {slug}"), "environment": "DEVELOPMENT" }),
        )
        .await?;
        ok_payload(
            app,
            boss,
            SET_MEMBER,
            "setWorkspaceMember",
            json!({ "workspace": slug, "handle": "dev", "role": role }),
        )
        .await?;
    }
    Ok(())
}
