//! The `patchbay` binary as an operator uses it: migrate, seed, create a user and a token, serve
//! on a real port, answer with that token, and stop cleanly on SIGTERM. On SQLite and PostgreSQL.

mod jobs;
mod operator;
mod packages;
mod server_log;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testkit::{Backend, TempDir, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_patchbay");

/// A fresh database URL and what to drop afterwards.
/// An empty database (the CLI migrates it) and a scratch directory for the CLI's files.
struct FreshDb {
    url: String,
    dir: std::path::PathBuf,
    _db: TestDatabase,
    _scratch: TempDir,
}

impl FreshDb {
    async fn new(postgres: bool) -> anyhow::Result<Self> {
        let backend = if postgres {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let db = TestDatabase::empty(backend).await?;
        let scratch = TempDir::new("patchbay_cli")?;
        Ok(Self {
            url: db.url.clone(),
            dir: scratch.path.clone(),
            _db: db,
            _scratch: scratch,
        })
    }

    /// Drop the database and the scratch directory now, at the end of the test's story.
    async fn drop_db(self) -> anyhow::Result<()> {
        drop(self);
        Ok(())
    }
}

fn run(args: &[&str], db: &FreshDb) -> anyhow::Result<(String, String)> {
    let out = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("PATCHBAY_LOG_FORMAT", "json")
        .output()?;
    let stdout = String::from_utf8(out.stdout)?;
    let stderr = String::from_utf8(out.stderr)?;
    anyhow::ensure!(out.status.success(), "patchbay {args:?} failed: {stderr}");
    Ok((stdout, stderr))
}

/// Start `patchbay serve` on port 0 and read the address it logs.
fn serve(db: &FreshDb, extra: &[&str]) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .env("DATABASE_URL", &db.url)
        .env("PATCHBAY_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(line) = lines.next() else { break };
        let line = line?;
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if event["message"] == "patchbay is listening" {
            let addr = event["addr"].as_str().unwrap_or_default().to_owned();
            // Keep draining stderr so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return Ok((child, addr));
        }
    }
    let _ = child.kill();
    anyhow::bail!("the server did not report its address")
}

fn sigterm_and_wait(mut child: Child) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    anyhow::ensure!(status.success(), "kill failed");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait()? {
            anyhow::ensure!(status.success(), "server exited with {status}");
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
