//! Discovery over HTTP: full-text search (by name, summary, description, keyword and action
//! title; prefixes, stems, all words required), relevance, the category filter and facets, every
//! sort, pagination, and search text that tries to speak the engines' query languages. Most tests
//! search the same arranged catalog (`arrange`); the listings and what finds them are here.
mod common_words;
mod facets;
mod full_text;
mod hostile;
mod relevance;
mod sorts;

use std::collections::BTreeSet;

use api::catalog::ledger::{self, InstallEvent, InstallKind};
use api::catalog::{ListingPatch, NewListing, Visibility, listings};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{
    connector_source, insert_workspace, new_listing, new_version, service, user_model,
};

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
/// Who arranges listings through the services: their author, and the workspace every install
/// goes to.
struct Arranger<'a> {
    db: &'a sea_orm::DatabaseConnection,
    runner: &'a api::debugger::Runner,
    author: entities::user::Model,
    workspace: i64,
}

impl<'a> Arranger<'a> {
    /// The user `author` and the workspace `ws`, on `app`'s database.
    async fn new(app: &'a TestApp) -> anyhow::Result<Self> {
        let db = app.conn()?;
        app.user_with_token("author").await?;
        Ok(Self {
            db,
            runner: app.runner()?,
            author: user_model(db, "author").await?,
            workspace: insert_workspace(db, "ws").await?,
        })
    }

    /// `listing` with version 1.0.0 of `source`, published at `published_at` (`None`: now); the
    /// listing's and the version's ids.
    async fn listing(
        &self,
        listing: NewListing,
        source: String,
        published_at: Option<DateTime<Utc>>,
    ) -> anyhow::Result<(i64, i64)> {
        let new = new_version("1.0.0", source, published_at);
        let (listing, version) = service(
            listings::create_listing(self.db, self.runner, &self.author, listing, new).await,
        )?;
        Ok((listing.id, version.id))
    }

    /// `count` installs of the version `(listing, version)` into the workspace, at `at`.
    async fn installs(
        &self,
        (connector_id, version_id): (i64, i64),
        count: usize,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let event = InstallEvent {
            connector_id,
            version_id,
            from_version_id: None,
            workspace_id: self.workspace,
            user_id: None,
            kind: InstallKind::Install,
            at,
        };
        for _ in 0..count {
            ledger::record(self.db, &event).await?;
        }
        Ok(())
    }
}

/// One of `SPECS`, published `created_days_ago` and installed as it says.
async fn arrange_spec(a: &Arranger<'_>, spec: &Spec, now: DateTime<Utc>) -> anyhow::Result<()> {
    let listing = NewListing {
        summary: spec.summary.into(),
        description: spec.description.into(),
        keywords: spec.keywords.iter().map(|k| (*k).to_owned()).collect(),
        ..new_listing(spec.slug, spec.name, spec.category)
    };
    let source = connector_source(spec.name, spec.actions);
    let published = now - Duration::days(spec.created_days_ago);
    let ids = a.listing(listing, source, Some(published)).await?;
    a.installs(ids, spec.old_installs, now - Duration::days(45))
        .await?;
    a.installs(ids, spec.recent_installs, now - Duration::days(3))
        .await
}

/// `DEPRECATED` and `UNLISTED`: both say "zephyr", "create" and "contact", and have 20 installs
/// from yesterday.
async fn arrange_hidden(a: &Arranger<'_>, now: DateTime<Utc>) -> anyhow::Result<()> {
    for (slug, name, category, visibility) in [
        (DEPRECATED, "Zephyr Fax", "legacy", Visibility::Public),
        (
            UNLISTED,
            "Zephyr Internal",
            "internal",
            Visibility::Unlisted,
        ),
    ] {
        let listing = NewListing {
            summary: "Zephyr for insiders".into(),
            keywords: vec!["create".into(), "contact".into()],
            visibility,
            ..new_listing(slug, name, category)
        };
        let source = connector_source(name, &[("create_contact", "Create contact")]);
        let ids = a.listing(listing, source, Some(now)).await?;
        a.installs(ids, 20, now - Duration::days(1)).await?;
    }
    let patch = ListingPatch {
        deprecated: Some(true),
        ..ListingPatch::default()
    };
    service(listings::update_listing(a.db, &a.author, DEPRECATED, patch).await)?;
    Ok(())
}

/// The catalog every test here searches, but `common_words`: `SPECS`, `DEPRECATED` and
/// `UNLISTED`.
async fn arrange(app: &TestApp) -> anyhow::Result<()> {
    let a = Arranger::new(app).await?;
    let now = Utc::now();
    for spec in &SPECS {
        arrange_spec(&a, spec, now).await?;
    }
    arrange_hidden(&a, now).await
}

/// The arranged catalog by all-time installs, most first.
const BY_INSTALLS: [&str; 8] = [
    "hubspot",
    "github-tracker",
    "salesforce",
    "xero-ledger",
    "bravo-tasks",
    "stripe-billing",
    "alpha-tasks",
    "zephyr-mail",
];

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

/// The search `vars` walked in pages of `first`, each page handed to `check` with its number
/// (from 1); every page's slugs in order, and how many pages there were.
async fn walk_pages(
    app: &TestApp,
    vars: Value,
    first: usize,
    mut check: impl FnMut(&Value, usize),
) -> anyhow::Result<(Vec<String>, usize)> {
    let mut walked = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let mut page_vars = vars.clone();
        page_vars["first"] = json!(first);
        page_vars["after"] = after;
        let page = search(app, page_vars).await?;
        pages += 1;
        check(&page, pages);
        walked.extend(slugs(&page));
        if page["pageInfo"]["hasNextPage"] == false {
            return Ok((walked, pages));
        }
        anyhow::ensure!(pages < 10, "pagination does not end for {vars}");
        after = page["pageInfo"]["endCursor"].clone();
    }
}
