//! `patchbay-bench seed --scale N` as the harness runs it, on SQLite and PostgreSQL: the
//! counters it writes agree with the install events it writes, the fixtures the harness and
//! `bench/lua/install.lua` use are there, and it refuses what it cannot do.

use std::process::{Command, Output};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tests::{Backend, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_patchbay-bench");

fn seed(db: &TestDatabase, scale: &str) -> anyhow::Result<Output> {
    Ok(Command::new(BIN)
        .args(["seed", "--scale", scale])
        .env("DATABASE_URL", &db.url)
        .env_remove("PATCHBAY_CONFIG")
        .output()?)
}

/// A fresh database seeded with 300 listings, and a connection to it.
async fn seeded(backend: Backend) -> anyhow::Result<(TestDatabase, DatabaseConnection)> {
    let db = TestDatabase::create(backend).await?;
    let out = seed(&db, "300")?;
    anyhow::ensure!(
        out.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = Database::connect(db.url.clone()).await?;
    Ok((db, conn))
}

async fn count(conn: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row: {sql}"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Every listing's counters are what its install events add up to.
async fn counters_agree_with_the_events(backend: Backend) -> anyhow::Result<()> {
    let (_db, conn) = seeded(backend).await?;
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT c.id, c.install_count, c.active_installs, \
               (SELECT COUNT(*) FROM install_events e WHERE e.connector_id = c.id AND e.kind = 'install') AS installs, \
               (SELECT COUNT(*) FROM install_events e WHERE e.connector_id = c.id AND e.kind = 'uninstall') AS uninstalls, \
               (SELECT CAST(COALESCE(SUM(d.installs), 0) AS BIGINT) FROM connector_install_days d WHERE d.connector_id = c.id) AS daily \
             FROM connectors c",
        ))
        .await?;
    assert_eq!(rows.len(), 300);
    let mut total = 0i64;
    for row in &rows {
        let id: i64 = row.try_get("", "id")?;
        let install_count: i64 = row.try_get("", "install_count")?;
        let active: i64 = row.try_get("", "active_installs")?;
        let installs: i64 = row.try_get("", "installs")?;
        let uninstalls: i64 = row.try_get("", "uninstalls")?;
        let daily: i64 = row.try_get("", "daily")?;
        assert_eq!(install_count, installs, "listing {id}");
        assert_eq!(active, installs - uninstalls, "listing {id}");
        assert_eq!(daily, installs, "listing {id}");
        total += installs;
    }
    assert!(total > 1_000, "a long tail of installs, got {total}");
    conn.close().await?;
    Ok(())
}

#[tokio::test]
async fn counters_agree_with_the_events_sqlite() -> anyhow::Result<()> {
    counters_agree_with_the_events(Backend::Sqlite).await
}

#[tokio::test]
async fn counters_agree_with_the_events_postgres() -> anyhow::Result<()> {
    counters_agree_with_the_events(Backend::Postgres).await
}

/// The `bench` user administers `bench-01` … `bench-64`, `pkg-src` holds 100 released copies
/// and 1,000 recipes, and `pkg-dst` is empty.
async fn the_harness_fixtures_are_there(backend: Backend) -> anyhow::Result<()> {
    let (_db, conn) = seeded(backend).await?;
    // Membership is the policy's grouping lines (`service::authz::policy`).
    let admin_of = "SELECT COUNT(*) FROM casbin_rule r JOIN users u ON r.v0 = 'user:' || u.id \
                    JOIN workspaces w ON r.v2 = 'ws:' || w.id \
                    WHERE r.ptype = 'g' AND u.handle = 'bench' AND r.v1 = 'role:admin'";
    assert_eq!(
        count(&conn, &format!("{admin_of} AND w.slug LIKE 'bench-%'")).await?,
        64
    );
    assert_eq!(
        count(
            &conn,
            &format!("{admin_of} AND w.slug IN ('pkg-src', 'pkg-dst')")
        )
        .await?,
        2
    );
    let in_workspace = |table: &str, slug: &str| {
        format!(
            "SELECT COUNT(*) FROM {table} t JOIN workspaces w ON w.id = t.workspace_id \
             WHERE w.slug = '{slug}'"
        )
    };
    let released = format!(
        "{} AND t.released_number IS NOT NULL",
        in_workspace("workspace_connectors", "pkg-src")
    );
    assert_eq!(count(&conn, &released).await?, 100);
    assert_eq!(
        count(&conn, &in_workspace("recipes", "pkg-src")).await?,
        1_000
    );
    assert_eq!(
        count(&conn, &in_workspace("workspace_connectors", "pkg-dst")).await?,
        0
    );
    assert_eq!(count(&conn, &in_workspace("recipes", "pkg-dst")).await?, 0);
    conn.close().await?;
    Ok(())
}

#[tokio::test]
async fn the_harness_fixtures_are_there_sqlite() -> anyhow::Result<()> {
    the_harness_fixtures_are_there(Backend::Sqlite).await
}

#[tokio::test]
async fn the_harness_fixtures_are_there_postgres() -> anyhow::Result<()> {
    the_harness_fixtures_are_there(Backend::Postgres).await
}

#[tokio::test]
async fn a_catalog_that_is_not_empty_is_refused() -> anyhow::Result<()> {
    let (db, conn) = seeded(Backend::Sqlite).await?;
    conn.close().await?;
    let again = seed(&db, "300")?;
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("fills an empty catalog"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn fewer_than_100_listings_is_refused() -> anyhow::Result<()> {
    let db = TestDatabase::create(Backend::Sqlite).await?;
    let out = seed(&db, "99")?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("at least 100 listings"), "{stderr}");
    Ok(())
}
