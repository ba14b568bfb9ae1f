//! What workspace authorization costs through casbin: decisions per second of the process's
//! enforcer at a given number of workspaces, the per-request version check, a whole `authorize`,
//! and the share of an install (install + uninstall through the services) that is authorization;
//! plus what loading the policy adds to a server's start (time, resident memory).
//!
//! ```sh
//! cargo run --release -p bench --example authz-bench                               # SQLite, temp dir
//! cargo run --release -p bench --example authz-bench -- --workspaces 100,1000,5000
//! cargo run --release -p bench --example authz-bench -- --database-url postgres://postgres@127.0.0.1:5432/patchbay_authz_bench
//! ```
//!
//! The PostgreSQL database must exist and be empty. Each workspace is made through
//! `workspaces::create_workspace` (its four built-in roles: 31 policy lines and the creator's
//! grouping line). Timings are sequential, one decision after another; see BENCHMARKS.md.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use casbin::{CoreApi, DefaultModel, Enforcer};
use chrono::Utc;
use entities::{connector, connector_version};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use serde_json::json;
use service::auth::Principal;
use service::authz::{Authorizer, MODEL, Permission, SeaOrmAdapter, WorkspaceRef};
use service::config::Config;
use service::lifecycle;

/// Our model with the matcher as issue 12 states it, role lookup first (ours compares the
/// strings first).
fn model_role_first() -> anyhow::Result<String> {
    let (sections, _) = MODEL
        .split_once("[matchers]")
        .context("the model has a [matchers] section")?;
    Ok(format!(
        "{sections}[matchers]\nm = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act\n"
    ))
}

struct Args {
    database_url: Option<String>,
    workspaces: Vec<usize>,
    seconds: f64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        database_url: None,
        workspaces: vec![10, 100, 1000],
        seconds: 1.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--database-url" => args.database_url = Some(value),
            "--workspaces" => {
                args.workspaces = value
                    .split(',')
                    .map(|n| {
                        n.trim()
                            .parse()
                            .context("--workspaces: numbers, comma-separated")
                    })
                    .collect::<anyhow::Result<_>>()?;
                args.workspaces.sort_unstable();
            }
            "--seconds" => args.seconds = value.parse().context("--seconds")?,
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(args)
}

/// Sequential calls of `op` for about `seconds`: calls per second, p50 and p95 in µs.
async fn measure<F, Fut>(seconds: f64, mut op: F) -> anyhow::Result<(f64, f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let budget = Duration::from_secs_f64(seconds);
    let mut times = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || times.len() < 20 {
        let t = Instant::now();
        op().await?;
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let total = start.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    Ok((times.len() as f64 / total, at(0.5), at(0.95)))
}

fn row(what: &str, (per_s, p50, p95): (f64, f64, f64)) {
    println!("| {what} | {per_s:>10.0} | {p50:>9.1} | {p95:>9.1} |");
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A listing with one version, written as rows (no parse: installs do not parse).
async fn listing(db: &DatabaseConnection, author: i64) -> anyhow::Result<String> {
    let now = Utc::now();
    let slug = "authz-bench".to_owned();
    let listing = connector::ActiveModel {
        slug: Set(slug.clone()),
        name: Set("Authz bench".into()),
        summary: Set("A listing to install".into()),
        description: Set(String::new()),
        category: Set("bench".into()),
        keywords: Set(json!([])),
        visibility: Set("public".into()),
        source_hidden: Set(false),
        status: Set("published".into()),
        install_count: Set(0),
        active_installs: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let source = "export default { title: \"Bench\", actions: {} };\n";
    let version = connector_version::ActiveModel {
        connector_id: Set(listing.id),
        version: Set("1.0.0".into()),
        source: Set(source.into()),
        sha256: Set("0".repeat(64)),
        release_notes: Set(String::new()),
        breaking: Set(false),
        capabilities: Set(serde_json::to_value(sdk::Capabilities {
            title: "Bench".into(),
            ..sdk::Capabilities::default()
        })?),
        published_at: Set(now),
        published_by: Set(author),
        yanked: Set(false),
        install_count: Set(0),
        active_installs: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut active: connector::ActiveModel = listing.into();
    active.latest_version_id = Set(Some(version.id));
    active.update(db).await?;
    Ok(slug)
}

/// What every measurement works on: the database, the admin of every workspace, and the
/// listing it installs.
struct Bench {
    db: DatabaseConnection,
    admin: Principal,
    admin_id: i64,
    listing: String,
    seconds: f64,
}

async fn run() -> anyhow::Result<()> {
    let args = parse_args()?;
    let dir = std::env::temp_dir().join(format!("patchbay-authz-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", dir.display()));
    let handle = service::Service::connect(Config {
        database_url: Some(url.clone()),
        ..Config::default()
    })
    .await?;
    let db = handle.db.clone();
    let admin = service::auth::create_user(&db, "bench", "Bench", "bench@example.test", Utc::now())
        .await
        .map_err(|e| e.into_anyhow())?;
    let bench = Bench {
        listing: listing(&db, admin.id).await?,
        admin_id: admin.id,
        admin: Principal { user: Some(admin) },
        db,
        seconds: args.seconds,
    };
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("database: {backend}");
    let mut made = 0;
    for &n in &args.workspaces {
        while made < n {
            made += 1;
            bench.workspace(made).await?;
        }
        bench.at(n, made).await?;
    }
    drop(handle);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

impl Bench {
    /// Workspace `ws-NNNNN`, made as an admin makes one (its roles' policy lines included).
    async fn workspace(&self, number: usize) -> anyhow::Result<()> {
        let Some(user) = &self.admin.user else {
            anyhow::bail!("the admin is a user");
        };
        let slug = format!("ws-{number:05}");
        service::workspaces::create_workspace(&self.db, user, &slug, "Bench", "development")
            .await
            .map_err(|e| e.into_anyhow())?;
        Ok(())
    }

    /// Every table for `n` workspaces, the newest of which is number `last` (workspace ids
    /// follow creation order).
    async fn at(&self, n: usize, last: usize) -> anyhow::Result<()> {
        let before = rss_kib();
        let started = Instant::now();
        let authorizer = Authorizer::new().await?;
        let last = last as i64;
        // The first decision in a workspace loads its enforcer (a filtered load of its lines).
        let install = Permission::ConnectorInstall;
        anyhow::ensure!(
            authorizer
                .enforce(&self.db, self.admin_id, last, install)
                .await?
        );
        let load = started.elapsed();
        authorizer
            .enforce(&self.db, self.admin_id, 1, install)
            .await?;
        let grown = rss_kib().saturating_sub(before);
        let (_, lines) = authorizer.held().await;
        println!();
        println!(
            "### {n} workspaces ({lines} lines held for the 2 workspaces asked about): the first decision, loading its workspace, took {:.1} ms; resident memory +{:.1} MiB",
            load.as_secs_f64() * 1e3,
            grown as f64 / 1024.0
        );
        println!();
        println!("| operation | per second | p50 µs | p95 µs |");
        println!("|---|---|---|---|");
        self.enforce_rows(&authorizer, last).await?;
        self.raw_casbin_rows(last).await?;
        self.service_rows(&authorizer, last).await
    }

    /// The process's `Authorizer::enforce`: allowed in the newest and the oldest workspace,
    /// denied for a non-member.
    async fn enforce_rows(&self, authorizer: &Authorizer, last: i64) -> anyhow::Result<()> {
        let (db, admin, s) = (&self.db, self.admin_id, self.seconds);
        let install = Permission::ConnectorInstall;
        for (what, user, ws, allowed) in [
            ("`enforce`, allowed (newest workspace)", admin, last, true),
            ("`enforce`, allowed (oldest workspace)", admin, 1, true),
            ("`enforce`, denied (a non-member)", admin + 1, last, false),
        ] {
            let times = measure(s, || async {
                anyhow::ensure!(authorizer.enforce(db, user, ws, install).await? == allowed);
                Ok(())
            })
            .await?;
            row(what, times);
        }
        Ok(())
    }

    /// A bare casbin enforcer over the whole policy, with our matcher and with the one issue 12
    /// states.
    async fn raw_casbin_rows(&self, last: i64) -> anyhow::Result<()> {
        let role_first = Enforcer::new(
            DefaultModel::from_str(&model_role_first()?).await?,
            SeaOrmAdapter::new(self.db.clone()),
        )
        .await?;
        let ours = Enforcer::new(
            DefaultModel::from_str(MODEL).await?,
            SeaOrmAdapter::new(self.db.clone()),
        )
        .await?;
        let (sub, dom) = (format!("user:{}", self.admin_id), format!("ws:{last}"));
        let other = format!("user:{}", self.admin_id + 1);
        for (name, e) in [
            ("strings first (ours)", &ours),
            ("role lookup first (as stated)", &role_first),
        ] {
            for (outcome, who, allowed) in
                [("allowed newest", &sub, true), ("denied", &other, false)]
            {
                let request = (who.as_str(), dom.as_str(), "connector", "install");
                let times = measure(self.seconds, || async {
                    anyhow::ensure!(e.enforce(request)? == allowed);
                    Ok(())
                })
                .await?;
                row(
                    &format!("raw casbin `enforce`, matcher {name}, {outcome}"),
                    times,
                );
            }
        }
        Ok(())
    }

    /// The version check, a member's standing, a whole `authorize`, and an install + uninstall
    /// through the services; and authorization's share of the latter.
    async fn service_rows(&self, authorizer: &Authorizer, last: i64) -> anyhow::Result<()> {
        let (db, s, principal) = (&self.db, self.seconds, &self.admin);
        let last_slug = format!("ws-{last:05}");
        row(
            "version check alone (one indexed read, policy current)",
            measure(s, || async { Ok(authorizer.catch_up(db, last).await?) }).await?,
        );
        row(
            "a member's standing (version check + role + 15 `enforce`)",
            measure(s, || async {
                authorizer
                    .standing(db, self.admin_id, last)
                    .await?
                    .context("the admin is a member")?;
                Ok(())
            })
            .await?,
        );
        let authorize = measure(s, || async {
            let ws = WorkspaceRef::Slug(&last_slug);
            authorizer
                .authorize(db, principal, ws, Some(Permission::ConnectorInstall))
                .await
                .map_err(|e| e.into_anyhow())?;
            Ok(())
        })
        .await?;
        row(
            "`authorize` (workspace by slug + standing), as an install does",
            authorize,
        );
        let install = measure(s, || async {
            let copy =
                lifecycle::install(db, authorizer, principal, &last_slug, &self.listing, None)
                    .await
                    .map_err(|e| e.into_anyhow())?
                    .copy;
            lifecycle::uninstall(db, authorizer, principal, copy.id)
                .await
                .map_err(|e| e.into_anyhow())?;
            Ok(())
        })
        .await?;
        row("install + uninstall through the services", install);
        println!();
        println!(
            "Authorization's share of an install + uninstall (two `authorize` calls): {:.1} % at the p50",
            200.0 * authorize.1 / install.1
        );
        Ok(())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("authz-bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}
