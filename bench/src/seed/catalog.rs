//! The listings in memory: names, texts, categories, owners and version dates, from a seeded
//! random generator (so the same N gives the same catalog).

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;

use super::sources::Family;
use super::{COMMON_TERM, Plan, RARE_TERM};

const ADJECTIVES: &[&str] = &[
    "Swift", "Bright", "Quiet", "Solid", "Open", "Clear", "Rapid", "Simple", "Smart", "Steady",
    "Bold", "Lucid", "Prime", "Silver", "Amber", "Cobalt", "Crimson", "Golden", "Polar", "Urban",
];
const NOUNS: &[&str] = &[
    "Invoice",
    "Ticket",
    "Calendar",
    "Inventory",
    "Payroll",
    "Survey",
    "Shipment",
    "Lead",
    "Contract",
    "Expense",
    "Feedback",
    "Order",
    "Catalog",
    "Campaign",
    "Document",
    "Timesheet",
    "Warehouse",
    "Booking",
    "Subscription",
    "Analytics",
    "Support",
    "Recruiting",
    "Billing",
    "Forecast",
    "Asset",
    "Compliance",
    "Marketing",
    "Chat",
    "Storage",
    "Weather",
];
const KINDS: &[&str] = &[
    "Sync", "Bridge", "Hub", "Connect", "Relay", "Link", "Gateway", "Pipe", "Flow", "Port",
];
const TOPICS: &[&str] = &[
    "records",
    "contacts",
    "files",
    "events",
    "messages",
    "payments",
    "reports",
    "tasks",
    "orders",
    "customers",
    "projects",
    "invoices",
    "alerts",
    "metrics",
    "users",
    "tickets",
];
const VERBS: &[&str] = &[
    "Create", "Update", "Find", "Archive", "Export", "Import", "Watch", "Tag", "Merge", "Route",
];
const CATEGORIES: &[&str] = &[
    "communication",
    "crm",
    "data",
    "developer-tools",
    "email",
    "erp",
    "finance",
    "marketing",
    "payments",
    "productivity",
    "storage",
    "support",
    "utilities",
    "analytics",
];
const KEYWORDS: &[&str] = &[
    "api",
    "sync",
    "automation",
    "webhooks",
    "reports",
    "crm",
    "email",
    "files",
    "chat",
    "billing",
    "tickets",
    "calendar",
    "inventory",
    "analytics",
    "forms",
    "sales",
    "hr",
    "devops",
    "alerts",
    "storage",
];

fn pick<'a>(rng: &mut StdRng, words: &[&'a str]) -> &'a str {
    words[rng.random_range(0..words.len())]
}

/// One generated listing, with the counters its simulated history adds up.
pub(super) struct GenListing {
    pub(super) id: i64,
    pub(super) slug: String,
    pub(super) name: String,
    pub(super) summary: String,
    pub(super) description: String,
    pub(super) category: String,
    pub(super) keywords: Vec<String>,
    /// Indexes of the authors who own it; the first published every version.
    pub(super) owners: Vec<usize>,
    pub(super) created_at: DateTime<Utc>,
    /// The example connector it is built on (an index into the families).
    pub(super) family: usize,
    /// (version id, index into the family's versions, published at)
    pub(super) versions: Vec<(i64, usize, DateTime<Utc>)>,
    pub(super) install_count: i64,
    pub(super) active_installs: i64,
}

/// The texts a listing is found by.
struct Texts {
    name: String,
    slug: String,
    summary: String,
    description: String,
}

/// `plan.n` listings, the i-th built on example `i % families.len()`.
pub(super) fn generate_listings(
    rng: &mut StdRng,
    plan: &Plan,
    families: &[Family],
) -> Vec<GenListing> {
    let mut listings = Vec::with_capacity(plan.n);
    let mut next_version = plan.version_base;
    for i in 0..plan.n {
        let family = i % families.len();
        let fam = &families[family];
        let texts = texts(rng, i);
        let (category, keywords) = category_and_keywords(rng, &fam.category);
        let owners = owners(rng, plan.n_authors);
        let created_at = plan.now - Duration::minutes(rng.random_range(30 * 1440..730 * 1440));
        let count = rng.random_range(2..=4).min(fam.versions.len());
        let versions = version_dates(rng, plan.now, created_at, count, &mut next_version);
        listings.push(GenListing {
            id: plan.listing_base + 1 + i as i64,
            slug: texts.slug,
            name: texts.name,
            summary: texts.summary,
            description: texts.description,
            category,
            keywords,
            owners,
            created_at,
            family,
            versions,
            install_count: 0,
            active_installs: 0,
        });
    }
    listings
}

/// Name, slug, summary and description; one listing in four mentions [`COMMON_TERM`], one in
/// 10,000 [`RARE_TERM`].
fn texts(rng: &mut StdRng, i: usize) -> Texts {
    let (adj, noun, kind) = (pick(rng, ADJECTIVES), pick(rng, NOUNS), pick(rng, KINDS));
    let name = format!("{adj} {noun} {kind} {i}");
    let slug = format!(
        "{}-{}-{}-{i}",
        adj.to_lowercase(),
        noun.to_lowercase(),
        kind.to_lowercase()
    );
    let topic = pick(rng, TOPICS);
    let mut summary = format!(
        "{} and sync {topic} between {noun} tools and your workspace.",
        pick(rng, VERBS)
    );
    if i % 4 == 1 {
        summary.push_str(&format!(" Built on the {COMMON_TERM} framework."));
    }
    let mut description = format!(
        "## {name}\n\n{name} connects {noun} systems to your recipes. {} {topic}, {} {} \
         and react when {} change. Works with the {} API; authenticate with an API key or \
         OAuth.\n\nMaintained by its authors; issues and ideas are welcome.",
        pick(rng, VERBS),
        pick(rng, VERBS).to_lowercase(),
        pick(rng, TOPICS),
        pick(rng, TOPICS),
        noun
    );
    if i % 10_000 == 7 {
        description.push_str(&format!(" Includes the {RARE_TERM} extension."));
    }
    Texts {
        name,
        slug,
        summary,
        description,
    }
}

/// Half the listings keep their example's category; two to five distinct keywords.
fn category_and_keywords(rng: &mut StdRng, example_category: &str) -> (String, Vec<String>) {
    let category = if rng.random_bool(0.5) {
        example_category.to_owned()
    } else {
        pick(rng, CATEGORIES).to_owned()
    };
    let mut keywords: Vec<String> = Vec::new();
    for _ in 0..rng.random_range(2..=5) {
        let k = pick(rng, KEYWORDS).to_owned();
        if !keywords.contains(&k) {
            keywords.push(k);
        }
    }
    (category, keywords)
}

/// Authors: a long tail — a few publish hundreds of listings, most publish a handful; one
/// listing in ten has a second owner.
fn owners(rng: &mut StdRng, n_authors: usize) -> Vec<usize> {
    let u: f64 = rng.random();
    let mut owners = vec![((u * u) * n_authors as f64) as usize % n_authors];
    if rng.random_bool(0.1) {
        let second = rng.random_range(0..n_authors);
        if second != owners[0] {
            owners.push(second);
        }
    }
    owners
}

/// `count` versions spread over the listing's life, the first at its creation.
fn version_dates(
    rng: &mut StdRng,
    now: DateTime<Utc>,
    created_at: DateTime<Utc>,
    count: usize,
    next_version: &mut i64,
) -> Vec<(i64, usize, DateTime<Utc>)> {
    let span = (now - created_at).num_minutes();
    let mut versions = Vec::with_capacity(count);
    for v in 0..count {
        *next_version += 1;
        let at = if v == 0 {
            created_at
        } else {
            created_at
                + Duration::minutes(span * v as i64 / count as i64)
                + Duration::minutes(rng.random_range(0..1440))
        };
        versions.push((*next_version, v, at));
    }
    versions
}
