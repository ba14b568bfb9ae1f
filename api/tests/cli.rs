//! The `patchbay` binary as an operator uses it: migrate, seed, create a user and a token, serve
//! on a real port, answer with that token, and stop cleanly on SIGTERM. On SQLite and PostgreSQL.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};

const BIN: &str = env!("CARGO_BIN_EXE_patchbay");

/// A fresh database URL and what to drop afterwards.
struct FreshDb {
    url: String,
    pg_name: Option<String>,
    dir: std::path::PathBuf,
}

impl FreshDb {
    async fn new(postgres: bool) -> anyhow::Result<Self> {
        let name = format!(
            "patchbay_cli_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_nanos()
                % 1_000_000_000
        );
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir)?;
        if !postgres {
            let url = format!("sqlite://{}/p.db?mode=rwc", dir.display());
            return Ok(Self {
                url,
                pg_name: None,
                dir,
            });
        }
        let base = std::env::var("PATCHBAY_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let admin = Database::connect(format!("{base}/postgres")).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        admin.close().await?;
        Ok(Self {
            url: format!("{base}/{name}"),
            pg_name: Some(name),
            dir,
        })
    }

    async fn drop_db(self) -> anyhow::Result<()> {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.pg_name {
            let base = std::env::var("PATCHBAY_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
            let admin = Database::connect(format!("{base}/postgres")).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
            admin.close().await?;
        }
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

async fn operator_story(postgres: bool) -> anyhow::Result<()> {
    let db = FreshDb::new(postgres).await?;
    let (out, _) = run(&["migrate"], &db)?;
    assert_eq!(out.trim(), "migrations applied");

    let (first, _) = run(&["seed", "--demo"], &db)?;
    assert!(first.contains(" 9 listings"), "{first}");
    let (second, _) = run(&["seed", "--demo"], &db)?;
    assert!(
        second
            .contains("0 authors, 0 listings, 0 versions, 0 workspaces and 0 install events added"),
        "seeding twice must add nothing: {second}"
    );

    run(
        &[
            "user",
            "create",
            "--handle",
            "ops",
            "--name",
            "Ops",
            "--email",
            "ops@example.test",
        ],
        &db,
    )?;
    let (token, notice) = run(&["token", "create", "--user", "ops", "--name", "ci"], &db)?;
    let token = token.trim().to_owned();
    assert!(token.starts_with("pb_") && token.len() == 43, "{token}");
    assert!(notice.contains("shown only once"), "{notice}");

    let (child, addr) = serve(&db, &[])?;
    let client = reqwest::Client::new();
    let viewer: serde_json::Value = client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": "{ viewer { user { handle } } connectors { totalCount } }" }))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        viewer["data"]["viewer"]["user"]["handle"], "ops",
        "{viewer}"
    );
    assert_eq!(viewer["data"]["connectors"]["totalCount"], 9, "{viewer}");
    sigterm_and_wait(child)?;

    // A revoked token no longer works.
    let (out, _) = run(&["token", "revoke", "--id", "1"], &db)?;
    assert!(out.contains("revoked"));
    let (child, addr) = serve(&db, &[])?;
    let status = client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await?
        .status();
    assert_eq!(status, 401);
    sigterm_and_wait(child)?;
    db.drop_db().await
}

#[tokio::test]
async fn operator_story_sqlite() -> anyhow::Result<()> {
    operator_story(false).await
}

#[tokio::test]
async fn operator_story_postgres() -> anyhow::Result<()> {
    operator_story(true).await
}

/// `serve --demo` loads the demo catalog into an empty database, and the config file is read.
#[tokio::test]
async fn serve_demo_fills_an_empty_database() -> anyhow::Result<()> {
    let db = FreshDb::new(false).await?;
    let config = db.dir.join("patchbay.toml");
    std::fs::write(&config, "graphiql = false\n[limits]\nmax_page_size = 7\n")?;
    let (child, addr) = serve(
        &db,
        &["--demo", "--config", config.to_str().unwrap_or_default()],
    )?;
    let client = reqwest::Client::new();
    let body: serde_json::Value = client
        .post(format!("http://{addr}/graphql"))
        .json(&serde_json::json!({ "query": "{ connectors(first: 8) { totalCount } }" }))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    let body: serde_json::Value = client
        .post(format!("http://{addr}/graphql"))
        .json(&serde_json::json!({ "query": "{ connectors(first: 7) { totalCount } }" }))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(body["data"]["connectors"]["totalCount"], 9, "{body}");
    let graphiql = client
        .get(format!("http://{addr}/graphiql"))
        .send()
        .await?
        .status();
    assert_eq!(graphiql, 404);
    sigterm_and_wait(child)?;
    db.drop_db().await
}

#[test]
fn help_lists_the_commands() -> anyhow::Result<()> {
    let out = Command::new(BIN).arg("--help").output()?;
    let text = String::from_utf8(out.stdout)?;
    for command in ["serve", "migrate", "seed", "user", "token", "schema"] {
        assert!(
            text.contains(command),
            "{command} missing from --help:\n{text}"
        );
    }
    Ok(())
}

/// The package commands a pipeline runs, against a real server: export, inspect, verify, a dry
/// run, an apply, and the exit codes for a bad archive and a bad token.
#[tokio::test]
async fn package_commands_drive_a_server() -> anyhow::Result<()> {
    let db = FreshDb::new(false).await?;
    run(&["seed", "--demo"], &db)?;
    run(
        &[
            "user",
            "create",
            "--handle",
            "rel",
            "--name",
            "Release",
            "--email",
            "rel@example.test",
        ],
        &db,
    )?;
    let (token, _) = run(&["token", "create", "--user", "rel"], &db)?;
    let token = token.trim().to_owned();
    run(
        &[
            "workspace",
            "create",
            "--slug",
            "dev",
            "--name",
            "Dev",
            "--admin",
            "rel",
        ],
        &db,
    )?;
    run(
        &[
            "workspace",
            "create",
            "--slug",
            "prod",
            "--name",
            "Prod",
            "--environment",
            "production",
            "--admin",
            "rel",
        ],
        &db,
    )?;
    let (child, addr) = serve(&db, &[])?;
    let client = reqwest::Client::new();
    let gql = |query: &'static str| {
        let client = client.clone();
        let token = token.clone();
        let url = format!("http://{addr}/graphql");
        async move {
            let body: serde_json::Value = client
                .post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({ "query": query }))
                .send()
                .await?
                .json()
                .await?;
            anyhow::ensure!(body.get("errors").is_none(), "{body}");
            Ok::<_, anyhow::Error>(body["data"].clone())
        }
    };
    let installed = gql(r#"mutation { installConnector(input: {workspace: "dev", connector: "github-issues"}) { workspaceConnector { id } } }"#).await?;
    let copy = installed["installConnector"]["workspaceConnector"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let release = format!(
        r#"mutation {{ releaseWorkspaceConnector(input: {{workspaceConnectorId: "{copy}"}}) {{ changed }} }}"#
    );
    let body: serde_json::Value = client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": release }))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        body["data"]["releaseWorkspaceConnector"]["changed"], true,
        "{body}"
    );
    let recipe = gql(
        r#"mutation { createRecipe(input: {workspace: "dev", folder: "ops", name: "Triage",
        definition: {trigger: {connector: "github-issues", trigger: "new_issue", input: {}},
                     steps: [{connector: "github-issues", action: "add_comment", input: {}}]}}) {
        recipe { assetId } userErrors { message } } }"#,
    )
    .await?;
    assert!(
        recipe["createRecipe"]["recipe"]["assetId"].is_string(),
        "{recipe}"
    );

    let server = format!("http://{addr}");
    let archive = db.dir.join("pkg.zip");
    let archive_arg = archive.to_str().unwrap_or_default();
    let cli = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env("PATCHBAY_TOKEN", &token)
            .output()
    };
    let out = cli(&[
        "package",
        "export",
        "--server",
        &server,
        "--workspace",
        "dev",
        "--folder",
        "ops",
        "-o",
        archive_arg,
    ])?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&["package", "inspect", archive_arg])?;
    let text = String::from_utf8(out.stdout)?;
    assert!(
        text.contains("recipe     ops/Triage uses github-issues"),
        "{text}"
    );
    assert!(
        text.contains("connector  github-issues v1 (from github-issues 2.0.0)"),
        "{text}"
    );
    assert_eq!(
        cli(&["package", "verify", archive_arg])?.status.code(),
        Some(0)
    );
    assert_eq!(
        cli(&["package", "verify", archive_arg, "--require-signature"])?
            .status
            .code(),
        Some(2)
    );

    let out = cli(&[
        "package",
        "import",
        "--server",
        &server,
        "--workspace",
        "prod",
        archive_arg,
    ])?;
    let text = String::from_utf8(out.stdout)?;
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("plan: 2 to create, 0 to update, 0 unchanged, 0 in conflict"),
        "{text}"
    );
    assert!(text.contains("dry run: nothing changed"), "{text}");
    let fingerprint = text
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap_or_default()
        .to_owned();
    let out = cli(&[
        "package",
        "import",
        "--server",
        &server,
        "--workspace",
        "prod",
        archive_arg,
        "--apply",
        "--fingerprint",
        &fingerprint,
    ])?;
    let text = String::from_utf8(out.stdout)?;
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("\napplied\n"), "{text}");
    let out = cli(&[
        "package",
        "import",
        "--server",
        &server,
        "--workspace",
        "prod",
        archive_arg,
        "--apply",
    ])?;
    assert!(String::from_utf8(out.stdout)?.contains("applied (nothing changed)"));

    // A damaged archive is exit code 2; a stale fingerprint 3; a bad token 4.
    let mut bytes = std::fs::read(&archive)?;
    bytes.truncate(bytes.len() / 2);
    let broken = db.dir.join("broken.zip");
    std::fs::write(&broken, bytes)?;
    let out = cli(&[
        "package",
        "import",
        "--server",
        &server,
        "--workspace",
        "prod",
        broken.to_str().unwrap_or_default(),
    ])?;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&[
        "package",
        "import",
        "--server",
        &server,
        "--workspace",
        "prod",
        archive_arg,
        "--apply",
        "--fingerprint",
        "stale",
    ])?;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .args([
            "package",
            "import",
            "--server",
            &server,
            "--workspace",
            "prod",
            archive_arg,
            "--token",
            "pb_wrong",
        ])
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sigterm_and_wait(child)?;
    db.drop_db().await
}

/// `seed --scale` writes counters that agree with the install events it writes, on both databases.
async fn scale_seed_is_consistent(postgres: bool) -> anyhow::Result<()> {
    let db = FreshDb::new(postgres).await?;
    run(&["seed", "--scale", "300"], &db)?;
    let conn = Database::connect(db.url.clone()).await?;
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT c.id, c.install_count, c.active_installs, \
               (SELECT COUNT(*) FROM install_events e WHERE e.connector_id = c.id AND e.kind = 'install') AS installs, \
               (SELECT COUNT(*) FROM install_events e WHERE e.connector_id = c.id AND e.kind = 'uninstall') AS uninstalls, \
               (SELECT COALESCE(SUM(d.installs), 0) FROM connector_install_days d WHERE d.connector_id = c.id) AS daily \
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
        let daily: i64 = row.try_get::<i64>("", "daily").or_else(|_| {
            row.try_get::<sea_orm::prelude::Decimal>("", "daily")
                .map(|d| d.to_string().parse().unwrap_or(-1))
        })?;
        assert_eq!(install_count, installs, "listing {id}");
        assert_eq!(active, installs - uninstalls, "listing {id}");
        assert_eq!(daily, installs, "listing {id}");
        total += installs;
    }
    assert!(total > 1_000, "a long tail of installs, got {total}");
    conn.close().await?;
    db.drop_db().await
}

#[tokio::test]
async fn scale_seed_is_consistent_sqlite() -> anyhow::Result<()> {
    scale_seed_is_consistent(false).await
}

#[tokio::test]
async fn scale_seed_is_consistent_postgres() -> anyhow::Result<()> {
    scale_seed_is_consistent(true).await
}
