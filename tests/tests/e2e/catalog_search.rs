//! Discovery over HTTP: full-text search (by name, summary, description, keyword and action
//! title; prefixes, stems, all words required), relevance, the category filter and facets, every
//! sort, pagination, and search text that tries to speak the engines' query languages.

use std::collections::BTreeSet;

use api::catalog::ledger::{self, InstallEvent, InstallKind};
use api::catalog::{ListingPatch, NewListing, Visibility, listings};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{connector_source, insert_workspace, new_version, service, user_model};

/// One arranged listing: what it is found by, how old it is, how often it was installed long ago
/// (45 days) and recently (3 days ago).
struct Spec {
    slug: &'static str,
    name: &'static str,
    summary: &'static str,
    description: &'static str,
    keywords: &'static [&'static str],
    actions: &'static [(&'static str, &'static str)],
    category: &'static str,
    created_days_ago: i64,
    old_installs: usize,
    recent_installs: usize,
}

/// Every marker word below occurs in exactly the listings the tests expect.
const SPECS: [Spec; 8] = [
    Spec {
        slug: "hubspot",
        name: "HubSpot CRM",
        summary: "Manage contacts and deals",
        description: "Keeps the pipeline tidy.",
        keywords: &["sales"],
        actions: &[("create_contact", "Create contact")],
        category: "crm",
        created_days_ago: 10,
        old_installs: 8,
        recent_installs: 0,
    },
    Spec {
        slug: "salesforce",
        name: "Salesforce",
        summary: "Accounts and opportunities",
        description: "Enterprise records, sweet as marmalade.",
        keywords: &["accounts"],
        actions: &[("upsert_account", "Upsert account")],
        category: "crm",
        created_days_ago: 70,
        old_installs: 5,
        recent_installs: 1,
    },
    Spec {
        slug: "github-tracker",
        name: "GitHub Tracker",
        summary: "Open an issue from any recipe",
        description: "Bugs and pull requests.",
        keywords: &["git"],
        actions: &[("open_issue", "Open issue")],
        category: "developer-tools",
        created_days_ago: 30,
        old_installs: 5,
        recent_installs: 2,
    },
    Spec {
        slug: "stripe-billing",
        // Lower-case on purpose: the NAME sort ignores case.
        name: "stripe Billing",
        summary: "Payments for quokka merchants",
        description: "Invoices and refunds.",
        keywords: &["billing"],
        actions: &[("create_invoice", "Create invoice")],
        category: "finance",
        created_days_ago: 50,
        old_installs: 0,
        recent_installs: 3,
    },
    Spec {
        slug: "xero-ledger",
        name: "Xero Ledger",
        summary: "Bookkeeping for small firms",
        description: "Reconcile bank feeds.",
        keywords: &["wombat", "accounting"],
        actions: &[("post_journal", "Post journal")],
        category: "finance",
        created_days_ago: 20,
        old_installs: 5,
        recent_installs: 0,
    },
    Spec {
        slug: "zephyr-mail",
        name: "Zephyr Mail",
        summary: "Transactional email",
        description: "Deliver receipts.",
        keywords: &["email"],
        actions: &[
            ("send_email", "Send email"),
            ("reticulate_splines", "Reticulate splines"),
        ],
        category: "messaging",
        created_days_ago: 80,
        old_installs: 0,
        recent_installs: 1,
    },
    // Two listings identical in shape: equal matches, told apart by installs only.
    Spec {
        slug: "alpha-tasks",
        name: "Alpha Tasks",
        summary: "Task lists for teams",
        description: "Zephyr sync for every board.",
        keywords: &["todo"],
        actions: &[("add_task", "Add task")],
        category: "productivity",
        created_days_ago: 60,
        old_installs: 0,
        recent_installs: 2,
    },
    Spec {
        slug: "bravo-tasks",
        name: "Bravo Tasks",
        summary: "Task lists for teams",
        description: "Zephyr sync for every board.",
        keywords: &["todo"],
        actions: &[("add_task", "Add task")],
        category: "productivity",
        created_days_ago: 40,
        old_installs: 0,
        recent_installs: 4,
    },
];

/// Listings that match "zephyr" but must never appear in browse or search by default: one
/// deprecated, one unlisted; both with many installs, so a leak would show at the top.
const DEPRECATED: &str = "zephyr-fax";
const UNLISTED: &str = "zephyr-internal";

async fn arrange(app: &TestApp) -> anyhow::Result<()> {
    let db = app.conn()?;
    app.user_with_token("author").await?;
    let author = user_model(db, "author").await?;
    let ws = insert_workspace(db, "ws").await?;
    let now = Utc::now();
    let install = |connector_id: i64, version_id: i64, days_ago: i64| InstallEvent {
        connector_id,
        version_id,
        from_version_id: None,
        workspace_id: ws,
        user_id: None,
        kind: InstallKind::Install,
        at: now - Duration::days(days_ago),
    };
    for spec in &SPECS {
        let (listing, version) = service(
            listings::create_listing(
                db,
                &author,
                NewListing {
                    slug: spec.slug.into(),
                    name: spec.name.into(),
                    summary: spec.summary.into(),
                    description: spec.description.into(),
                    category: spec.category.into(),
                    keywords: spec.keywords.iter().map(|k| (*k).to_owned()).collect(),
                    visibility: Visibility::Public,
                    source_hidden: false,
                },
                new_version(
                    "1.0.0",
                    connector_source(spec.name, spec.actions),
                    Some(now - Duration::days(spec.created_days_ago)),
                ),
            )
            .await,
        )?;
        for _ in 0..spec.old_installs {
            ledger::record(db, &install(listing.id, version.id, 45)).await?;
        }
        for _ in 0..spec.recent_installs {
            ledger::record(db, &install(listing.id, version.id, 3)).await?;
        }
    }
    for (slug, name, category, visibility) in [
        (DEPRECATED, "Zephyr Fax", "legacy", Visibility::Public),
        (
            UNLISTED,
            "Zephyr Internal",
            "internal",
            Visibility::Unlisted,
        ),
    ] {
        let (listing, version) = service(
            listings::create_listing(
                db,
                &author,
                NewListing {
                    slug: slug.into(),
                    name: name.into(),
                    summary: "Zephyr for insiders".into(),
                    description: String::new(),
                    category: category.into(),
                    keywords: vec!["create".into(), "contact".into()],
                    visibility,
                    source_hidden: false,
                },
                new_version(
                    "1.0.0",
                    connector_source(name, &[("create_contact", "Create contact")]),
                    Some(now),
                ),
            )
            .await,
        )?;
        for _ in 0..20 {
            ledger::record(db, &install(listing.id, version.id, 1)).await?;
        }
    }
    let patch = ListingPatch {
        deprecated: Some(true),
        ..ListingPatch::default()
    };
    service(listings::update_listing(db, &author, DEPRECATED, patch).await)?;
    Ok(())
}

const SEARCH: &str = r#"
query($query: String, $category: String, $sort: ConnectorSort! = RELEVANCE, $first: Int = 100,
      $after: String, $includeDeprecated: Boolean! = false) {
  connectors(query: $query, category: $category, sort: $sort, first: $first, after: $after,
             includeDeprecated: $includeDeprecated) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { slug } }
    categoryFacets { category count }
  }
}"#;

fn slugs(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["slug"].as_str().map(str::to_owned))
        .collect()
}

async fn search(app: &TestApp, vars: Value) -> anyhow::Result<Value> {
    Ok(app.data(None, SEARCH, vars).await?["connectors"].clone())
}

/// The slugs `query` finds, in `sort` order.
async fn found_sorted(app: &TestApp, query: &str, sort: &str) -> anyhow::Result<Vec<String>> {
    let connection = search(app, json!({ "query": query, "sort": sort })).await?;
    let slugs = slugs(&connection);
    assert_eq!(
        connection["totalCount"].as_u64(),
        Some(slugs.len() as u64),
        "{query}: {connection}"
    );
    Ok(slugs)
}

/// The slugs `query` finds, best first (the default sort).
async fn found(app: &TestApp, query: &str) -> anyhow::Result<Vec<String>> {
    found_sorted(app, query, "RELEVANCE").await
}

fn set(slugs: &[String]) -> BTreeSet<&str> {
    slugs.iter().map(String::as_str).collect()
}

/// Every field is searched; prefixes, stems and case do not matter; all words must match.
async fn full_text(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let cases: [(&str, &[&str]); 15] = [
        // name, and a prefix of it
        ("HubSpot", &["hubspot"]),
        ("hub", &["hubspot"]),
        ("HUBSPOT", &["hubspot"]),
        ("git", &["github-tracker"]),
        // summary, description, keyword
        ("quokka", &["stripe-billing"]),
        ("marmalade", &["salesforce"]),
        ("wombat", &["xero-ledger"]),
        // action titles
        ("reticulate", &["zephyr-mail"]),
        ("splines", &["zephyr-mail"]),
        // stems: the documents only say "issue"
        ("issues", &["github-tracker"]),
        // every word must match
        ("create contact", &["hubspot"]),
        ("invoice create", &["stripe-billing"]),
        ("create quokka", &["stripe-billing"]),
        ("quokka marmalade", &[]),
        ("hubspot zephyr", &[]),
    ];
    // Sorted by name: which listings match is checked here, how they rank in `relevance`.
    for (query, expected) in cases {
        let got = found_sorted(&app, query, "NAME").await?;
        assert_eq!(got, expected, "query {query:?}");
    }
    let create = found_sorted(&app, "create", "NAME").await?;
    assert_eq!(create, vec!["hubspot", "stripe-billing"]);
    app.stop().await
}
tests::on_both_backends!(search_finds_by_every_field, super::full_text);

/// A name match ranks above description-only matches; equal matches are ordered by installs;
/// deprecated listings join only when asked for, unlisted ones never.
async fn relevance(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    // zephyr-mail: 1 install, in its name. alpha-tasks (2) and bravo-tasks (4): in their
    // descriptions, with everything else of the same shape.
    assert_eq!(
        found(&app, "zephyr").await?,
        vec!["zephyr-mail", "bravo-tasks", "alpha-tasks"]
    );
    // Both in the name, equally: installs decide.
    assert_eq!(
        found(&app, "tasks").await?,
        vec!["bravo-tasks", "alpha-tasks"]
    );
    // The explicit sort matches the default.
    let explicit = search(&app, json!({ "query": "zephyr", "sort": "RELEVANCE" })).await?;
    assert_eq!(
        slugs(&explicit),
        vec!["zephyr-mail", "bravo-tasks", "alpha-tasks"]
    );

    let with_deprecated = search(
        &app,
        json!({ "query": "zephyr", "includeDeprecated": true }),
    )
    .await?;
    let got = slugs(&with_deprecated);
    assert_eq!(with_deprecated["totalCount"], 4);
    assert_eq!(
        set(&got[..2]),
        BTreeSet::from(["zephyr-fax", "zephyr-mail"]),
        "{got:?}"
    );
    assert_eq!(got[2..], ["bravo-tasks", "alpha-tasks"]);

    // Pages of a ranked search add up to the whole ranking.
    let mut walked = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = search(
            &app,
            json!({ "query": "zephyr", "first": 2, "after": after }),
        )
        .await?;
        assert_eq!(page["totalCount"], 3);
        walked.extend(slugs(&page));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        anyhow::ensure!(walked.len() < 10, "pagination does not end");
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, vec!["zephyr-mail", "bravo-tasks", "alpha-tasks"]);

    // Without search text, relevance is installs.
    let all = search(&app, json!({})).await?;
    assert_eq!(
        slugs(&all),
        vec![
            "hubspot",
            "github-tracker",
            "salesforce",
            "xero-ledger",
            "bravo-tasks",
            "stripe-billing",
            "alpha-tasks",
            "zephyr-mail",
        ]
    );
    app.stop().await
}
tests::on_both_backends!(
    relevance_ranks_name_matches_first_then_installs,
    super::relevance
);

/// INSTALLS, TRENDING (installs in the last 30 days), NEWEST and NAME, each walked in pages of
/// three: the pages add up to the whole list, with no duplicates and a constant total.
async fn sorts_and_pages(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let expected: [(&str, [&str; 8]); 5] = [
        (
            "INSTALLS",
            [
                "hubspot",
                "github-tracker",
                "salesforce",
                "xero-ledger",
                "bravo-tasks",
                "stripe-billing",
                "alpha-tasks",
                "zephyr-mail",
            ],
        ),
        (
            "RELEVANCE",
            [
                "hubspot",
                "github-tracker",
                "salesforce",
                "xero-ledger",
                "bravo-tasks",
                "stripe-billing",
                "alpha-tasks",
                "zephyr-mail",
            ],
        ),
        (
            // Recent installs first (4, 3, 2, 2, 1, 1, 0, 0), all-time installs breaking ties.
            "TRENDING",
            [
                "bravo-tasks",
                "stripe-billing",
                "github-tracker",
                "alpha-tasks",
                "salesforce",
                "zephyr-mail",
                "hubspot",
                "xero-ledger",
            ],
        ),
        (
            "NEWEST",
            [
                "hubspot",
                "xero-ledger",
                "github-tracker",
                "bravo-tasks",
                "stripe-billing",
                "alpha-tasks",
                "salesforce",
                "zephyr-mail",
            ],
        ),
        (
            "NAME",
            [
                "alpha-tasks",
                "bravo-tasks",
                "github-tracker",
                "hubspot",
                "salesforce",
                "stripe-billing",
                "xero-ledger",
                "zephyr-mail",
            ],
        ),
    ];
    for (sort, order) in expected {
        let whole = search(&app, json!({ "sort": sort })).await?;
        assert_eq!(slugs(&whole), order, "sort {sort}");
        assert_eq!(whole["totalCount"], 8, "sort {sort}");
        assert_eq!(whole["pageInfo"]["hasNextPage"], false);

        let mut walked: Vec<String> = Vec::new();
        let mut after = Value::Null;
        let mut pages = 0;
        loop {
            let page = search(&app, json!({ "sort": sort, "first": 3, "after": after })).await?;
            pages += 1;
            assert_eq!(page["totalCount"], 8, "sort {sort}, page {pages}");
            assert_eq!(page["pageInfo"]["hasPreviousPage"], pages > 1);
            let page_slugs = slugs(&page);
            assert_eq!(
                page_slugs.len(),
                if pages < 3 { 3 } else { 2 },
                "sort {sort}"
            );
            assert_eq!(
                page["pageInfo"]["endCursor"],
                page["edges"][page_slugs.len() - 1]["cursor"]
            );
            assert_eq!(page["pageInfo"]["startCursor"], page["edges"][0]["cursor"]);
            walked.extend(page_slugs);
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            anyhow::ensure!(pages < 10, "pagination does not end for {sort}");
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(pages, 3, "sort {sort}");
        assert_eq!(
            walked, order,
            "sort {sort}: pages differ from the whole list"
        );
        assert_eq!(set(&walked).len(), 8, "duplicates in {walked:?}");

        // Past the end: an empty page that still knows the total.
        let past = search(
            &app,
            json!({ "sort": sort, "first": 3, "after": after_offset(&app, 7).await? }),
        )
        .await?;
        assert_eq!(slugs(&past), Vec::<String>::new());
        assert_eq!(past["totalCount"], 8);
        assert_eq!(past["pageInfo"]["hasNextPage"], false);
    }

    // Searching pages the same way.
    let mut walked = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = search(
            &app,
            json!({ "query": "rec", "sort": "NAME", "first": 3, "after": after }),
        )
        .await?;
        walked.extend(slugs(&page));
        assert_eq!(page["totalCount"].as_u64(), Some(REC_WORDS.len() as u64));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        anyhow::ensure!(walked.len() < 20, "pagination does not end");
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, REC_WORDS);
    app.stop().await
}
tests::on_both_backends!(sorts_and_pagination, super::sorts_and_pages);

/// The listings with a word starting with "rec", by name: "recipe", "records", "Reconcile",
/// "receipts".
const REC_WORDS: [&str; 4] = ["github-tracker", "salesforce", "xero-ledger", "zephyr-mail"];

/// The cursor of the listing at `index` of a whole, unfiltered list (cursors are opaque: take one
/// from the server).
async fn after_offset(app: &TestApp, index: usize) -> anyhow::Result<Value> {
    let whole = search(app, json!({ "sort": "NAME" })).await?;
    Ok(whole["edges"][index]["cursor"].clone())
}

/// The category filter narrows the results; facets count every category the query matches,
/// ignoring the category filter; `categories` counts the public catalog.
async fn categories_and_facets(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let all_facets = json!([
        { "category": "crm", "count": 2 },
        { "category": "finance", "count": 2 },
        { "category": "productivity", "count": 2 },
        { "category": "developer-tools", "count": 1 },
        { "category": "messaging", "count": 1 },
    ]);
    let all = search(&app, json!({})).await?;
    assert_eq!(all["categoryFacets"], all_facets);

    let crm = search(&app, json!({ "category": "crm" })).await?;
    assert_eq!(slugs(&crm), vec!["hubspot", "salesforce"]);
    assert_eq!(crm["totalCount"], 2);
    assert_eq!(crm["categoryFacets"], all_facets);

    let create_finance = search(
        &app,
        json!({ "query": "create", "category": "finance", "sort": "INSTALLS" }),
    )
    .await?;
    assert_eq!(slugs(&create_finance), vec!["stripe-billing"]);
    assert_eq!(create_finance["totalCount"], 1);
    assert_eq!(
        create_finance["categoryFacets"],
        json!([{ "category": "crm", "count": 1 }, { "category": "finance", "count": 1 }])
    );

    let nothing = search(&app, json!({ "category": "no-such-category" })).await?;
    assert_eq!(nothing["totalCount"], 0);
    assert_eq!(nothing["pageInfo"]["hasNextPage"], false);
    assert_eq!(nothing["categoryFacets"], all_facets);

    let deprecated_too = search(&app, json!({ "includeDeprecated": true })).await?;
    assert_eq!(deprecated_too["totalCount"], 9);
    assert_eq!(
        deprecated_too["categoryFacets"],
        json!([
            { "category": "crm", "count": 2 },
            { "category": "finance", "count": 2 },
            { "category": "productivity", "count": 2 },
            { "category": "developer-tools", "count": 1 },
            { "category": "legacy", "count": 1 },
            { "category": "messaging", "count": 1 },
        ])
    );
    assert_eq!(slugs(&deprecated_too)[0], DEPRECATED);

    let categories = app
        .data(None, "{ categories { category count } }", json!({}))
        .await?;
    assert_eq!(categories["categories"], all_facets);
    app.stop().await
}
tests::on_both_backends!(
    category_filter_facets_and_categories,
    super::categories_and_facets
);

/// Text that means something to FTS5 or to `to_tsquery` is only ever words.
async fn hostile_text(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let long_word = "a".repeat(400);
    let many_words = "word ".repeat(80);
    let accented = "é".repeat(400);
    // (text, how many listings it finds)
    let exact: Vec<(&str, u64)> = vec![
        ("\"zephyr\"", 3),
        ("\"zephyr", 3),
        ("zephyr\"", 3),
        ("hub*", 1),
        ("*", 8),
        ("zephyr OR hubspot", 0),
        ("NEAR(zephyr hubspot)", 0),
        ("NEAR(", 0),
        ("name:zephyr", 0),
        ("zephyr & !alpha", 1),
        ("zephyr | hubspot", 0),
        (":", 8),
        ("&", 8),
        ("|", 8),
        ("!", 8),
        ("()", 8),
        ("-", 8),
        ("^", 8),
        ("'", 8),
        ("zephyr:*", 3),
        ("'; DROP TABLE connectors; --", 0),
        ("\\", 8),
        ("%", 8),
        ("_", 8),
        (long_word.as_str(), 0),
        (many_words.as_str(), 0),
        ("日本語 café ünïcödé", 0),
        ("🚀🚀🚀", 8),
        ("zephyr\u{0}", 3),
    ];
    // Sorted by name: ranking is `relevance`'s business, the query language is this test's.
    for (text, count) in exact {
        let body = app
            .graphql(None, SEARCH, json!({ "query": text, "sort": "NAME" }))
            .await?;
        let shown: String = text.chars().take(40).collect();
        assert!(body.get("errors").is_none(), "query {shown:?}: {body}");
        assert_eq!(
            body["data"]["connectors"]["totalCount"].as_u64(),
            Some(count),
            "query {shown:?}"
        );
    }
    // Letters and numbers outside ASCII: whatever they match, they are not an error.
    for text in [
        "½ ² Ⅷ ٣",
        "ि",
        "ि zephyr",
        "ﷺ",
        "𝔷𝔢𝔭𝔥𝔶𝔯",
        "Ǆ",
        "ß",
        "İstanbul",
        "ﬁ",
    ] {
        let body = app
            .graphql(None, SEARCH, json!({ "query": text, "sort": "NAME" }))
            .await?;
        assert!(body.get("errors").is_none(), "query {text:?}: {body}");
        assert!(body["data"]["connectors"]["totalCount"].is_u64(), "{body}");
    }
    // And nothing was harmed.
    assert_eq!(search(&app, json!({})).await?["totalCount"], 8);

    // 400 characters are within the documented limit of 500 characters, whatever their script.
    let body = app
        .graphql(None, SEARCH, json!({ "query": accented, "sort": "NAME" }))
        .await?;
    assert!(body.get("errors").is_none(), "400 × 'é': {body}");
    assert_eq!(body["data"]["connectors"]["totalCount"], 0);
    app.stop().await
}
tests::on_both_backends!(hostile_search_text_is_just_words, super::hostile_text);

/// Category filters and slugs are plain values too, even with a NUL byte in them (which
/// PostgreSQL refuses in text): no match, never an internal error.
async fn hostile_filters(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    for slug in ["hubspot' --", "%", "hubspot\u{0}"] {
        let body = app
            .graphql(
                None,
                "query($s: String!) { connector(slug: $s) { slug } }",
                json!({ "s": slug }),
            )
            .await?;
        assert_eq!(
            error_code(&body),
            Some("NOT_FOUND"),
            "slug {slug:?}: {body}"
        );
    }
    for category in ["crm' OR '1'='1", "%", "*", "crm%", "CRM", "crm\u{0}"] {
        let body = app
            .graphql(
                None,
                SEARCH,
                json!({ "category": category, "sort": "NAME" }),
            )
            .await?;
        assert!(
            body.get("errors").is_none(),
            "category {category:?}: {body}"
        );
        assert_eq!(
            body["data"]["connectors"]["totalCount"], 0,
            "category {category:?}"
        );
    }
    assert_eq!(search(&app, json!({})).await?["totalCount"], 8);
    app.stop().await
}
tests::on_both_backends!(hostile_filters_are_plain_values, super::hostile_filters);

/// A word matching more listings than the server ranks (`search_rank_candidates`, 3 here) ranks
/// the most installed matches by where the word appears (name before summary), then installs;
/// the pages past them continue by installs, with nothing repeated or skipped.
async fn common_words(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn_with(backend, |c| c.search_rank_candidates = 3).await?;
    let db = app.conn()?;
    app.user_with_token("author").await?;
    let author = user_model(db, "author").await?;
    let ws = insert_workspace(db, "ws").await?;
    // (slug, name, installs): every summary says "widget"; two names do too.
    let specs = [
        ("w-one", "First", 6),
        ("w-two", "Second", 5),
        ("w-three", "Widget Three", 4),
        ("w-four", "Fourth", 3),
        ("w-five", "Widget Five", 2),
        ("w-six", "Sixth", 1),
    ];
    for (slug, name, installs) in specs {
        let (listing, version) = service(
            listings::create_listing(
                db,
                &author,
                NewListing {
                    slug: slug.into(),
                    name: name.into(),
                    summary: "Moves a widget along".into(),
                    description: String::new(),
                    category: "tools".into(),
                    keywords: Vec::new(),
                    visibility: Visibility::Public,
                    source_hidden: false,
                },
                new_version(
                    "1.0.0",
                    connector_source(name, &[("move_it", "Move")]),
                    None,
                ),
            )
            .await,
        )?;
        for _ in 0..installs {
            ledger::record(
                db,
                &InstallEvent {
                    connector_id: listing.id,
                    version_id: version.id,
                    from_version_id: None,
                    workspace_id: ws,
                    user_id: None,
                    kind: InstallKind::Install,
                    at: Utc::now(),
                },
            )
            .await?;
        }
    }
    const PAGE: &str = r#"query($after: String) { connectors(query: "widget", first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { slug } } } }"#;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    for expected_next in [true, true, false] {
        let page = app.data(None, PAGE, json!({ "after": after })).await?["connectors"].clone();
        assert_eq!(page["totalCount"], 6, "{page}");
        assert_eq!(page["pageInfo"]["hasNextPage"], expected_next, "{page}");
        seen.extend(slugs(&page));
        after = page["pageInfo"]["endCursor"].clone();
    }
    // Candidates: the three most installed (one, two, three); three has the word in its name.
    // Then the rest by installs: four, five (a name match, but not a candidate), six.
    assert_eq!(
        seen,
        ["w-three", "w-one", "w-two", "w-four", "w-five", "w-six"],
        "pages in order"
    );
    app.stop().await
}
tests::on_both_backends!(common_words_rank_the_most_installed, super::common_words);
