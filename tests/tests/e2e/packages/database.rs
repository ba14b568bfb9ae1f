//! The database read around the API: a signature of every table (to prove a refusal wrote
//! nothing), the secrets the API never returns, ids for rows the API cannot make.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};

use super::*;

/// Every table the signature must cover: a table missing here means the query missed it.
const EXPECTED_TABLES: [&str; 18] = [
    "api_tokens",
    "audit_events",
    "casbin_rule",
    "connections",
    "connectors",
    "connector_install_days",
    "connector_owners",
    "connector_versions",
    "install_events",
    "notifications",
    "packages",
    "recipes",
    "recipe_connectors",
    "roles",
    "users",
    "workspaces",
    "workspace_connectors",
    "workspace_connector_versions",
];

/// Row count and a sha256 over the rows (ordered by id, or by every column when there is no id)
/// of every table except the migrations table, computed with raw SQL.
pub async fn db_signature(app: &TestApp) -> anyhow::Result<BTreeMap<String, (usize, String)>> {
    let db = app.conn()?;
    let sqlite = app.backend == Backend::Sqlite;
    let list = if sqlite {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    } else {
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
    };
    let mut out = BTreeMap::new();
    for table in strings(db, list.to_owned()).await? {
        if table != "seaql_migrations" {
            let signature = table_signature(db, sqlite, &table).await?;
            out.insert(table, signature);
        }
    }
    for table in EXPECTED_TABLES {
        anyhow::ensure!(out.contains_key(table), "the signature misses {table}");
    }
    Ok(out)
}

/// The first column of every row `sql` returns, as text.
async fn strings(db: &DatabaseConnection, sql: String) -> anyhow::Result<Vec<String>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        out.push(row.try_get_by_index::<String>(0)?);
    }
    Ok(out)
}

/// `table`'s row count and the sha256 over its rows, every column as text (or null).
async fn table_signature(
    db: &DatabaseConnection,
    sqlite: bool,
    table: &str,
) -> anyhow::Result<(usize, String)> {
    use sha2::Digest as _;
    let columns_sql = if sqlite {
        format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid")
    } else {
        format!(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
        )
    };
    let columns = strings(db, columns_sql).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            rows_sql(sqlite, table, &columns),
        ))
        .await?;
    let mut hasher = sha2::Sha256::new();
    for row in &rows {
        for i in 0..columns.len() {
            let value = row.try_get_by_index::<Option<String>>(i)?;
            match value {
                Some(v) => {
                    hasher.update(b"v");
                    hasher.update((v.len() as u64).to_le_bytes());
                    hasher.update(v.as_bytes());
                }
                None => hasher.update(b"n"),
            }
        }
        hasher.update(b"\n");
    }
    Ok((rows.len(), hex::encode(hasher.finalize())))
}

/// Every row of `table` with every column as text, ordered by id or else by every column.
fn rows_sql(sqlite: bool, table: &str, columns: &[String]) -> String {
    let select: Vec<String> = columns
        .iter()
        .map(|c| {
            if sqlite {
                format!("quote(\"{c}\")")
            } else {
                format!("\"{c}\"::text")
            }
        })
        .collect();
    let order = if columns.iter().any(|c| c == "id") {
        "\"id\"".to_owned()
    } else {
        (1..=columns.len())
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "SELECT {} FROM \"{table}\" ORDER BY {order}",
        select.join(", ")
    )
}

/// The tables whose signature differs.
pub(super) fn changed_tables(
    before: &BTreeMap<String, (usize, String)>,
    after: &BTreeMap<String, (usize, String)>,
) -> Vec<String> {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| before.get(*n) != after.get(*n))
        .cloned()
        .collect()
}

/// The tables written since `before` was taken.
pub(super) async fn written_since(
    app: &TestApp,
    before: &BTreeMap<String, (usize, String)>,
) -> anyhow::Result<Vec<String>> {
    Ok(changed_tables(before, &db_signature(app).await?))
}

/// The tables written since `before` was taken, but for the package history and the audit log
/// (which record even a no-op import).
pub(super) async fn assets_written_since(
    app: &TestApp,
    before: &BTreeMap<String, (usize, String)>,
) -> anyhow::Result<Vec<String>> {
    let mut changed = written_since(app, before).await?;
    changed.retain(|t| t != "packages" && t != "audit_events");
    Ok(changed)
}

/// Since `before` was taken, one row was written: an audit event, the refusal.
pub(super) async fn assert_only_the_refusal_audited(
    app: &TestApp,
    before: &BTreeMap<String, (usize, String)>,
) -> anyhow::Result<()> {
    let after = db_signature(app).await?;
    assert_eq!(changed_tables(before, &after), ["audit_events"]);
    assert_eq!(
        after["audit_events"].0,
        before["audit_events"].0 + 1,
        "one audit row, the refusal"
    );
    Ok(())
}

/// The stored secrets of the connections with `asset_id`, ordered by id (read from the database:
/// the API never returns them).
pub(super) async fn secrets_of(app: &TestApp, asset_id: &str) -> anyhow::Result<Vec<Value>> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
    Ok(entities::connection::Entity::find()
        .filter(entities::connection::Column::AssetId.eq(asset_id))
        .order_by_asc(entities::connection::Column::Id)
        .all(app.conn()?)
        .await?
        .into_iter()
        .map(|c| c.secrets)
        .collect())
}

/// The row id of the workspace `slug`.
pub(super) async fn workspace_id(app: &TestApp, slug: &str) -> anyhow::Result<i64> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
    entities::workspace::Entity::find()
        .filter(entities::workspace::Column::Slug.eq(slug))
        .one(app.conn()?)
        .await?
        .map(|w| w.id)
        .ok_or_else(|| anyhow::anyhow!("no workspace {slug}"))
}
