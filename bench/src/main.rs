//! `patchbay-bench`: the benchmark tooling's commands (see the crate doc and BENCHMARKS.md).

use std::path::PathBuf;
use std::process::ExitCode;

use bench::seed::{self, COMMON_TERM, RARE_TERM};
use clap::{Parser, Subcommand};
use service::config::{Config, LogFormat};

/// Benchmark tooling for Patchbay (not the product). Configuration is loaded as `patchbay`
/// loads it: defaults, then `--config FILE` (or PATCHBAY_CONFIG), then PATCHBAY_* environment
/// variables and DATABASE_URL, then the flags.
#[derive(Parser, Debug)]
#[command(name = "patchbay-bench", about, long_about)]
struct Cli {
    /// A TOML configuration file, as `patchbay --config` reads it.
    #[arg(long, global = true, env = "PATCHBAY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fill an empty catalog with a benchmark catalog, written in bulk.
    Seed {
        /// N listings (full size: 100000) with N/10 workspaces, about 10×N install events and
        /// the benchmark fixtures. At least 100.
        #[arg(long, value_name = "N")]
        scale: usize,
        /// Directory of the embedded SQLite database (when DATABASE_URL is not set).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Database URL (`postgres://…` or `sqlite://…`); overrides DATABASE_URL.
        #[arg(long)]
        database_url: Option<String>,
    },
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let Command::Seed {
        scale,
        data_dir,
        database_url,
    } = cli.command;
    let mut config = Config::load(cli.config.as_deref())?;
    config.override_database(data_dir.as_deref(), database_url.as_deref());
    service::telemetry::init_logging(LogFormat::Pretty);
    // Connecting applies the migrations, as `patchbay seed` does.
    let handle = service::Service::connect(config).await?;
    println!("seeding a catalog of {scale} listings:");
    let r = seed::seed_scale(&handle.db, scale).await?;
    println!(
        "scale catalog: {} authors, {} listings, {} versions, {} workspaces, {} install events, {} listing-days; \"{}\" in {} listings, \"{}\" in {}",
        r.authors,
        r.listings,
        r.versions,
        r.workspaces,
        r.install_events,
        r.install_days,
        COMMON_TERM,
        r.common_listings,
        RARE_TERM,
        r.rare_listings
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
