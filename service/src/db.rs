//! The database connection: connect (SQLite file or PostgreSQL), tune, migrate, count statements,
//! and begin write transactions that wait for each other instead of failing.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::telemetry::Metrics;

/// Connect to `url` with at most `pool_size` connections (a default per backend), apply pending
/// migrations, and report every statement to `metrics`.
pub async fn connect(
    url: &str,
    pool_size: Option<u32>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<DatabaseConnection> {
    let data_dir = sqlite_path(url)
        .and_then(|path| std::path::Path::new(path).parent())
        .filter(|dir| !dir.as_os_str().is_empty());
    if let Some(dir) = data_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating data directory {}", dir.display()))?;
    }
    if url.starts_with("sqlite:") {
        sqlite_memstatus_off();
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false);
    if url.starts_with("sqlite:") {
        options
            .max_connections(pool_size.unwrap_or(8))
            .min_connections(1);
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
    } else {
        // Writers hold a connection across a transaction's round trips; with many concurrent
        // installs, 16 connections were the queue (BENCHMARKS.md).
        options
            .max_connections(pool_size.unwrap_or(32))
            .min_connections(1);
    }
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        reach_postgres(url).await?;
    }
    let mut db = Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact_url(url)))?;
    db.set_metric_callback(move |info| {
        Metrics::add(&metrics.db_statements, 1);
        Metrics::add(
            &metrics.db_statement_micros,
            u64::try_from(info.elapsed.as_micros()).unwrap_or(u64::MAX),
        );
        if info.failed {
            Metrics::add(&metrics.db_statement_failures, 1);
        }
    });
    Migrator::up(&db, None)
        .await
        .context("applying database migrations")?;
    Ok(db)
}

/// One connection to PostgreSQL before the pool, with a short deadline, so that an unreachable
/// or refusing server is reported at once with its real cause ("connection refused",
/// "password authentication failed") rather than as the pool's "timed out" half a minute later.
async fn reach_postgres(url: &str) -> anyhow::Result<()> {
    use sea_orm::sqlx::ConnectOptions as _;
    use sea_orm::sqlx::Connection as _;
    let what = || format!("connecting to {}", redact_url(url));
    let options: sea_orm::sqlx::postgres::PgConnectOptions = url.parse().with_context(what)?;
    match tokio::time::timeout(POSTGRES_REACH_TIMEOUT, options.connect()).await {
        Err(_) => anyhow::bail!(
            "{}: no answer within {} s",
            what(),
            POSTGRES_REACH_TIMEOUT.as_secs()
        ),
        Ok(Err(err)) => Err(anyhow::Error::new(err).context(what())),
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
    }
}

/// How long `serve` waits for PostgreSQL to answer at start-up.
const POSTGRES_REACH_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite keeps global memory statistics behind one mutex that every allocation of every
/// connection takes; switched off, statements run about a third faster under concurrency
/// (`PERFORMANCE.md`). SQLite accepts the switch only before it initialises, that is before the
/// process opens its first connection; later calls are refused (`SQLITE_MISUSE`) and harmless.
fn sqlite_memstatus_off() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` with `SQLITE_CONFIG_MEMSTATUS` takes one int. Every SQLite
        // connection of this process is opened by `connect`, after this `Once`, so no other
        // thread is inside SQLite while it runs.
        #[allow(unsafe_code)]
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0_i32)
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(
                rc,
                "SQLite was already initialised; memory statistics stay on"
            );
        }
    });
}

/// Begin a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing with
/// "database is locked" when a read lock cannot be upgraded.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let mut options = TransactionOptions::default();
    if db.get_database_backend() == DbBackend::Sqlite {
        options.sqlite_transaction_mode = Some(SqliteTransactionMode::Immediate);
    }
    db.begin_with_options(options).await
}

/// The last answer of [`writable`], shared: `/readyz` needs no token, so a flood of probes must
/// not become a flood of write probes. One probe runs at a time; its answer serves every caller
/// for [`Readiness::FRESH_FOR`].
#[derive(Default)]
pub struct Readiness {
    last: tokio::sync::Mutex<Option<(std::time::Instant, Result<(), String>)>>,
}

impl Readiness {
    pub const FRESH_FOR: Duration = Duration::from_secs(2);

    /// Whether the database takes writes, probed at most once per [`Self::FRESH_FOR`].
    pub async fn check(&self, db: &DatabaseConnection) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, answer)) = last.as_ref()
            && at.elapsed() < Self::FRESH_FOR
        {
            return answer.clone();
        }
        let answer = writable(db).await.map_err(|err| err.to_string());
        *last = Some((std::time::Instant::now(), answer.clone()));
        answer
    }
}

/// Can the database take a write? Used by `/readyz`: a read-only SQLite file (opened read-only
/// by SQLite without a word) or a read-only PostgreSQL (a standby, `default_transaction_read_only`)
/// answers reads and refuses every signed-in request. The probe runs a write that changes no row
/// in a transaction that is rolled back, so nothing reaches the disk.
pub async fn writable(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait;
    let probe = async {
        let txn = db.begin().await?;
        txn.execute_unprepared("DELETE FROM audit_events WHERE 1 = 0")
            .await?;
        txn.rollback().await
    };
    match tokio::time::timeout(Duration::from_secs(3), probe).await {
        Ok(result) => result,
        Err(_) => Err(DbErr::Custom(
            "the database did not answer a write probe within 3 s".into(),
        )),
    }
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// The URL without its password, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut redacted = match (base.find("://"), base.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &base[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => {
                    format!("{}{}:***{}", &base[..scheme_end + 3], user, &base[at..])
                }
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    if let Some(query) = query {
        // `?password=…` is the other place a PostgreSQL URL can carry one.
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => param.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&params.join("&"));
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact_url("postgres://app@db/x?sslmode=require&password=s3cret"),
            "postgres://app@db/x?sslmode=require&password=***"
        );
        let config = crate::config::Config {
            database_url: Some("postgres://app:s3cret@db/x?password=s3cret".into()),
            ..crate::config::Config::default()
        };
        assert!(!format!("{config:?}").contains("s3cret"), "{config:?}");
        assert_eq!(
            redact_url("postgres://postgres@db/x"),
            "postgres://postgres@db/x"
        );
    }

    #[test]
    fn sqlite_paths_are_found() {
        assert_eq!(
            sqlite_path("sqlite://data/p.db?mode=rwc"),
            Some("data/p.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }
}
