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

// ---- Output for people and machines, and a closed stdout. ----

/// A directory with an archive of `connections` connections (one connector, one recipe),
/// unsigned, and the same package signed with a fixed test key; returns the key's base64 too.
struct Archives {
    dir: std::path::PathBuf,
    unsigned: String,
    signed: String,
    public_key: String,
    key_id: String,
}

impl Archives {
    fn build(tag: &str, connections: usize) -> anyhow::Result<Self> {
        use base64::Engine as _;
        let dir = std::env::temp_dir().join(format!(
            "patchbay_cli_{tag}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_nanos()
                % 1_000_000_000
        ));
        std::fs::create_dir_all(&dir)?;
        let source = "export default { title: \"Slack\" };\n";
        let input = packager::PackageInput {
            package_id: "6f1c1f3e-8a51-4a4e-9a0e-0d8f3b0c2a11".to_owned(),
            created_at: "2026-05-01T12:00:00Z".to_owned(),
            source: packager::PackageSource {
                workspace: "acme-dev".to_owned(),
                environment: "development".to_owned(),
            },
            exporter: "alice".to_owned(),
            recipes: vec![packager::Recipe {
                asset_id: "0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e01".to_owned(),
                folder: "sales".to_owned(),
                name: "Post leads".to_owned(),
                description: "for tests".to_owned(),
                definition: serde_json::json!({
                    "trigger": { "connector": "slack", "trigger": "new_message", "input": {} },
                    "steps": [] }),
                state: packager::RecipeState::Stopped,
            }],
            connections: (0..connections)
                .map(|i| packager::Connection {
                    asset_id: format!("0b6d2f52-3c1e-4d7a-9f6b-{i:012x}"),
                    folder: "shared".to_owned(),
                    name: format!("Connection {i:04} with a long name to fill the output"),
                    connector: "slack".to_owned(),
                    fields: Default::default(),
                })
                .collect(),
            connectors: vec![packager::ConnectorAsset {
                slug: "slack".to_owned(),
                name: "Slack".to_owned(),
                workspace_version: 3,
                content: packager::ConnectorContent::Source(source.to_owned()),
                sha256: packager::canonical::sha256_hex(source.as_bytes()),
                parent: None,
            }],
        };
        let unsigned = dir.join("unsigned.zip");
        std::fs::write(
            &unsigned,
            packager::build(&input, &packager::BuildOptions::default())?,
        )?;
        let signer = packager::PackageSigner::new(packager::SigningKey::from_bytes(&[7; 32]));
        let public_key =
            base64::engine::general_purpose::STANDARD.encode(signer.verifying_key().to_bytes());
        let key_id = signer.key_id();
        let signed = dir.join("signed.zip");
        std::fs::write(
            &signed,
            packager::build(
                &input,
                &packager::BuildOptions {
                    signer: Some(signer),
                },
            )?,
        )?;
        Ok(Self {
            unsigned: unsigned.to_string_lossy().into_owned(),
            signed: signed.to_string_lossy().into_owned(),
            dir,
            public_key,
            key_id,
        })
    }
}

impl Drop for Archives {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `patchbay ARGS` with stdout read by someone who stops after the first line: the line, the
/// exit status and stderr.
fn first_line_only(args: &[&str]) -> anyhow::Result<(String, Option<i32>, String)> {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    // The reader is dropped here: the pipe is closed with most of the output unread.
    let out = child.wait_with_output()?;
    Ok((
        first,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_with_141() -> anyhow::Result<()> {
    // About 80 KiB of summary, more than a pipe holds: the writer meets the closed pipe.
    let archives = Archives::build("pipe", 1000)?;
    for args in [
        vec!["package", "inspect", archives.unsigned.as_str()],
        vec![
            "connector",
            "check",
            "examples/connectors/github-issues/versions/2.0.0.js",
        ],
    ] {
        let mut command = args.clone();
        if command[0] == "connector" {
            // Relative to the repository, like the connector tests run it.
            command[2] = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../examples/connectors/github-issues/versions/2.0.0.js"
            );
        }
        let (first, status, stderr) = first_line_only(&command)?;
        assert!(!first.is_empty(), "{args:?}: nothing printed; {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        if args[0] == "package" {
            // The summary cannot all fit in the pipe: the closed pipe was certainly met.
            assert_eq!(status, Some(141), "{args:?}: {stderr}");
        } else {
            // A short output may be written whole before the reader leaves.
            assert!(
                matches!(status, Some(0 | 141)),
                "{args:?}: {status:?} {stderr}"
            );
        }
    }
    Ok(())
}

fn patchbay_out(args: &[&str]) -> anyhow::Result<(Option<i32>, String, String)> {
    let out = Command::new(BIN).args(args).output()?;
    Ok((
        out.status.code(),
        String::from_utf8(out.stdout)?,
        String::from_utf8(out.stderr)?,
    ))
}

#[test]
fn verify_speaks_to_people_and_with_json_to_machines() -> anyhow::Result<()> {
    let archives = Archives::build("verify", 2)?;
    let key = archives.public_key.as_str();
    let cases = [
        (
            vec![archives.unsigned.as_str()],
            "signature: not signed".to_owned(),
            serde_json::json!({ "signature": "unsigned", "key_id": null }),
        ),
        (
            vec![archives.signed.as_str(), "--trusted-key", key],
            format!(
                "signature: signed by trusted key {}, and the signature holds",
                archives.key_id
            ),
            serde_json::json!({ "signature": "verified", "key_id": archives.key_id }),
        ),
        (
            vec![archives.signed.as_str()],
            format!(
                "signature: signed by key {}, which is not among the trusted keys: not checked, proves nothing",
                archives.key_id
            ),
            serde_json::json!({ "signature": "unknown_signer", "key_id": archives.key_id }),
        ),
    ];
    for (args, sentence, fields) in cases {
        let mut human = vec!["package", "verify"];
        human.extend(&args);
        let (status, stdout, stderr) = patchbay_out(&human)?;
        assert_eq!(status, Some(0), "{stderr}");
        assert!(
            !stdout.contains('{') && !stdout.contains("Verified"),
            "{stdout}"
        );
        assert!(
            stdout.contains(": every file matches its sha256\n"),
            "{stdout}"
        );
        assert!(stdout.lines().any(|l| l == sentence), "{stdout}");

        let mut machine = human.clone();
        machine.push("--json");
        let (status, stdout, stderr) = patchbay_out(&machine)?;
        assert_eq!(status, Some(0), "{stderr}");
        let answer: serde_json::Value = serde_json::from_str(&stdout)?;
        assert_eq!(answer["file"], args[0]);
        assert_eq!(answer["package_id"], "6f1c1f3e-8a51-4a4e-9a0e-0d8f3b0c2a11");
        assert_eq!(answer["integrity"], "ok");
        assert_eq!(answer["signature"], fields["signature"], "{answer}");
        assert_eq!(answer["key_id"], fields["key_id"], "{answer}");
    }
    // Refused: still exit code 2, the reason on stderr, nothing on stdout.
    let (status, stdout, stderr) = patchbay_out(&[
        "package",
        "verify",
        &archives.unsigned,
        "--require-signature",
        "--json",
    ])?;
    assert_eq!(status, Some(2), "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.starts_with("error: "), "{stderr}");
    Ok(())
}

#[test]
fn inspect_json_has_the_documented_fields() -> anyhow::Result<()> {
    let archives = Archives::build("inspect", 1)?;
    let (status, stdout, stderr) =
        patchbay_out(&["package", "inspect", &archives.signed, "--json"])?;
    assert_eq!(status, Some(0), "{stderr}");
    let answer: serde_json::Value = serde_json::from_str(&stdout)?;
    let source = "export default { title: \"Slack\" };\n";
    assert_eq!(
        answer,
        serde_json::json!({
            "package_id": "6f1c1f3e-8a51-4a4e-9a0e-0d8f3b0c2a11",
            "format_version": packager::FORMAT_VERSION,
            "created_at": "2026-05-01T12:00:00Z",
            "exporter": "alice",
            "source": { "workspace": "acme-dev", "environment": "development" },
            "signature": { "algorithm": "ed25519", "key_id": archives.key_id },
            "connectors": [{ "slug": "slack", "workspace_version": 3, "parent": null,
                             "sha256": packager::canonical::sha256_hex(source.as_bytes()),
                             "reference": null }],
            "connections": [{ "folder": "shared",
                              "name": "Connection 0000 with a long name to fill the output",
                              "connector": "slack" }],
            "recipes": [{ "folder": "sales", "name": "Post leads", "connectors": ["slack"] }],
        })
    );
    Ok(())
}

#[test]
fn package_help_lists_the_exit_codes() -> anyhow::Result<()> {
    for command in [
        &["package", "--help"][..],
        &["package", "export", "--help"],
        &["package", "import", "--help"],
        &["package", "inspect", "--help"],
        &["package", "verify", "--help"],
    ] {
        let (status, stdout, _) = patchbay_out(command)?;
        assert_eq!(status, Some(0));
        assert!(stdout.contains("Exit codes:"), "{command:?}: {stdout}");
        for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "141 "] {
            assert!(
                stdout.lines().any(|l| l.trim_start().starts_with(code)),
                "{command:?}: no exit code {code}in {stdout}"
            );
        }
    }
    // Bad usage is "could not run", code 1 (2 means an invalid archive).
    let (status, _, stderr) = patchbay_out(&["package", "verify"])?;
    assert_eq!(status, Some(1), "{stderr}");
    Ok(())
}

// ---- The server log. ----

/// An API on 127.0.0.1 that answers every request with the request itself (target, headers and
/// body, as JSON).
fn echo_api() -> anyhow::Result<std::net::SocketAddr> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let Ok(read_half) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(read_half);
            let mut head = Vec::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim_end().is_empty() {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push(line.trim_end().to_owned());
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let reply = serde_json::json!({ "head": head, "body": String::from_utf8_lossy(&body) })
                .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    Ok(addr)
}

/// `patchbay serve` with debug logging; returns the child, its address and everything it logs.
fn serve_logging(
    db: &FreshDb,
    config: &std::path::Path,
) -> anyhow::Result<(Child, String, std::sync::Arc<std::sync::Mutex<String>>)> {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("DATABASE_URL", &db.url)
        .env("PATCHBAY_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (sender, receiver) = std::sync::mpsc::channel();
    let written = std::sync::Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                && event["message"] == "patchbay is listening"
            {
                let _ = sender.send(event["addr"].as_str().unwrap_or_default().to_owned());
            }
            let mut log = written.lock().unwrap_or_else(|p| p.into_inner());
            log.push_str(&line);
            log.push('\n');
        }
    });
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(addr) => Ok((child, addr, log)),
        Err(_) => {
            let _ = child.kill();
            anyhow::bail!("the server did not report its address")
        }
    }
}

/// A debugger run whose connection values the API echoes back writes none of them to the
/// server's log, even at debug level.
async fn debugger_secrets_stay_out_of_the_log(postgres: bool) -> anyhow::Result<()> {
    const TOKEN: &str = "tok_LOG_secret_31415";
    let db = FreshDb::new(postgres).await?;
    run(
        &[
            "user",
            "create",
            "--handle",
            "dev",
            "--name",
            "Dev",
            "--email",
            "dev@example.test",
        ],
        &db,
    )?;
    let (token, _) = run(&["token", "create", "--user", "dev"], &db)?;
    let token = token.trim().to_owned();
    run(
        &[
            "workspace",
            "create",
            "--slug",
            "lab",
            "--name",
            "Lab",
            "--admin",
            "dev",
        ],
        &db,
    )?;
    let echo = echo_api()?;
    let config = db.dir.join("patchbay.toml");
    std::fs::write(
        &config,
        format!(
            "[sandbox]\nallow_private_networks = true\nhost_overrides = {{ \"api.echo.test\" = \"{echo}\" }}\n"
        ),
    )?;
    let (child, addr, log) = serve_logging(&db, &config)?;
    let client = reqwest::Client::new();
    let gql = |query: &'static str, variables: serde_json::Value| {
        let request = client
            .post(format!("http://{addr}/graphql"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        async move { anyhow::Ok(request.send().await?.json::<serde_json::Value>().await?) }
    };
    let source = r#"export default {
  title: "Echo",
  allowed_hosts: ["api.echo.test"],
  connection: {
    fields: [{ name: "token", control_type: "password" }],
    authorization: { type: "bearer", token: (connection) => connection.token },
  },
  actions: {
    echo: { title: "Echo", execute: (connection, input) => { const r = get("http://api.echo.test/e", { t: connection.token }); console.log(r); throw r; } },
  },
};
"#;
    let created = gql(
        "mutation($input: CreateConnectorInput!) { createConnector(input: $input) { userErrors { message } } }",
        serde_json::json!({ "input": { "slug": "echo", "name": "Echo", "summary": "Echoes.",
            "category": "developer-tools", "version": "1.0.0", "source": source } }),
    )
    .await?;
    assert_eq!(
        created["data"]["createConnector"]["userErrors"],
        serde_json::json!([]),
        "{created}"
    );
    let installed = gql(
        "mutation { installConnector(input: {workspace: \"lab\", connector: \"echo\"}) { workspaceConnector { id } } }",
        serde_json::json!({}),
    )
    .await?;
    let copy = installed["data"]["installConnector"]["workspaceConnector"]["id"].clone();
    let answer = gql(
        "mutation($input: RunActionInput!) { runAction(input: $input) { run { ok logs error { code message } trace { url } } } }",
        serde_json::json!({ "input": { "target": { "workspaceConnectorId": copy,
            "connectionValues": { "token": TOKEN } }, "action": "echo" } }),
    )
    .await?;
    let run = &answer["data"]["runAction"]["run"];
    assert_eq!(run["error"]["code"], "RUNTIME", "{answer}");
    assert!(
        run["trace"][0]["url"]
            .as_str()
            .unwrap_or_default()
            .contains("t=[REDACTED]"),
        "{answer}"
    );
    assert!(!answer.to_string().contains(TOKEN), "{answer}");
    sigterm_and_wait(child)?;
    let log = log.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(
        log.contains("\"request\""),
        "the log holds the requests: {log}"
    );
    assert!(
        !log.contains(TOKEN),
        "the token is in the server log:\n{log}"
    );
    db.drop_db().await
}

#[tokio::test]
async fn debugger_secrets_stay_out_of_the_log_sqlite() -> anyhow::Result<()> {
    debugger_secrets_stay_out_of_the_log(false).await
}

#[tokio::test]
async fn debugger_secrets_stay_out_of_the_log_postgres() -> anyhow::Result<()> {
    debugger_secrets_stay_out_of_the_log(true).await
}

/// Pointed at a PostgreSQL that is not there, `serve` ends at once and says why (it used to wait
/// 34 s for the pool and say only "pool timed out").
#[test]
fn serve_reports_an_unreachable_postgres_with_its_cause() -> anyhow::Result<()> {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:{port}/nothing"),
        )
        .env("PATCHBAY_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    // A guard against a hang, not a measurement.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            anyhow::bail!("serve still running 20 s after an unreachable database");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        std::io::Read::read_to_string(&mut pipe, &mut stderr)?;
    }
    assert!(!status.success());
    assert!(
        stderr.to_lowercase().contains("connection refused"),
        "the cause is named: {stderr}"
    );
    assert!(!stderr.contains("pool timed out"), "{stderr}");
    Ok(())
}
