//! Discovery: full-text search, filters, sorts and facets over the catalog, using each
//! database's own full-text engine. A page is one statement, its total another (asked only when
//! wanted); a ranked search counts first and, for a word matching more than
//! `rank_candidates` listings, ranks the most installed of them (see [`search`]).
//!
//! - SQLite: the FTS5 table `connector_search` ranked by weighted `bm25`.
//! - PostgreSQL: the `search_vector` tsvector (GIN-indexed) ranked by `ts_rank_cd`.
//! - Browsing totals and facets come from `catalog_counts`, kept by triggers.
//!
//! User text never reaches the query syntax of either engine: it is split into alphanumeric
//! words, each matched as a prefix, all required.

use chrono::{Duration, NaiveDate, Utc};
use entities::connector;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, Value};

/// How to order the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogSort {
    /// Best text match first, installs breaking ties; without a search text, as `Installs`.
    Relevance,
    /// Most installed first.
    Installs,
    /// Most installs in the last 30 days first.
    Trending,
    /// Newest listing first.
    Newest,
    /// Alphabetical by name.
    Name,
}

/// A question to the catalog.
#[derive(Debug, Clone)]
pub struct CatalogQuery {
    pub text: Option<String>,
    pub category: Option<String>,
    pub include_deprecated: bool,
    pub sort: CatalogSort,
    pub offset: u64,
    pub limit: u64,
    /// A text search with more matches than this ranks the most installed this many (see
    /// [`RANK_CANDIDATES`]).
    pub rank_candidates: u64,
}

/// One page of listings.
#[derive(Debug, Clone)]
pub struct CatalogPage {
    pub listings: Vec<connector::Model>,
    /// More listings follow this page.
    pub has_next_page: bool,
    /// The number of matches, when finding the page needed it.
    pub total: Option<i64>,
}

/// How many listings of each category match a query (its category filter aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCount {
    pub category: String,
    pub count: i64,
}

const MAX_TERMS: usize = 8;
const MAX_TERM_CHARS: usize = 64;
/// The days that count as "trending".
pub const TRENDING_DAYS: i64 = 30;

const LISTING_COLUMNS: &str = "c.id, c.slug, c.name, c.summary, c.description, c.category, \
    c.keywords, c.visibility, c.source_hidden, c.status, c.latest_version_id, c.install_count, \
    c.active_installs, c.created_at, c.updated_at";

/// Words too common to search by. PostgreSQL's English configuration drops them from queries;
/// dropping them here too makes both databases answer the same.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "if", "in", "into",
    "is", "it", "its", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then",
    "there", "these", "they", "this", "to", "was", "will", "with",
];

/// Split user text into at most eight lowercase alphanumeric words, common words left out.
pub fn search_terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.to_lowercase()
                .chars()
                .take(MAX_TERM_CHARS)
                .collect::<String>()
        })
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .take(MAX_TERMS)
        .collect()
}

/// SQL text with positional parameters in the backend's own style.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }

    fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// Each term as a prefix, all required, in FTS5's query syntax.
fn fts_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Each term as a prefix, all required, in PostgreSQL's tsquery syntax.
fn postgres_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("{t}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The FROM and WHERE shared by the page query and the facet query. Returns whether a text
/// match is part of it (and so a rank is available).
fn push_from_where(sql: &mut Sql, q: &CatalogQuery, with_category: bool) -> bool {
    let terms = q.text.as_deref().map(search_terms).unwrap_or_default();
    let searching = !terms.is_empty();
    match (sql.backend, searching) {
        (DbBackend::Sqlite, true) => {
            sql.push(" FROM connector_search s JOIN connectors c ON c.id = s.rowid")
                .push(" WHERE connector_search MATCH ")
                .bind(fts_query(&terms));
        }
        (DbBackend::Postgres, true) => {
            sql.push(" FROM connectors c, to_tsquery('english', ")
                .bind(postgres_query(&terms))
                .push(") q WHERE c.search_vector @@ q");
        }
        _ => {
            sql.push(" FROM connectors c WHERE 1 = 1");
        }
    }
    sql.push(" AND c.visibility = 'public'");
    push_filters(sql, q, with_category);
    searching
}

/// Status and category conditions on a table aliased `c` (listings or their counts).
fn push_filters(sql: &mut Sql, q: &CatalogQuery, with_category: bool) {
    if !q.include_deprecated {
        sql.push(" AND c.status = 'published'");
    }
    match (with_category, &q.category) {
        // No category holds NUL (and PostgreSQL would refuse to compare with one).
        (true, Some(category)) if category.contains('\0') => {
            sql.push(" AND 1 = 0");
        }
        (true, Some(category)) => {
            sql.push(" AND c.category = ").bind(category.clone());
        }
        _ => {}
    }
}

fn is_text_search(q: &CatalogQuery) -> bool {
    q.text
        .as_deref()
        .is_some_and(|t| !search_terms(t).is_empty())
}

fn trending_since() -> NaiveDate {
    (Utc::now() - Duration::days(TRENDING_DAYS - 1)).date_naive()
}

/// One page of the catalog, in one statement. The total is a question of its own ([`count`]),
/// asked only when a caller wants it: counting every match would make the first page of a
/// large catalog read all of it.
pub async fn search(db: &impl ConnectionTrait, q: &CatalogQuery) -> Result<CatalogPage, DbErr> {
    let backend = db.get_database_backend();
    let mut total = None;
    if q.sort == CatalogSort::Relevance && is_text_search(q) {
        // A ranked search counts first (its total is asked for anyway): a word that matches a
        // large share of the catalog is ranked over its most installed matches only.
        let n = count(db, q).await?;
        if u64::try_from(n).unwrap_or(0) > q.rank_candidates {
            let mut page = ranked_among_popular(db, q, n).await?;
            page.total = Some(n);
            return Ok(page);
        }
        total = Some(n);
    }
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(LISTING_COLUMNS);
    let searching = push_from_where(&mut sql, q, true);
    sql.push(" ORDER BY ");
    match (q.sort, searching) {
        (CatalogSort::Relevance, true) => {
            match backend {
                // bm25 is lower-is-better; weights follow the FTS5 column order.
                DbBackend::Sqlite => {
                    sql.push("bm25(connector_search, 10.0, 4.0, 1.0, 8.0, 3.0) ASC")
                }
                _ => sql.push("ts_rank_cd(c.search_vector, q) DESC"),
            };
            sql.push(", c.install_count DESC");
        }
        (CatalogSort::Relevance | CatalogSort::Installs, _) => {
            sql.push("c.install_count DESC");
        }
        (CatalogSort::Trending, _) => {
            sql.push(
                "(SELECT COALESCE(SUM(d.installs), 0) FROM connector_install_days d \
                 WHERE d.connector_id = c.id AND d.day >= ",
            )
            .bind(trending_since())
            .push(") DESC, c.install_count DESC");
        }
        (CatalogSort::Newest, _) => {
            sql.push("c.created_at DESC");
        }
        (CatalogSort::Name, _) => {
            sql.push("LOWER(c.name) ASC");
        }
    }
    // One row more than the page tells whether another page follows.
    sql.push(", c.id ASC LIMIT ")
        .bind(i64::try_from(q.limit.saturating_add(1)).unwrap_or(i64::MAX))
        .push(" OFFSET ")
        .bind(i64::try_from(q.offset).unwrap_or(i64::MAX));
    let rows = db.query_all_raw(sql.build()).await?;
    let mut listings = rows
        .iter()
        .map(|row| connector::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    let has_next_page = listings.len() as u64 > q.limit;
    listings.truncate(usize::try_from(q.limit).unwrap_or(usize::MAX));
    Ok(CatalogPage {
        listings,
        has_next_page,
        total,
    })
}

/// A search with more matches than [`RANK_CANDIDATES`] ranks the most installed of them.
/// Scoring every match of a common word costs a score per match in the database (bm25 or
/// ts_rank over 25,000 rows: 100-150 ms); the most installed few hundred are found through the
/// installs index, scored here by where the words appear (name, keywords, summary), and ordered
/// by score, then installs.
/// The default of `CatalogQuery::rank_candidates` (configuration `search_rank_candidates`).
pub const RANK_CANDIDATES: u64 = 500;

#[derive(Debug, FromQueryResult)]
struct Candidate {
    id: i64,
    name: String,
    slug: String,
    summary: String,
    keywords: serde_json::Value,
}

impl Candidate {
    /// Field weights as in the full-text index: name 10, keywords 8, summary 4.
    fn score(&self, terms: &[String]) -> u32 {
        let has_word = |text: &str, term: &str| {
            text.split(|c: char| !c.is_alphanumeric())
                .any(|w| w.to_lowercase().starts_with(term))
        };
        let keywords: Vec<&str> = self
            .keywords
            .as_array()
            .map(|k| k.iter().filter_map(|w| w.as_str()).collect())
            .unwrap_or_default();
        terms
            .iter()
            .map(|t| {
                if has_word(&self.name, t) || has_word(&self.slug, t) {
                    10
                } else if keywords.iter().any(|k| has_word(k, t)) {
                    8
                } else if has_word(&self.summary, t) {
                    4
                } else {
                    0
                }
            })
            .sum()
    }
}

/// Matches of `q` by installs, most installed first: `limit` of them from `offset`.
async fn matches_by_installs(
    db: &impl ConnectionTrait,
    q: &CatalogQuery,
    offset: u64,
    limit: u64,
) -> Result<Vec<Candidate>, DbErr> {
    let backend = db.get_database_backend();
    let terms = q.text.as_deref().map(search_terms).unwrap_or_default();
    let mut sql = Sql::new(backend);
    sql.push("SELECT c.id, c.name, c.slug, c.summary, c.keywords FROM connectors c");
    match backend {
        DbBackend::Postgres => {
            sql.push(" WHERE c.search_vector @@ to_tsquery('english', ")
                .bind(postgres_query(&terms))
                .push(")");
        }
        _ => {
            // Walk listings by installs and keep the matches, rather than look up every match.
            if q.category.is_none() && !q.include_deprecated {
                sql.push(" INDEXED BY idx_connectors_listed_installs");
            }
            sql.push(
                " WHERE c.id IN (SELECT rowid FROM connector_search \
                 WHERE connector_search MATCH ",
            )
            .bind(fts_query(&terms))
            .push(")");
        }
    }
    sql.push(" AND c.visibility = 'public'");
    push_filters(&mut sql, q, true);
    sql.push(" ORDER BY c.install_count DESC, c.id ASC LIMIT ")
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .push(" OFFSET ")
        .bind(i64::try_from(offset).unwrap_or(i64::MAX));
    Candidate::find_by_statement(sql.build()).all(db).await
}

/// The page of a search with `total` (more than [`RANK_CANDIDATES`]) matches: the most
/// installed RANK_CANDIDATES ranked by score, then the rest by installs.
async fn ranked_among_popular(
    db: &impl ConnectionTrait,
    q: &CatalogQuery,
    total: i64,
) -> Result<CatalogPage, DbErr> {
    let backend = db.get_database_backend();
    let terms = q.text.as_deref().map(search_terms).unwrap_or_default();
    let end = q.offset.saturating_add(q.limit);
    let mut wanted: Vec<i64> = Vec::new();
    let cap = q.rank_candidates;
    if q.offset < cap {
        let candidates = matches_by_installs(db, q, 0, cap).await?;
        // Candidates come most installed first; a stable sort by score keeps that order for
        // equal scores.
        let mut scored: Vec<(u32, i64)> =
            candidates.iter().map(|c| (c.score(&terms), c.id)).collect();
        scored.sort_by_key(|s| std::cmp::Reverse(s.0));
        wanted.extend(
            scored
                .iter()
                .skip(usize::try_from(q.offset).unwrap_or(usize::MAX))
                .take(usize::try_from(q.limit).unwrap_or(usize::MAX))
                .map(|(_, id)| *id),
        );
    }
    if end > cap {
        // Past the ranked candidates, positions are the same as in the order by installs.
        let from = q.offset.max(cap);
        let rest = matches_by_installs(db, q, from, end - from).await?;
        wanted.extend(rest.iter().map(|c| c.id));
    }
    let has_next_page = u64::try_from(total).unwrap_or(0) > end;
    let mut sql = Sql::new(backend);
    sql.push("SELECT ")
        .push(LISTING_COLUMNS)
        .push(" FROM connectors c WHERE c.id IN (");
    for (i, id) in wanted.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    if wanted.is_empty() {
        sql.push("NULL");
    }
    sql.push(")");
    let mut by_id: std::collections::HashMap<i64, connector::Model> = db
        .query_all_raw(sql.build())
        .await?
        .iter()
        .map(|row| connector::Model::from_query_result(row, "").map(|m| (m.id, m)))
        .collect::<Result<_, _>>()?;
    let listings = wanted.iter().filter_map(|id| by_id.remove(id)).collect();
    Ok(CatalogPage {
        listings,
        has_next_page,
        total: None,
    })
}

/// How many listings match `q`. Browsing (no search text) adds up the maintained
/// `catalog_counts` rows; a text search counts its matches.
pub async fn count(db: &impl ConnectionTrait, q: &CatalogQuery) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    if is_text_search(q) && backend == DbBackend::Sqlite && q.category.is_none() {
        // The full-text index counts its matches without reading listings (5 ms for 25,000
        // against 40 ms joined), leaving out the few listings the catalog does not list, read
        // from a partial index (INDEXED BY: the planner would rather scan the table).
        let terms = q.text.as_deref().map(search_terms).unwrap_or_default();
        let hidden = if q.include_deprecated {
            "connectors c INDEXED BY idx_connectors_unlisted WHERE c.visibility <> 'public'"
        } else {
            "connectors c INDEXED BY idx_connectors_not_listed \
             WHERE (c.visibility <> 'public' OR c.status <> 'published')"
        };
        sql.push("SELECT COUNT(*) AS n FROM connector_search WHERE connector_search MATCH ")
            .bind(fts_query(&terms))
            .push(" AND rowid NOT IN (SELECT c.id FROM ")
            .push(hidden)
            .push(")");
    } else if is_text_search(q) {
        sql.push("SELECT COUNT(*) AS n");
        push_from_where(&mut sql, q, true);
    } else {
        sql.push(
            "SELECT CAST(COALESCE(SUM(c.listings), 0) AS BIGINT) AS n FROM catalog_counts c \
             WHERE c.visibility = 'public'",
        );
        push_filters(&mut sql, q, true);
    }
    let row = db.query_one_raw(sql.build()).await?;
    row.map(|r| r.try_get::<i64>("", "n"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}

/// Category facets for a query: counts per category of everything the query matches, ignoring
/// its own category filter so that other categories stay selectable.
pub async fn facets(
    db: &impl ConnectionTrait,
    q: &CatalogQuery,
) -> Result<Vec<CategoryCount>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    if is_text_search(q) {
        sql.push("SELECT c.category AS category, COUNT(*) AS n");
        push_from_where(&mut sql, q, false);
        sql.push(" GROUP BY c.category");
    } else {
        sql.push(
            "SELECT c.category AS category, CAST(SUM(c.listings) AS BIGINT) AS n \
             FROM catalog_counts c WHERE c.visibility = 'public'",
        );
        push_filters(&mut sql, q, false);
        sql.push(" GROUP BY c.category HAVING SUM(c.listings) > 0");
    }
    sql.push(" ORDER BY n DESC, category ASC");
    let rows = db.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|row| {
            Ok(CategoryCount {
                category: row.try_get("", "category")?,
                count: row.try_get("", "n")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_becomes_plain_words() {
        assert_eq!(search_terms("GitHub  issues!"), vec!["github", "issues"]);
        assert_eq!(
            search_terms("\"x\" OR y* NEAR(z)"),
            vec!["x", "y", "near", "z"]
        );
        assert_eq!(search_terms("a:b & c | !d"), vec!["b", "c", "d"]);
        assert_eq!(
            search_terms("the issues of GitHub"),
            vec!["issues", "github"]
        );
        assert!(search_terms(" -- ").is_empty());
        assert_eq!(search_terms(&"w ".repeat(20)).len(), MAX_TERMS);
    }
}
