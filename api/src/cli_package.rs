//! `patchbay package …`: what a CI pipeline runs. `export` and `import` talk to a server with a
//! token; `inspect` and `verify` read an archive locally.
//!
//! Exit codes a pipeline can act on: 0 done; 1 could not run (network, server, usage);
//! 2 the archive is invalid; 3 the import plan cannot be applied (conflicts, missing
//! dependencies, a changed target); 4 not signed in or not allowed.

use std::path::Path;

use anyhow::Context;
use base64::Engine as _;
use serde_json::{Value, json};

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
    eprintln!("==> {step}");
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
    println!(
        "exported package {} ({} bytes, sha256 {}) to {}",
        package["packageId"].as_str().unwrap_or_default(),
        bytes.len(),
        package["sha256"].as_str().unwrap_or_default(),
        output.display()
    );
    Ok(())
}

/// Upload `file` to a workspace: a dry run by default, applied with `apply`.
pub async fn import(
    server: &Server,
    workspace: &str,
    file: &Path,
    apply: bool,
    fingerprint: Option<String>,
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
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text(
            "map",
            json!({ "0": ["variables.input.archive"] }).to_string(),
        )
        .part(
            "0",
            reqwest::multipart::Part::bytes(bytes).file_name("package.zip"),
        );
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
    println!(
        "plan: {} to create, {} to update, {} unchanged, {} in conflict, {} connections need credentials, {} restarts, {} missing dependencies",
        plan["creates"],
        plan["updates"],
        plan["unchanged"],
        plan["conflicts"],
        plan["connectionsNeedingCredentials"],
        plan["restarts"],
        plan["missingDependencies"]
    );
    print_plan_detail(&plan["detail"]);
    println!(
        "fingerprint: {}",
        result["fingerprint"].as_str().unwrap_or_default()
    );
    if result["applied"].as_bool() == Some(true) {
        println!(
            "applied{}",
            if plan["noop"].as_bool() == Some(true) {
                " (nothing changed)"
            } else {
                ""
            }
        );
    } else if plan["applicable"].as_bool() != Some(true) {
        return Err(CliFailure::new(
            3,
            "the plan cannot be applied: resolve the conflicts and missing dependencies above",
        ));
    } else {
        println!("dry run: nothing changed (apply with --apply --fingerprint <fingerprint>)");
    }
    Ok(())
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
            println!(
                "  {:<10} {:<9} {}",
                kind,
                item["action"].as_str().unwrap_or_default(),
                name
            );
        }
    }
    for missing in detail["missing_dependencies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        println!("  missing    {} needs {}", missing["from"], missing["to"]);
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

/// Print a readable summary of an archive (and check it under the limits).
pub fn inspect(file: &Path) -> Result<(), CliFailure> {
    let package = read_archive(file)?;
    let m = &package.manifest;
    println!("package {} (format {})", m.package_id, m.format_version);
    println!(
        "from {} ({}), exported by {} at {}",
        m.source.workspace, m.source.environment, m.exporter, m.created_at
    );
    println!(
        "signature: {}",
        m.signature.as_ref().map_or("none".to_owned(), |s| format!(
            "{} key {}",
            s.algorithm, s.key_id
        ))
    );
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
        println!(
            "  connector  {} v{}{parent}{by_reference} sha256 {}",
            c.slug,
            c.workspace_version,
            &c.sha256[..12.min(c.sha256.len())]
        );
    }
    for c in &package.connections {
        println!("  connection {}/{} for {}", c.folder, c.name, c.connector);
    }
    for r in &package.recipes {
        println!(
            "  recipe     {}/{} uses {}",
            r.folder,
            r.name,
            r.connector_slugs()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Check integrity (always) and the signature against trusted keys.
pub fn verify(
    file: &Path,
    trusted_keys: &[String],
    require_signature: bool,
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
    println!(
        "{}: every file matches its sha256; signature: {verification:?}",
        file.display()
    );
    Ok(())
}
