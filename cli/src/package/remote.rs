//! `package export` and `package import`: clients of a running server, with a token.

use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};

use super::{CliFailure, Server};
use crate::output::{say, tell};

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
    let form = super::archive_upload(&operations, bytes).context("encoding the upload")?;
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
