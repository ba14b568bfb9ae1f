//! Publishing to the community catalog over GraphQL: creating a listing, publishing, yanking and
//! pre-releasing versions, owners, editing and deprecating, unlisted listings, global ids and who
//! may read a version's source.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{
    ADD_OWNER, CREATE_CONNECTOR, PUBLISH_VERSION, REMOVE_OWNER, UPDATE_CONNECTOR, YANK_VERSION,
    connector_source, create_input, payload, sha256_hex,
};

const LISTING: &str = r#"
query($slug: String!, $first: Int, $after: String, $includeYanked: Boolean! = true) {
  connector(slug: $slug) {
    id slug name summary description category keywords visibility status createdAt updatedAt
    owners { handle }
    latestVersion { version }
    versions(first: $first, after: $after, includeYanked: $includeYanked) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id version yanked yankedAt breaking breakingMessage releaseNotes sha256 publishedAt publishedBy { handle } } }
    }
  }
}"#;

const CATALOG_SLUGS: &str = r#"
query($query: String, $category: String, $includeDeprecated: Boolean! = false) {
  connectors(first: 100, query: $query, category: $category, sort: NAME, includeDeprecated: $includeDeprecated) {
    totalCount
    nodes { slug }
  }
}"#;

/// The slugs of a `connectors` answer, in order.
fn slugs(data: &Value) -> Vec<String> {
    data["connectors"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["slug"].as_str().map(str::to_owned))
        .collect()
}

/// The version numbers of a `versions` connection, in order.
fn versions_of(connector: &Value) -> Vec<String> {
    connector["versions"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["version"].as_str().map(str::to_owned))
        .collect()
}

fn handles(owners: &Value) -> Vec<String> {
    owners
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["handle"].as_str().map(str::to_owned))
        .collect()
}

fn time(value: &Value) -> anyhow::Result<DateTime<Utc>> {
    let text = value
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("not a timestamp: {value}"))?;
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

async fn listing(app: &TestApp, token: Option<&str>, vars: Value) -> anyhow::Result<Value> {
    Ok(app.data(token, LISTING, vars).await?["connector"].clone())
}

async fn publish(app: &TestApp, token: &str, input: Value) -> anyhow::Result<Value> {
    let body = app
        .graphql(Some(token), PUBLISH_VERSION, json!({ "input": input }))
        .await?;
    let p = payload(&body, "publishVersion")?;
    assert_eq!(p["userErrors"], json!([]), "{body}");
    Ok(p["version"].clone())
}

async fn yank(
    app: &TestApp,
    token: &str,
    slug: &str,
    version: &str,
    yanked: bool,
) -> anyhow::Result<Value> {
    let body = app
        .graphql(
            Some(token),
            YANK_VERSION,
            json!({ "input": { "slug": slug, "version": version, "yanked": yanked } }),
        )
        .await?;
    let p = payload(&body, "yankVersion")?;
    assert_eq!(p["userErrors"], json!([]), "{body}");
    Ok(p["version"].clone())
}

/// Create a listing with a token: the creator owns it, its capabilities and checksum come from
/// the source sent; versions 1.1.0 and 2.0.0 follow, listed newest first and paginated.
async fn create_and_publish(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;

    let source_v1 = connector_source(
        "GitHub Issues",
        &[("open_issue", "Open issue"), ("close_issue", "Close issue")],
    );
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": {
                "slug": "github-issues",
                "name": "GitHub Issues",
                "summary": "Open and close issues",
                "description": "Works with **any** repository.",
                "category": "developer-tools",
                "keywords": ["GitHub", "issues", "github"],
                "version": "1.0.0",
                "source": source_v1,
                "releaseNotes": "First release",
            } }),
        )
        .await?;
    let created = payload(&body, "createConnector")?;
    assert_eq!(created["userErrors"], json!([]), "{body}");
    let connector = &created["connector"];
    assert_eq!(connector["slug"], "github-issues");
    assert_eq!(connector["name"], "GitHub Issues");
    assert_eq!(connector["category"], "developer-tools");
    // Keywords are lower-cased and de-duplicated.
    assert_eq!(connector["keywords"], json!(["github", "issues"]));
    assert_eq!(handles(&connector["owners"]), vec!["ada"]);
    let sha_v1 = sha256_hex(&source_v1);
    assert_eq!(
        connector["latestVersion"],
        json!({ "version": "1.0.0", "sha256": sha_v1 })
    );
    let version = &created["version"];
    assert_eq!(version["version"], "1.0.0");
    assert_eq!(version["sha256"], sha_v1.as_str());
    assert_eq!(
        version["capabilities"],
        json!({
            "actions": [
                { "name": "close_issue", "title": "Close issue" },
                { "name": "open_issue", "title": "Open issue" },
            ],
            "allowedHosts": ["api.example.com"],
        })
    );

    let before = listing(&app, None, json!({ "slug": "github-issues" })).await?;
    assert_eq!(before["description"], "Works with **any** repository.");
    assert_eq!(before["summary"], "Open and close issues");
    assert_eq!(before["visibility"], "PUBLIC");
    assert_eq!(before["status"], "PUBLISHED");
    assert_eq!(before["createdAt"], before["updatedAt"]);
    let first = &before["versions"]["edges"][0]["node"];
    assert_eq!(first["releaseNotes"], "First release");
    assert_eq!(first["publishedBy"]["handle"], "ada");
    assert_eq!(first["breaking"], false);
    assert_eq!(first["breakingMessage"], Value::Null);

    let source_v11 = connector_source(
        "GitHub Issues",
        &[
            ("open_issue", "Open issue"),
            ("close_issue", "Close issue"),
            ("add_label", "Add label"),
        ],
    );
    let v11 = publish(
        &app,
        &ada,
        json!({ "slug": "github-issues", "version": "1.1.0", "source": source_v11,
                "releaseNotes": "- New action **Add label**" }),
    )
    .await?;
    assert_eq!(v11["version"], "1.1.0");
    assert_eq!(v11["sha256"], sha256_hex(&source_v11).as_str());
    assert_eq!(v11["releaseNotes"], "- New action **Add label**");
    assert_eq!(v11["breaking"], false);
    assert_eq!(v11["breakingMessage"], Value::Null);
    assert_eq!(
        v11["capabilities"]["actions"],
        json!([
            { "name": "add_label", "title": "Add label" },
            { "name": "close_issue", "title": "Close issue" },
            { "name": "open_issue", "title": "Open issue" },
        ])
    );

    let source_v2 = connector_source("GitHub Issues", &[("create_issue", "Create issue")]);
    let v2 = publish(
        &app,
        &ada,
        json!({ "slug": "github-issues", "version": "2.0.0", "source": source_v2,
                "releaseNotes": "Renamed actions", "breaking": "open_issue is now create_issue" }),
    )
    .await?;
    assert_eq!(v2["version"], "2.0.0");
    assert_eq!(v2["sha256"], sha256_hex(&source_v2).as_str());
    assert_eq!(v2["breaking"], true);
    assert_eq!(v2["breakingMessage"], "open_issue is now create_issue");
    assert_eq!(v2["releaseNotes"], "Renamed actions");

    // Newest first, in pages of two.
    let page1 = listing(&app, None, json!({ "slug": "github-issues", "first": 2 })).await?;
    assert_eq!(page1["latestVersion"]["version"], "2.0.0");
    assert_eq!(page1["versions"]["totalCount"], 3);
    assert_eq!(versions_of(&page1), vec!["2.0.0", "1.1.0"]);
    assert_eq!(page1["versions"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(page1["versions"]["pageInfo"]["hasPreviousPage"], false);
    let after = page1["versions"]["pageInfo"]["endCursor"].clone();
    assert_eq!(after, page1["versions"]["edges"][1]["cursor"]);
    let page2 = listing(
        &app,
        None,
        json!({ "slug": "github-issues", "first": 2, "after": after }),
    )
    .await?;
    assert_eq!(page2["versions"]["totalCount"], 3);
    assert_eq!(versions_of(&page2), vec!["1.0.0"]);
    assert_eq!(page2["versions"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(page2["versions"]["pageInfo"]["hasPreviousPage"], true);
    let all = listing(&app, None, json!({ "slug": "github-issues" })).await?;
    assert_eq!(versions_of(&all), vec!["2.0.0", "1.1.0", "1.0.0"]);

    // The listing's `updatedAt` follows its versions ("when the listing or its versions last
    // changed").
    let latest_published = time(&all["versions"]["edges"][0]["node"]["publishedAt"])?;
    assert!(
        time(&all["updatedAt"])? >= latest_published,
        "updatedAt {} is older than the last published version ({latest_published})",
        all["updatedAt"]
    );
    app.stop().await
}
tests::on_both_backends!(
    create_listing_and_publish_versions,
    super::create_and_publish
);

/// Yanking moves `latestVersion` back and keeps the version listed; un-yanking restores it; a
/// pre-release never displaces a stable version, but is the latest when nothing stable exists.
async fn yank_and_prerelease(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;
    let source = connector_source("Yanky", &[("ping", "Ping")]);
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("yanky", "Yanky", "utilities", &source) }),
        )
        .await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );
    for version in ["1.1.0", "2.0.0"] {
        publish(
            &app,
            &ada,
            json!({ "slug": "yanky", "version": version, "source": source }),
        )
        .await?;
    }

    let yanked = yank(&app, &ada, "yanky", "2.0.0", true).await?;
    assert_eq!(yanked["version"], "2.0.0");
    assert_eq!(yanked["yanked"], true);
    assert!(time(&yanked["yankedAt"]).is_ok(), "{yanked}");
    let after_yank = listing(&app, None, json!({ "slug": "yanky" })).await?;
    assert_eq!(after_yank["latestVersion"]["version"], "1.1.0");
    assert_eq!(after_yank["versions"]["totalCount"], 3);
    assert_eq!(versions_of(&after_yank), vec!["2.0.0", "1.1.0", "1.0.0"]);
    let flags: Vec<&Value> = after_yank["versions"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["node"]["yanked"])
        .collect();
    assert_eq!(flags, vec![&json!(true), &json!(false), &json!(false)]);
    let installable = listing(
        &app,
        None,
        json!({ "slug": "yanky", "includeYanked": false }),
    )
    .await?;
    assert_eq!(installable["versions"]["totalCount"], 2);
    assert_eq!(versions_of(&installable), vec!["1.1.0", "1.0.0"]);

    let restored = yank(&app, &ada, "yanky", "2.0.0", false).await?;
    assert_eq!(restored["yanked"], false);
    assert_eq!(restored["yankedAt"], Value::Null);
    let after_unyank = listing(&app, None, json!({ "slug": "yanky" })).await?;
    assert_eq!(after_unyank["latestVersion"]["version"], "2.0.0");
    assert_eq!(
        after_unyank["versions"]["edges"][0]["node"]["yanked"],
        false
    );

    let beta = publish(
        &app,
        &ada,
        json!({ "slug": "yanky", "version": "3.0.0-beta.1", "source": source }),
    )
    .await?;
    assert_eq!(beta["version"], "3.0.0-beta.1");
    let with_beta = listing(&app, None, json!({ "slug": "yanky" })).await?;
    assert_eq!(with_beta["latestVersion"]["version"], "2.0.0");
    assert_eq!(
        versions_of(&with_beta),
        vec!["3.0.0-beta.1", "2.0.0", "1.1.0", "1.0.0"]
    );
    // Yanking every stable version leaves the pre-release as the only installable one.
    for version in ["2.0.0", "1.1.0", "1.0.0"] {
        yank(&app, &ada, "yanky", version, true).await?;
    }
    let only_beta = listing(&app, None, json!({ "slug": "yanky" })).await?;
    assert_eq!(only_beta["latestVersion"]["version"], "3.0.0-beta.1");

    // A listing whose first version is a pre-release has it as its latest.
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": { "slug": "early", "name": "Early", "summary": "Not yet stable",
                    "category": "utilities", "version": "0.1.0-alpha.1", "source": source } }),
        )
        .await?;
    let created = payload(&body, "createConnector")?;
    assert_eq!(created["userErrors"], json!([]), "{body}");
    assert_eq!(
        created["connector"]["latestVersion"]["version"],
        "0.1.0-alpha.1"
    );
    app.stop().await
}
tests::on_both_backends!(yank_unyank_and_prereleases, super::yank_and_prerelease);

/// Co-owners publish; owners can be removed, but never the last one.
async fn owners(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;
    let bob = app.user_with_token("bob").await?;
    let source = connector_source("Shared", &[("ping", "Ping")]);
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("shared", "Shared", "utilities", &source) }),
        )
        .await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );

    // Before being added, bob may not publish.
    let body = app
        .graphql(
            Some(&bob),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "shared", "version": "1.1.0", "source": source } }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

    let body = app
        .graphql(
            Some(&ada),
            ADD_OWNER,
            json!({ "input": { "slug": "shared", "handle": "bob" } }),
        )
        .await?;
    let added = payload(&body, "addConnectorOwner")?;
    assert_eq!(added["userErrors"], json!([]), "{body}");
    assert_eq!(handles(&added["connector"]["owners"]), vec!["ada", "bob"]);
    // Adding an owner twice changes nothing.
    let body = app
        .graphql(
            Some(&ada),
            ADD_OWNER,
            json!({ "input": { "slug": "shared", "handle": "bob" } }),
        )
        .await?;
    assert_eq!(
        handles(&payload(&body, "addConnectorOwner")?["connector"]["owners"]),
        vec!["ada", "bob"]
    );
    // An unknown handle is the caller's mistake.
    let body = app
        .graphql(
            Some(&ada),
            ADD_OWNER,
            json!({ "input": { "slug": "shared", "handle": "nobody" } }),
        )
        .await?;
    let unknown = payload(&body, "addConnectorOwner")?;
    assert_eq!(unknown["connector"], Value::Null);
    assert_eq!(unknown["userErrors"][0]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(
        unknown["userErrors"][0]["field"],
        json!(["input", "handle"])
    );

    let by_bob = publish(
        &app,
        &bob,
        json!({ "slug": "shared", "version": "1.1.0", "source": source }),
    )
    .await?;
    assert_eq!(by_bob["version"], "1.1.0");
    let after = listing(&app, None, json!({ "slug": "shared" })).await?;
    assert_eq!(after["latestVersion"]["version"], "1.1.0");
    assert_eq!(
        after["versions"]["edges"][0]["node"]["publishedBy"]["handle"],
        "bob"
    );
    assert_eq!(
        after["versions"]["edges"][1]["node"]["publishedBy"]["handle"],
        "ada"
    );

    // Bob removes ada; ada can no longer publish.
    let body = app
        .graphql(
            Some(&bob),
            REMOVE_OWNER,
            json!({ "input": { "slug": "shared", "handle": "ada" } }),
        )
        .await?;
    let removed = payload(&body, "removeConnectorOwner")?;
    assert_eq!(removed["userErrors"], json!([]), "{body}");
    assert_eq!(handles(&removed["connector"]["owners"]), vec!["bob"]);
    let body = app
        .graphql(
            Some(&ada),
            PUBLISH_VERSION,
            json!({ "input": { "slug": "shared", "version": "1.2.0", "source": source } }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");

    // The last owner stays.
    let body = app
        .graphql(
            Some(&bob),
            REMOVE_OWNER,
            json!({ "input": { "slug": "shared", "handle": "bob" } }),
        )
        .await?;
    let last = payload(&body, "removeConnectorOwner")?;
    assert_eq!(last["connector"], Value::Null);
    assert_eq!(
        last["userErrors"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    assert_eq!(last["userErrors"][0]["code"], "BAD_USER_INPUT");
    assert_eq!(last["userErrors"][0]["field"], json!(["input", "handle"]));
    let still = listing(&app, None, json!({ "slug": "shared" })).await?;
    assert_eq!(handles(&still["owners"]), vec!["bob"]);
    assert_eq!(still["versions"]["totalCount"], 2);
    app.stop().await
}
tests::on_both_backends!(co_owners_publish_and_the_last_owner_stays, super::owners);

/// `updateConnector` edits metadata and deprecates; deprecated and unlisted listings leave the
/// catalog but stay reachable by slug.
async fn update_deprecate_unlisted(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;
    let source = connector_source("Mailer", &[("send_mail", "Send mail")]);
    for (slug, name) in [("mailer", "Mailer"), ("other", "Other")] {
        let body = app
            .graphql(
                Some(&ada),
                CREATE_CONNECTOR,
                json!({ "input": create_input(slug, name, "messaging", &source) }),
            )
            .await?;
        assert_eq!(
            payload(&body, "createConnector")?["userErrors"],
            json!([]),
            "{body}"
        );
    }

    let body = app
        .graphql(
            Some(&ada),
            UPDATE_CONNECTOR,
            json!({ "input": { "slug": "mailer", "name": "Postbox", "summary": "Letters by API",
                    "keywords": ["Post", "letters"], "category": "logistics" } }),
        )
        .await?;
    let updated = payload(&body, "updateConnector")?;
    assert_eq!(updated["userErrors"], json!([]), "{body}");
    assert_eq!(
        updated["connector"],
        json!({ "slug": "mailer", "name": "Postbox", "summary": "Letters by API",
                "description": "", "category": "logistics", "keywords": ["post", "letters"],
                "visibility": "PUBLIC", "status": "PUBLISHED" })
    );
    // The catalog sees the new metadata: the new category, and the new words in search.
    let in_logistics = app
        .data(None, CATALOG_SLUGS, json!({ "category": "logistics" }))
        .await?;
    assert_eq!(slugs(&in_logistics), vec!["mailer"]);
    let in_messaging = app
        .data(None, CATALOG_SLUGS, json!({ "category": "messaging" }))
        .await?;
    assert_eq!(slugs(&in_messaging), vec!["other"]);
    let by_word = app
        .data(None, CATALOG_SLUGS, json!({ "query": "letters" }))
        .await?;
    assert_eq!(slugs(&by_word), vec!["mailer"]);
    let by_name = app
        .data(None, CATALOG_SLUGS, json!({ "query": "postbox" }))
        .await?;
    assert_eq!(slugs(&by_name), vec!["mailer"]);
    // The old summary ("Mailer for tests") is no longer indexed; the other listing's still is.
    let by_old_summary = app
        .data(None, CATALOG_SLUGS, json!({ "query": "tests" }))
        .await?;
    assert_eq!(slugs(&by_old_summary), vec!["other"]);

    // Deprecated: gone from browse and search unless asked for, still found by slug.
    let body = app
        .graphql(
            Some(&ada),
            UPDATE_CONNECTOR,
            json!({ "input": { "slug": "mailer", "deprecated": true } }),
        )
        .await?;
    let deprecated = payload(&body, "updateConnector")?;
    assert_eq!(deprecated["userErrors"], json!([]), "{body}");
    assert_eq!(deprecated["connector"]["status"], "DEPRECATED");
    assert_eq!(deprecated["connector"]["name"], "Postbox");
    let browse = app.data(None, CATALOG_SLUGS, json!({})).await?;
    assert_eq!(browse["connectors"]["totalCount"], 1);
    assert_eq!(slugs(&browse), vec!["other"]);
    let search = app
        .data(None, CATALOG_SLUGS, json!({ "query": "postbox" }))
        .await?;
    assert_eq!(search["connectors"]["totalCount"], 0);
    let with_deprecated = app
        .data(None, CATALOG_SLUGS, json!({ "includeDeprecated": true }))
        .await?;
    assert_eq!(with_deprecated["connectors"]["totalCount"], 2);
    assert_eq!(slugs(&with_deprecated), vec!["other", "mailer"]);
    let direct = listing(&app, None, json!({ "slug": "mailer" })).await?;
    assert_eq!(direct["status"], "DEPRECATED");
    let body = app
        .graphql(
            Some(&ada),
            UPDATE_CONNECTOR,
            json!({ "input": { "slug": "mailer", "deprecated": false } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "updateConnector")?["connector"]["status"],
        "PUBLISHED"
    );
    assert_eq!(
        slugs(&app.data(None, CATALOG_SLUGS, json!({})).await?),
        vec!["other", "mailer"]
    );

    // Unlisted: reachable by slug only.
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": { "slug": "hidden-gem", "name": "Hidden Gem", "summary": "Secret",
                    "category": "secret-things", "visibility": "UNLISTED", "version": "1.0.0",
                    "source": source } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );
    let gem = listing(&app, None, json!({ "slug": "hidden-gem" })).await?;
    assert_eq!(gem["visibility"], "UNLISTED");
    assert_eq!(gem["latestVersion"]["version"], "1.0.0");
    let browse = app
        .data(None, CATALOG_SLUGS, json!({ "includeDeprecated": true }))
        .await?;
    assert_eq!(slugs(&browse), vec!["other", "mailer"]);
    for query in ["hidden", "gem", "secret"] {
        let found = app
            .data(None, CATALOG_SLUGS, json!({ "query": query }))
            .await?;
        assert_eq!(found["connectors"]["totalCount"], 0, "{query}: {found}");
    }
    let in_category = app
        .data(None, CATALOG_SLUGS, json!({ "category": "secret-things" }))
        .await?;
    assert_eq!(in_category["connectors"]["totalCount"], 0);
    let categories = app
        .data(None, "{ categories { category count } }", json!({}))
        .await?;
    assert_eq!(
        categories["categories"],
        json!([{ "category": "logistics", "count": 1 }, { "category": "messaging", "count": 1 }])
    );

    // Making it public puts it in the catalog.
    let body = app
        .graphql(
            Some(&ada),
            UPDATE_CONNECTOR,
            json!({ "input": { "slug": "hidden-gem", "visibility": "PUBLIC" } }),
        )
        .await?;
    assert_eq!(
        payload(&body, "updateConnector")?["connector"]["visibility"],
        "PUBLIC"
    );
    let found = app
        .data(None, CATALOG_SLUGS, json!({ "query": "gem" }))
        .await?;
    assert_eq!(slugs(&found), vec!["hidden-gem"]);
    app.stop().await
}
tests::on_both_backends!(
    update_deprecate_and_unlisted_listings,
    super::update_deprecate_unlisted
);

const NODE: &str = r#"
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Connector { slug }
    ... on ConnectorVersion { version connector { slug } }
    ... on User { handle }
  }
}"#;

/// Global ids resolve to their objects; a version's source is for its owners only.
async fn nodes_and_source(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let ada = app.user_with_token("ada").await?;
    let carol = app.user_with_token("carol").await?;
    let source = connector_source("Nodes", &[("ping", "Ping")]);
    let body = app
        .graphql(
            Some(&ada),
            CREATE_CONNECTOR,
            json!({ "input": create_input("nodes", "Nodes", "utilities", &source) }),
        )
        .await?;
    assert_eq!(
        payload(&body, "createConnector")?["userErrors"],
        json!([]),
        "{body}"
    );
    let ids = app
        .data(
            Some(&ada),
            r#"{ connector(slug: "nodes") { id latestVersion { id } owners { id } } viewer { user { id } } }"#,
            json!({}),
        )
        .await?;
    let connector_id = ids["connector"]["id"].clone();
    let version_id = ids["connector"]["latestVersion"]["id"].clone();
    let user_id = ids["connector"]["owners"][0]["id"].clone();
    assert_eq!(user_id, ids["viewer"]["user"]["id"]);
    let distinct: std::collections::BTreeSet<String> = [&connector_id, &version_id, &user_id]
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(distinct.len(), 3, "ids are not distinct: {ids}");

    let node = app.data(None, NODE, json!({ "id": connector_id })).await?;
    assert_eq!(
        node["node"],
        json!({ "__typename": "Connector", "id": connector_id, "slug": "nodes" })
    );
    let node = app.data(None, NODE, json!({ "id": version_id })).await?;
    assert_eq!(
        node["node"],
        json!({ "__typename": "ConnectorVersion", "id": version_id, "version": "1.0.0",
                "connector": { "slug": "nodes" } })
    );
    let node = app.data(None, NODE, json!({ "id": user_id })).await?;
    assert_eq!(
        node["node"],
        json!({ "__typename": "User", "id": user_id, "handle": "ada" })
    );
    for junk in ["not-an-id", "Q29ubmVjdG9yOjk5OTk", ""] {
        let node = app.data(None, NODE, json!({ "id": junk })).await?;
        assert_eq!(node["node"], Value::Null, "{junk}");
    }

    // Source: the owner reads exactly what was published; others may not.
    let query = r#"{ connector(slug: "nodes") { latestVersion { version source } } }"#;
    let own = app.data(Some(&ada), query, json!({})).await?;
    assert_eq!(own["connector"]["latestVersion"]["source"], source.as_str());
    let other = app.graphql(Some(&carol), query, json!({})).await?;
    assert_eq!(error_code(&other), Some("FORBIDDEN"), "{other}");
    assert!(
        !other.to_string().contains("api_key"),
        "source leaked: {other}"
    );
    assert_eq!(
        other["errors"][0]["path"],
        json!(["connector", "latestVersion", "source"])
    );
    let anonymous = app.graphql(None, query, json!({})).await?;
    assert_eq!(
        error_code(&anonymous),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );
    assert!(
        !anonymous.to_string().contains("api_key"),
        "source leaked: {anonymous}"
    );
    // Through `node` too.
    let by_node = app
        .graphql(
            Some(&carol),
            "query($id: ID!) { node(id: $id) { ... on ConnectorVersion { source } } }",
            json!({ "id": version_id }),
        )
        .await?;
    assert_eq!(error_code(&by_node), Some("FORBIDDEN"), "{by_node}");
    app.stop().await
}
tests::on_both_backends!(global_ids_and_source_access, super::nodes_and_source);
