//! `patchbay package …`: what a CI pipeline runs. `export` and `import` talk to a server with a
//! token; `inspect` and `verify` read an archive locally.
//!
//! Exit codes a pipeline can act on: 0 done; 1 could not run (network, server, usage);
//! 2 the archive is invalid; 3 the import plan cannot be applied (conflicts, missing
//! dependencies, a changed target); 4 not signed in or not allowed; and, like every command of
//! the binary, [`EXIT_BROKEN_PIPE`] when stdout closes before the output is written.
//!
//! Every command prints for people; `--json` prints one JSON document for machines instead, with
//! the fields `docs/cli.md` lists. Everything the binary prints on stdout goes through [`say`].

use std::fmt::Display;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context;
use base64::Engine as _;
use serde_json::{Value, json};

/// The exit status when stdout is closed before everything was written to it (the reader went
/// away, as `patchbay package inspect pkg.zip | head -1` does): 141, what a shell reports for a
/// process killed by SIGPIPE, so `patchbay` in a pipeline behaves like `cat` or `grep` would —
/// quietly, and failing under `set -o pipefail` because its output was not all read.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// The exit codes of the package commands, as `--help` shows them.
pub const EXIT_CODES_HELP: &str = "Exit codes:
  0    done
  1    could not run: bad usage, a file that cannot be read or written, network, server
  2    the archive is invalid: damaged, over a limit, or its signature fails or is missing
  3    the import plan cannot be applied: conflicts, missing dependencies, a changed target
  4    not signed in, or not allowed
  141  stdout was closed before all output was written (e.g. `| head -1`)";

/// Writes `text` and a newline to stdout, the one way the binary prints its output. A closed
/// stdout (a broken pipe) ends the process quietly with [`EXIT_BROKEN_PIPE`]; any other failure
/// to write ends it with exit code 1 and a message on stderr. Never panics.
pub fn say(text: impl Display) {
    write_out(format_args!("{text}\n"));
}

/// As [`say`], without adding a newline.
pub fn say_raw(text: impl Display) {
    write_out(format_args!("{text}"));
}

fn write_out(text: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_fmt(text).and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::exit(i32::from(EXIT_BROKEN_PIPE))
        }
        Err(err) => {
            tell(format_args!("error: writing to stdout: {err}"));
            std::process::exit(1)
        }
    }
}

/// Writes `text` and a newline to stderr: progress, notes and errors. A stderr that cannot be
/// written to is ignored (there is nowhere left to say so).
pub fn tell(text: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub struct CliFailure {
    pub code: u8,
    pub message: String,
}

impl CliFailure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for CliFailure {
    fn from(err: anyhow::Error) -> Self {
        Self::new(1, format!("{err:#}"))
    }
}

/// Where the server is and who we are.
pub struct Server {
    pub url: String,
    pub token: String,
}

impl Server {
    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url.trim_end_matches('/'))
    }
}

fn status(step: &str) {
    tell(format_args!("==> {step}"));
}

/// A progress bar on stderr for `len` bytes; drawn only on a terminal, so pipeline logs stay
/// clean.
fn byte_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar
}

/// A spinner on stderr while the server works (planning or applying a large package).
fn spinner(what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Turn a GraphQL response into the payload at `field`, or a failure with the right exit code.
fn payload(body: &Value, field: &str) -> Result<Value, CliFailure> {
    if let Some(error) = body["errors"].get(0) {
        let code = error["extensions"]["code"].as_str().unwrap_or_default();
        let exit = if matches!(code, "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND") {
            4
        } else {
            1
        };
        return Err(CliFailure::new(
            exit,
            format!("{code}: {}", error["message"].as_str().unwrap_or_default()),
        ));
    }
    let payload = body["data"][field].clone();
    if let Some(problems) = payload["userErrors"].as_array().filter(|p| !p.is_empty()) {
        let text: Vec<String> = problems
            .iter()
            .map(|p| {
                format!(
                    "{}: {}",
                    p["code"].as_str().unwrap_or_default(),
                    p["message"].as_str().unwrap_or_default()
                )
            })
            .collect();
        let archive_problem = problems
            .iter()
            .any(|p| p["message"].as_str().is_some_and(|m| m.starts_with('[')));
        let exit = if archive_problem { 2 } else { 3 };
        return Err(CliFailure::new(exit, text.join("\n")));
    }
    Ok(payload)
}

async fn post_json(
    client: &reqwest::Client,
    server: &Server,
    query: &str,
    variables: Value,
) -> Result<Value, CliFailure> {
    let response = client
        .post(server.endpoint("/graphql"))
        .bearer_auth(&server.token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .with_context(|| format!("reaching {}", server.url))?;
    response
        .json()
        .await
        .map_err(|e| CliFailure::new(1, format!("reading the server's answer: {e}")))
}

/// Export recipes (by global id and/or folder) and save the archive to `output`.
pub async fn export(
    server: &Server,
    workspace: &str,
    recipe_ids: Vec<String>,
    folders: Vec<String>,
    output: &Path,
    as_json: bool,
) -> Result<(), CliFailure> {
    let client = reqwest::Client::new();
    status(&format!("exporting from {workspace}"));
    let query = "mutation($input: ExportPackageInput!) { exportPackage(input: $input) { \
                 package { packageId sha256 size downloadPath } userErrors { field message code } } }";
    let input = json!({ "workspace": workspace, "recipeIds": recipe_ids, "folders": folders });
    let body = post_json(&client, server, query, json!({ "input": input })).await?;
    let package = payload(&body, "exportPackage")?["package"].clone();
    let path = package["downloadPath"]
        .as_str()
        .ok_or_else(|| CliFailure::new(1, "the server gave no download path"))?;
    status(&format!("downloading {} bytes", package["size"]));
    let response = client
        .get(server.endpoint(path))
        .bearer_auth(&server.token)
        .send()
        .await
        .context("downloading the archive")?;
    if !response.status().is_success() {
        return Err(CliFailure::new(
            4,
            format!("download refused: {}", response.status()),
        ));
    }
    let bar = byte_bar(response.content_length().unwrap_or(0), "downloading");
    let mut bytes = Vec::new();
    let mut response = response;
    while let Some(chunk) = response.chunk().await.context("downloading the archive")? {
        bytes.extend_from_slice(&chunk);
        bar.set_position(bytes.len() as u64);
    }
    bar.finish_and_clear();
    std::fs::write(output, &bytes).with_context(|| format!("writing {}", output.display()))?;
    let package_id = package["packageId"].as_str().unwrap_or_default();
    let sha256 = package["sha256"].as_str().unwrap_or_default();
    if as_json {
        say(
            json!({ "package_id": package_id, "size": bytes.len(), "sha256": sha256,
                    "path": output.display().to_string() }),
        );
    } else {
        say(format_args!(
            "exported package {package_id} ({} bytes, sha256 {sha256}) to {}",
            bytes.len(),
            output.display()
        ));
    }
    Ok(())
}

/// Upload `file` to a workspace: a dry run by default, applied with `apply`.
pub async fn import(
    server: &Server,
    workspace: &str,
    file: &Path,
    apply: bool,
    fingerprint: Option<String>,
    as_json: bool,
) -> Result<(), CliFailure> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    status(&format!(
        "{} {} ({} bytes) into {workspace}",
        if apply { "importing" } else { "planning" },
        file.display(),
        bytes.len()
    ));
    let query = "mutation($input: ImportPackageInput!) { importPackage(input: $input) { applied fingerprint \
                 plan { applicable noop creates updates unchanged conflicts connectionsNeedingCredentials restarts missingDependencies detail } \
                 userErrors { field message code } } }";
    let operations = json!({
        "query": query,
        "variables": { "input": { "workspace": workspace, "archive": null, "dryRun": !apply, "fingerprint": fingerprint } }
    });
    let form = import_form(&operations, bytes);
    let working = spinner(if apply {
        "uploading and applying"
    } else {
        "uploading and planning"
    });
    let response = reqwest::Client::new()
        .post(server.endpoint("/graphql"))
        .bearer_auth(&server.token)
        // Uploads must carry a header that a cross-site form cannot (see `http::PREFLIGHT_HEADERS`).
        .header("x-patchbay-preflight", "1")
        .multipart(form)
        .send()
        .await
        .with_context(|| format!("reaching {}", server.url));
    working.finish_and_clear();
    let response = response?;
    let body: Value = response
        .json()
        .await
        .map_err(|e| CliFailure::new(1, format!("reading the server's answer: {e}")))?;
    let result = payload(&body, "importPackage")?;
    let plan = &result["plan"];
    let applied = result["applied"].as_bool() == Some(true);
    let applicable = plan["applicable"].as_bool() == Some(true);
    if as_json {
        say(json!({ "applied": applied, "fingerprint": result["fingerprint"], "plan": plan }));
    } else {
        print_plan(&result);
    }
    if !applied && !applicable {
        return Err(CliFailure::new(
            3,
            "the plan cannot be applied: resolve the conflicts and missing dependencies above",
        ));
    }
    Ok(())
}

/// The GraphQL multipart request (the spec's `operations`, `map`, then the file part `0`) that
/// uploads `archive` as `importPackage`'s `input.archive`, with `operations` naming the query and
/// its variables: what [`import`] sends, and what the end-to-end tests send.
pub fn import_form(operations: &Value, archive: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text(
            "map",
            json!({ "0": ["variables.input.archive"] }).to_string(),
        )
        .part(
            "0",
            reqwest::multipart::Part::bytes(archive).file_name("package.zip"),
        )
}

fn print_plan(result: &Value) {
    let plan = &result["plan"];
    say(format_args!(
        "plan: {} to create, {} to update, {} unchanged, {} in conflict, {} connections need credentials, {} restarts, {} missing dependencies",
        plan["creates"],
        plan["updates"],
        plan["unchanged"],
        plan["conflicts"],
        plan["connectionsNeedingCredentials"],
        plan["restarts"],
        plan["missingDependencies"]
    ));
    print_plan_detail(&plan["detail"]);
    say(format_args!(
        "fingerprint: {}",
        result["fingerprint"].as_str().unwrap_or_default()
    ));
    if result["applied"].as_bool() == Some(true) {
        say(format_args!(
            "applied{}",
            if plan["noop"].as_bool() == Some(true) {
                " (nothing changed)"
            } else {
                ""
            }
        ));
    } else if plan["applicable"].as_bool() == Some(true) {
        say("dry run: nothing changed (apply with --apply --fingerprint <fingerprint>)");
    }
}

fn print_plan_detail(detail: &Value) {
    for (kind, key) in [
        ("recipe", "recipes"),
        ("connection", "connections"),
        ("connector", "connectors"),
    ] {
        for item in detail[key].as_array().into_iter().flatten() {
            let name = item["name"]
                .as_str()
                .or_else(|| item["slug"].as_str())
                .unwrap_or_default();
            say(format_args!(
                "  {:<10} {:<9} {}",
                kind,
                item["action"].as_str().unwrap_or_default(),
                name
            ));
        }
    }
    for missing in detail["missing_dependencies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        say(format_args!(
            "  missing    {} needs {}",
            missing["from"], missing["to"]
        ));
    }
}

fn read_archive(file: &Path) -> Result<packager::Package, CliFailure> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    packager::read(&bytes, &packager::Limits::default()).map_err(|err| {
        let path = err.path().map(|p| format!(" at {p:?}")).unwrap_or_default();
        CliFailure::new(
            2,
            format!("{}: [{}] {err}{path}", file.display(), err.code()),
        )
    })
}

/// Print a readable summary of an archive (and check it under the limits); with `as_json`, the
/// same as one JSON document.
pub fn inspect(file: &Path, as_json: bool) -> Result<(), CliFailure> {
    let package = read_archive(file)?;
    if as_json {
        say(summary_json(&package));
        return Ok(());
    }
    let m = &package.manifest;
    say(format_args!(
        "package {} (format {})",
        m.package_id, m.format_version
    ));
    say(format_args!(
        "from {} ({}), exported by {} at {}",
        m.source.workspace, m.source.environment, m.exporter, m.created_at
    ));
    say(format_args!(
        "signature: {}",
        m.signature.as_ref().map_or("none".to_owned(), |s| format!(
            "{} key {}",
            s.algorithm, s.key_id
        ))
    ));
    for c in &package.connectors {
        let parent = c
            .parent
            .as_ref()
            .map(|p| format!(" (from {} {})", p.listing, p.version))
            .unwrap_or_default();
        // A closed-source connector is not in the archive: the importing server's catalog has it.
        let by_reference = c
            .reference()
            .map(|r| format!(" by reference to {} {}", r.listing, r.version))
            .unwrap_or_default();
        say(format_args!(
            "  connector  {} v{}{parent}{by_reference} sha256 {}",
            c.slug,
            c.workspace_version,
            &c.sha256[..12.min(c.sha256.len())]
        ));
    }
    for c in &package.connections {
        say(format_args!(
            "  connection {}/{} for {}",
            c.folder, c.name, c.connector
        ));
    }
    for r in &package.recipes {
        say(format_args!(
            "  recipe     {}/{} uses {}",
            r.folder,
            r.name,
            r.connector_slugs()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// `inspect --json`: the fields `docs/cli.md` documents.
fn summary_json(package: &packager::Package) -> Value {
    let m = &package.manifest;
    json!({
        "package_id": m.package_id,
        "format_version": m.format_version,
        "created_at": m.created_at,
        "exporter": m.exporter,
        "source": { "workspace": m.source.workspace, "environment": m.source.environment },
        "signature": m.signature.as_ref().map(|s| json!({ "algorithm": s.algorithm, "key_id": s.key_id })),
        "connectors": package.connectors.iter().map(|c| json!({
            "slug": c.slug,
            "workspace_version": c.workspace_version,
            "parent": c.parent.as_ref().map(|p| json!({ "listing": p.listing, "version": p.version })),
            "sha256": c.sha256,
            "reference": c.reference().map(|r| json!({ "listing": r.listing, "version": r.version, "sha256": r.sha256 })),
        })).collect::<Vec<_>>(),
        "connections": package.connections.iter().map(|c| json!({
            "folder": c.folder, "name": c.name, "connector": c.connector,
        })).collect::<Vec<_>>(),
        "recipes": package.recipes.iter().map(|r| json!({
            "folder": r.folder,
            "name": r.name,
            "connectors": r.connector_slugs().into_iter().collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Check integrity (always) and the signature against trusted keys; say what was found, for
/// people or (with `as_json`) as one JSON document.
pub fn verify(
    file: &Path,
    trusted_keys: &[String],
    require_signature: bool,
    as_json: bool,
) -> Result<(), CliFailure> {
    let package = read_archive(file)?;
    let mut keys = Vec::new();
    for key in trusted_keys {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|e| CliFailure::new(1, format!("--trusted-key {key}: {e}")))?;
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CliFailure::new(1, format!("--trusted-key {key}: not 32 bytes")))?;
        keys.push(
            packager::VerifyingKey::from_bytes(&array)
                .map_err(|e| CliFailure::new(1, format!("--trusted-key: {e}")))?,
        );
    }
    let verification = packager::verify(&package, &keys, require_signature)
        .map_err(|err| CliFailure::new(2, format!("{}: [{}] {err}", file.display(), err.code())))?;
    let (signature, key_id, sentence) = match &verification {
        packager::Verification::Unsigned => ("unsigned", None, "not signed".to_owned()),
        packager::Verification::Verified { key_id } => (
            "verified",
            Some(key_id),
            format!("signed by trusted key {key_id}, and the signature holds"),
        ),
        packager::Verification::UnknownSigner { key_id } => (
            "unknown_signer",
            Some(key_id),
            format!(
                "signed by key {key_id}, which is not among the trusted keys: not checked, proves nothing"
            ),
        ),
    };
    if as_json {
        say(json!({
            "file": file.display().to_string(),
            "package_id": package.manifest.package_id,
            "integrity": "ok",
            "signature": signature,
            "key_id": key_id,
        }));
    } else {
        say(format_args!(
            "{}: every file matches its sha256",
            file.display()
        ));
        say(format_args!("signature: {sentence}"));
    }
    Ok(())
}
