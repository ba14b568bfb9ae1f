//! Writing the generated catalog: each table in large multi-row INSERTs inside a transaction.

use chrono::{Duration, NaiveDate};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Value};
use serde_json::json;
use service::db;

use super::Plan;
use super::bulk::BulkInsert;
use super::catalog::GenListing;
use super::history::History;
use super::sources::Family;

/// The authors (`author-00000`, …) and the workspaces (`ws-00000`, …).
pub(super) async fn people(db: &DatabaseConnection, plan: &Plan) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let txn = db::begin_write(db).await?;
    let row = "(?, ?, ?, ?, ?)";
    let columns = "id, handle, display_name, email, created_at";
    let mut ins = BulkInsert::new(backend, "users", columns, row, 2_000);
    for a in 0..plan.n_authors {
        let values: [Value; 5] = [
            (plan.user_base + 1 + a as i64).into(),
            format!("author-{a:05}").into(),
            format!("Author {a}").into(),
            format!("author-{a:05}@example.com").into(),
            (plan.now - Duration::days(800)).into(),
        ];
        ins.push(&txn, values).await?;
    }
    ins.flush(&txn).await?;
    let columns = "id, slug, name, environment, created_at";
    let mut ins = BulkInsert::new(backend, "workspaces", columns, row, 2_000);
    for w in 0..plan.n_workspaces {
        let values: [Value; 5] = [
            (plan.ws_base + 1 + w as i64).into(),
            format!("ws-{w:05}").into(),
            format!("Workspace {w}").into(),
            ["development", "test", "production"][w % 3].into(),
            (plan.now - Duration::days(400)).into(),
        ];
        ins.push(&txn, values).await?;
    }
    ins.flush(&txn).await?;
    txn.commit().await?;
    Ok(())
}

const LISTING_COLUMNS: &str = "id, slug, name, summary, description, category, keywords, \
    visibility, source_hidden, status, latest_version_id, install_count, active_installs, \
    created_at, updated_at";
const LISTING_ROW: &str = "(?, ?, ?, ?, ?, ?, ?, 'public', false, 'published', ?, ?, ?, ?, ?)";
/// PostgreSQL's row adds the weighted search vector (the columns: `LISTING_COLUMNS`,
/// search_vector).
const PG_LISTING_ROW: &str = "(?, ?, ?, ?, ?, ?, ?, 'public', false, 'published', ?, ?, ?, ?, ?, \
    setweight(to_tsvector('english', ?), 'A') || \
    setweight(to_tsvector('english', ?), 'A') || \
    setweight(to_tsvector('english', ?), 'B') || \
    setweight(to_tsvector('english', ?), 'B') || \
    setweight(to_tsvector('english', ?), 'C'))";

/// The listings with their search documents (FTS5 rows on SQLite, `search_vector` on
/// PostgreSQL) and their owners.
pub(super) async fn listings(
    db: &DatabaseConnection,
    plan: &Plan,
    listings: &[GenListing],
    families: &[Family],
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let txn = db::begin_write(db).await?;
    let pg_columns = format!("{LISTING_COLUMNS}, search_vector");
    let (columns, row) = match backend {
        DbBackend::Postgres => (pg_columns.as_str(), PG_LISTING_ROW),
        _ => (LISTING_COLUMNS, LISTING_ROW),
    };
    let mut ins = BulkInsert::new(backend, "connectors", columns, row, 1_000);
    let fts_columns = "rowid, name, summary, description, keywords, capabilities";
    let mut fts = BulkInsert::new(
        backend,
        "connector_search",
        fts_columns,
        "(?, ?, ?, ?, ?, ?)",
        1_000,
    );
    for l in listings {
        let mut values = listing_values(l, plan);
        let [name, keywords, capabilities] = search_document(l, families);
        if backend == DbBackend::Postgres {
            let (summary, description) = (l.summary.clone(), l.description.clone());
            values.extend([name, keywords, summary, capabilities, description].map(Value::from));
            ins.push(&txn, values).await?;
        } else {
            ins.push(&txn, values).await?;
            let (summary, description) = (l.summary.clone(), l.description.clone());
            let doc = [name, summary, description, keywords, capabilities].map(Value::from);
            fts.push(&txn, std::iter::once(l.id.into()).chain(doc))
                .await?;
        }
    }
    ins.flush(&txn).await?;
    fts.flush(&txn).await?;
    owners(&txn, plan, listings).await?;
    txn.commit().await?;
    Ok(())
}

/// A listing's row, as `LISTING_ROW` binds it.
fn listing_values(l: &GenListing, plan: &Plan) -> Vec<Value> {
    let updated = l
        .versions
        .last()
        .map_or(l.created_at, |v| v.2)
        .min(plan.now);
    vec![
        l.id.into(),
        l.slug.clone().into(),
        l.name.clone().into(),
        l.summary.clone().into(),
        l.description.clone().into(),
        l.category.clone().into(),
        json!(l.keywords).into(),
        l.versions.last().map(|v| v.0).into(),
        l.install_count.into(),
        l.active_installs.into(),
        l.created_at.into(),
        updated.into(),
    ]
}

/// The search document's name, keywords and capabilities, as `catalog::search_index` writes
/// them (summary and description are the listing's own).
fn search_document(l: &GenListing, families: &[Family]) -> [String; 3] {
    let name = format!("{} {}", l.name, l.slug.replace('-', " "));
    let capabilities = l
        .versions
        .last()
        .map(|v| families[l.family].versions[v.1].search_text.clone())
        .unwrap_or_default();
    [name, l.keywords.join(" "), capabilities]
}

async fn owners(
    txn: &impl ConnectionTrait,
    plan: &Plan,
    listings: &[GenListing],
) -> anyhow::Result<()> {
    let backend = txn.get_database_backend();
    let columns = "connector_id, user_id, added_at";
    let mut ins = BulkInsert::new(backend, "connector_owners", columns, "(?, ?, ?)", 5_000);
    for l in listings {
        for (k, owner) in l.owners.iter().enumerate() {
            let values: [Value; 3] = [
                l.id.into(),
                (plan.user_base + 1 + *owner as i64).into(),
                (l.created_at + Duration::days(k as i64))
                    .min(plan.now)
                    .into(),
            ];
            ins.push(txn, values).await?;
        }
    }
    ins.flush(txn).await
}

/// Every listing's versions with their real source and the counters the history added up.
pub(super) async fn versions(
    db: &DatabaseConnection,
    plan: &Plan,
    listings: &[GenListing],
    families: &[Family],
    history: &History,
) -> anyhow::Result<()> {
    let txn = db::begin_write(db).await?;
    let mut ins = BulkInsert::new(
        db.get_database_backend(),
        "connector_versions",
        "id, connector_id, version, source, sha256, release_notes, breaking, breaking_message, \
         capabilities, published_at, published_by, yanked, yanked_at, install_count, active_installs",
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, NULL, ?, ?)",
        250,
    );
    for l in listings {
        for &(id, index, at) in &l.versions {
            let v = &families[l.family].versions[index];
            let (installs, active) = history.version_counts.get(&id).copied().unwrap_or_default();
            let values: [Value; 13] = [
                id.into(),
                l.id.into(),
                v.version.clone().into(),
                v.source.clone().into(),
                v.sha256.clone().into(),
                v.notes.clone().into(),
                v.breaking.is_some().into(),
                v.breaking.clone().into(),
                v.capabilities.clone().into(),
                at.into(),
                (plan.user_base + 1 + l.owners[0] as i64).into(),
                installs.into(),
                active.into(),
            ];
            ins.push(&txn, values).await?;
        }
    }
    ins.flush(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// The install events and the daily install summary.
pub(super) async fn events(
    db: &DatabaseConnection,
    plan: &Plan,
    listings: &[GenListing],
    history: &History,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let txn = db::begin_write(db).await?;
    let mut ins = BulkInsert::new(
        backend,
        "install_events",
        "connector_id, version_id, from_version_id, workspace_id, user_id, kind, at",
        "(?, ?, ?, ?, NULL, ?, ?)",
        5_000,
    );
    for e in &history.events {
        let values: [Value; 6] = [
            listings[e.listing as usize].id.into(),
            e.version_id.into(),
            e.from_version_id.into(),
            (plan.ws_base + 1 + i64::from(e.workspace)).into(),
            e.kind.as_str().into(),
            e.at.into(),
        ];
        ins.push(&txn, values).await?;
    }
    ins.flush(&txn).await?;
    let columns = "connector_id, day, installs";
    let mut ins = BulkInsert::new(
        backend,
        "connector_install_days",
        columns,
        "(?, ?, ?)",
        10_000,
    );
    let mut day_rows: Vec<(&(u32, NaiveDate), &i64)> = history.days.iter().collect();
    day_rows.sort_unstable();
    for ((li, day), installs) in day_rows {
        let values: [Value; 3] = [
            listings[*li as usize].id.into(),
            (*day).into(),
            (*installs).into(),
        ];
        ins.push(&txn, values).await?;
    }
    ins.flush(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// After the bulk load: PostgreSQL's id sequences past the ids written, and the statistics
/// autovacuum would gather shortly; SQLite's full-text index merged.
pub(super) async fn upkeep(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        db.execute_unprepared("INSERT INTO connector_search(connector_search) VALUES ('optimize')")
            .await?;
        return Ok(());
    }
    for table in [
        "users",
        "workspaces",
        "connectors",
        "connector_versions",
        "install_events",
    ] {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             (SELECT COALESCE(MAX(id), 1) FROM {table}))"
        ))
        .await?;
    }
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}
