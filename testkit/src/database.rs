//! A fresh database per test, cloned from a template that is migrated once.
//!
//! Every test process (nextest runs each test in its own) needs an empty, migrated database.
//! Migrating one from scratch is a few hundred statements; instead the first process that needs
//! it migrates a template, named after the migrations it holds, and every test clones that:
//! PostgreSQL with `CREATE DATABASE … TEMPLATE`, SQLite by copying the file. A template is
//! built under another name and renamed into place when complete, so a process that sees it
//! sees it whole; a new or edited migration changes the name (see `build.rs`), so no test ever
//! clones a stale one. The
//! server the test starts still runs the migrator, which finds nothing to do.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sha2::{Digest, Sha256};

use crate::TempDir;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the tests find PostgreSQL (without a database name).
pub fn postgres_base_url() -> String {
    std::env::var("PATCHBAY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "patchbay_test_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The template's name: the migrations it holds (their names, and the hash of their sources
/// that `build.rs` computed), hashed.
fn template_name() -> String {
    let mut hash = Sha256::new();
    hash.update(env!("PATCHBAY_MIGRATIONS_HASH").as_bytes());
    for migration in Migrator::migrations() {
        hash.update([0]);
        hash.update(migration.name().as_bytes());
    }
    format!("patchbay_template_{}", &hex::encode(hash.finalize())[..16])
}

/// A fresh, migrated, empty database; dropped (PostgreSQL) or deleted (SQLite) with the value.
pub struct TestDatabase {
    pub url: String,
    backend: Backend,
    name: String,
    _dir: Option<TempDir>,
}

impl TestDatabase {
    /// A migrated database: a clone of the template.
    pub async fn create(backend: Backend) -> anyhow::Result<Self> {
        Self::make(backend, true).await
    }

    /// An empty database, for what must itself migrate one (`patchbay migrate`).
    pub async fn empty(backend: Backend) -> anyhow::Result<Self> {
        Self::make(backend, false).await
    }

    async fn make(backend: Backend, migrated: bool) -> anyhow::Result<Self> {
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new("patchbay_sqlite")?;
                let file = dir.path.join("patchbay.db");
                if migrated {
                    std::fs::copy(sqlite_template().await?, &file)
                        .context("copying the SQLite template")?;
                }
                Ok(Self {
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    backend,
                    name,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let base = postgres_base_url();
                let admin = admin_connection(&base).await?;
                if migrated {
                    let template = postgres_template(&admin, &base).await?;
                    clone_database(&admin, &template, &name).await?;
                } else {
                    admin
                        .execute_unprepared(&format!("CREATE DATABASE {name}"))
                        .await?;
                }
                // A test's commits need not wait for the disk: what another connection sees is
                // the same, only a crash of PostgreSQL itself could lose the last ones.
                admin
                    .execute_unprepared(&format!(
                        "ALTER DATABASE {name} SET synchronous_commit = off"
                    ))
                    .await?;
                admin.close().await?;
                Ok(Self {
                    url: format!("{base}/{name}"),
                    backend,
                    name,
                    _dir: None,
                })
            }
        }
    }
}

async fn admin_connection(base: &str) -> anyhow::Result<DatabaseConnection> {
    Database::connect(format!("{base}/postgres"))
        .await
        .with_context(|| {
            format!(
                "PostgreSQL is not reachable at {base}: start it, or point \
                 PATCHBAY_TEST_POSTGRES_URL at one"
            )
        })
}

/// The migrated SQLite template file, built once per set of migrations (in the system's
/// temporary directory). Two processes that build it at once each rename a complete file into
/// place; either is the template.
async fn sqlite_template() -> anyhow::Result<PathBuf> {
    let path = std::env::temp_dir().join(format!("{}.db", template_name()));
    if path.is_file() {
        return Ok(path);
    }
    let building = TempDir::new("patchbay_sqlite_template")?;
    let file = building.path.join("template.db");
    migrate(&format!("sqlite://{}?mode=rwc", file.display())).await?;
    // Closing the last connection checkpointed the WAL into the file: the file is the whole
    // database, and a copy of it is a database.
    rename_into_place(&file, &path)?;
    Ok(path)
}

fn rename_into_place(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::rename(from, to).with_context(|| format!("moving the template to {}", to.display()))
}

/// Connect to `url`, apply every migration, and close.
async fn migrate(url: &str) -> anyhow::Result<()> {
    let db = Database::connect(url).await?;
    Migrator::up(&db, None)
        .await
        .context("migrating the template")?;
    db.close().await?;
    Ok(())
}

/// The migrated PostgreSQL template database, built once per set of migrations under an
/// advisory lock (so concurrent test processes build it once), then renamed into place.
async fn postgres_template(admin: &DatabaseConnection, base: &str) -> anyhow::Result<String> {
    let template = template_name();
    if database_exists(admin, &template).await? {
        return Ok(template);
    }
    // The lock is the session's: it ends with the statement below or with the connection.
    admin
        .execute_unprepared("SELECT pg_advisory_lock(7423911)")
        .await?;
    let built = async {
        if database_exists(admin, &template).await? {
            return Ok(());
        }
        let building = format!("{template}_building");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {building}"))
            .await?;
        migrate(&format!("{base}/{building}")).await?;
        admin
            .execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .await?;
        anyhow::Ok(())
    }
    .await;
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(7423911)")
        .await?;
    built?;
    Ok(template)
}

async fn database_exists(admin: &DatabaseConnection, name: &str) -> anyhow::Result<bool> {
    let found = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await?;
    Ok(found.is_some())
}

/// `CREATE DATABASE name TEMPLATE template`. PostgreSQL refuses a template that another
/// session is connected to; nobody connects to ours, but a process that just renamed it may
/// still be leaving, so a refusal is tried again a few times.
async fn clone_database(
    admin: &DatabaseConnection,
    template: &str,
    name: &str,
) -> anyhow::Result<()> {
    let statement = format!("CREATE DATABASE {name} TEMPLATE {template}");
    let mut attempt = 0;
    loop {
        match admin.execute_unprepared(&statement).await {
            Ok(_) => return Ok(()),
            Err(err) if attempt < 20 && err.to_string().contains("being accessed") => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => return Err(err).context("cloning the template database"),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.backend == Backend::Postgres {
            let url = format!("{}/postgres", postgres_base_url());
            let name = self.name.clone();
            // Best effort, on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                }
            })
            .join();
        }
    }
}
