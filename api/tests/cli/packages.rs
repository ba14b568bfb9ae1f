//! The package commands against a real server, and their output for people and machines.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;
use testkit::Endpoint;

use crate::{BIN, FreshDb, run, serve, sigterm_and_wait};

/// The package commands a pipeline runs, against a real server: export, inspect, verify, a dry
/// run, an apply, and the exit codes for a bad archive and a bad token.
#[tokio::test]
async fn package_commands_drive_a_server() -> anyhow::Result<()> {
    let db = FreshDb::new(false).await?;
    run(&["seed", "--demo"], &db)?;
    let token = releaser_with_two_workspaces(&db)?;
    let (child, addr) = serve(&db, &[])?;
    a_released_copy_and_a_recipe(&Endpoint::new(format!("http://{addr}")), &token).await?;
    let server = format!("http://{addr}");
    let p = Pipeline {
        server: &server,
        token: &token,
    };
    let archive = db.dir.join("pkg.zip");
    export_inspect_and_verify(&p, &archive)?;
    import_as_a_dry_run_then_apply(&p, &archive)?;
    import_exit_codes(&p, &archive, &db.dir)?;
    sigterm_and_wait(child)?;
    db.drop_db().await
}

/// The `patchbay` binary as a pipeline runs it: against one server, with a token in its
/// environment.
struct Pipeline<'a> {
    server: &'a str,
    token: &'a str,
}

impl Pipeline<'_> {
    fn cli(&self, args: &[&str]) -> std::io::Result<std::process::Output> {
        Command::new(BIN)
            .args(args)
            .env("PATCHBAY_TOKEN", self.token)
            .output()
    }
}

/// A user `rel` with a token, administering the workspaces `dev` and `prod` (production);
/// returns the token.
fn releaser_with_two_workspaces(db: &FreshDb) -> anyhow::Result<String> {
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
        db,
    )?;
    let (token, _) = run(&["token", "create", "--user", "rel"], db)?;
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
        db,
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
        db,
    )?;
    Ok(token)
}

/// In `dev`: github-issues installed and released, and a recipe `ops/Triage` that uses it.
async fn a_released_copy_and_a_recipe(api: &Endpoint, token: &str) -> anyhow::Result<()> {
    const INSTALL: &str = r#"mutation { installConnector(input: {workspace: "dev", connector: "github-issues"}) { workspaceConnector { id } } }"#;
    let installed = api.data(Some(token), INSTALL, json!({})).await?;
    let copy = installed["installConnector"]["workspaceConnector"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let release = format!(
        r#"mutation {{ releaseWorkspaceConnector(input: {{workspaceConnectorId: "{copy}"}}) {{ changed }} }}"#
    );
    let body = api.data(Some(token), &release, json!({})).await?;
    assert_eq!(body["releaseWorkspaceConnector"]["changed"], true, "{body}");
    let recipe = api
        .data(
            Some(token),
            r#"mutation { createRecipe(input: {workspace: "dev", folder: "ops", name: "Triage",
        definition: {trigger: {connector: "github-issues", trigger: "new_issue", input: {}},
                     steps: [{connector: "github-issues", action: "add_comment", input: {}}]}}) {
        recipe { assetId } userErrors { message } } }"#,
            json!({}),
        )
        .await?;
    assert!(
        recipe["createRecipe"]["recipe"]["assetId"].is_string(),
        "{recipe}"
    );
    Ok(())
}

/// `package export` of the folder `ops` of `dev` to `archive`, then `inspect` and `verify`.
fn export_inspect_and_verify(p: &Pipeline, archive: &Path) -> anyhow::Result<()> {
    let archive_arg = archive.to_str().unwrap_or_default();
    let out = p.cli(&[
        "package",
        "export",
        "--server",
        p.server,
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
    let out = p.cli(&["package", "inspect", archive_arg])?;
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
        p.cli(&["package", "verify", archive_arg])?.status.code(),
        Some(0)
    );
    assert_eq!(
        p.cli(&["package", "verify", archive_arg, "--require-signature"])?
            .status
            .code(),
        Some(2)
    );

    Ok(())
}

/// `package import` into `prod`: a dry run with its plan and fingerprint, the apply with that
/// fingerprint, and an apply that changes nothing.
fn import_as_a_dry_run_then_apply(p: &Pipeline, archive: &Path) -> anyhow::Result<()> {
    let archive_arg = archive.to_str().unwrap_or_default();
    let out = p.cli(&[
        "package",
        "import",
        "--server",
        p.server,
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
    let out = p.cli(&[
        "package",
        "import",
        "--server",
        p.server,
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
    let out = p.cli(&[
        "package",
        "import",
        "--server",
        p.server,
        "--workspace",
        "prod",
        archive_arg,
        "--apply",
    ])?;
    assert!(String::from_utf8(out.stdout)?.contains("applied (nothing changed)"));

    Ok(())
}

/// A damaged archive is exit code 2; a stale fingerprint 3; a bad token 4.
fn import_exit_codes(p: &Pipeline, archive: &Path, dir: &Path) -> anyhow::Result<()> {
    let archive_arg = archive.to_str().unwrap_or_default();
    let mut bytes = std::fs::read(archive)?;
    bytes.truncate(bytes.len() / 2);
    let broken = dir.join("broken.zip");
    std::fs::write(&broken, bytes)?;
    let out = p.cli(&[
        "package",
        "import",
        "--server",
        p.server,
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
    let out = p.cli(&[
        "package",
        "import",
        "--server",
        p.server,
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
            p.server,
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
    Ok(())
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
