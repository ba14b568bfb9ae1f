//! Every shell command of `docs/sdk.md`, run as written, prints what the guide says it prints.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use testkit::examples::repo_root;
use testkit::{Mock, Recorded, Reply, TempDir};

use crate::{BIN, mock_api, text};

/// Where the guide says its mock Todo API and its server listen, and where it writes files.
const GUIDE_MOCK: &str = "127.0.0.1:4010";
const GUIDE_SERVER: &str = "127.0.0.1:8080";
const GUIDE_TMP: &str = "/tmp/";

/// The Todo API the guide's exec commands talk to.
fn todo_mock() -> anyhow::Result<Mock> {
    let todo = |id: i64, title: &str, done: bool| {
        json!({ "id": id, "title": title, "done": done, "priority": "high", "due_on": null,
                "tags": ["docs"], "created_at": "2026-03-02T09:00:00Z" })
    };
    mock_api(vec![
        (
            "GET",
            "/v1/me",
            Reply::Json(
                200,
                json!({ "id": 7, "name": "Ada Lovelace", "email": "ada@example.com" }),
            ),
        ),
        (
            "POST",
            "/v1/todos",
            Reply::Json(201, todo(12, "Write the guide", false)),
        ),
        (
            "GET",
            "/v1/todos/12",
            Reply::Json(200, todo(12, "Write the guide", false)),
        ),
        (
            "PATCH",
            "/v1/todos/12",
            Reply::Json(200, todo(12, "Write the guide", true)),
        ),
        ("DELETE", "/v1/todos/12", Reply::Json(204, Value::Null)),
        (
            "GET",
            "/v1/tags/home%2Fgarden/todos",
            Reply::Json(200, json!({ "todos": [todo(9, "Mow the lawn", false)] })),
        ),
        // Todo 12 twice: the trigger's dedup drops the second.
        (
            "GET",
            "/v1/todos",
            Reply::Json(
                200,
                json!({ "todos": [todo(11, "Read the SDK README", false), todo(12, "Write the guide", false),
                              todo(12, "Write the guide", false)] }),
            ),
        ),
    ])
}

/// A fenced block of the guide: its info string and its text.
#[derive(Debug)]
struct Block {
    info: String,
    text: String,
    line: usize,
}

fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (number, line) in markdown.lines().enumerate() {
        match current.take() {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    current = Some(Block {
                        info: info.trim().to_owned(),
                        text: String::new(),
                        line: number + 1,
                    });
                }
            }
            Some(mut block) => {
                if line.trim_end() == "```" {
                    blocks.push(block);
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                    current = Some(block);
                }
            }
        }
    }
    blocks
}

/// `(12.3 ms)` → `(… ms)`, so timings compare equal.
fn without_timings(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('(') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let number_len = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        if number_len > 0 && after[number_len..].starts_with(" ms)") {
            out.push_str("(… ms)");
            rest = &after[number_len + 4..];
        } else {
            out.push('(');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The last JSON document printed on stdout (commands may print other lines first).
fn last_json(stdout: &str) -> Option<Value> {
    let lines: Vec<&str> = stdout.lines().collect();
    (0..lines.len())
        .rev()
        .filter(|&i| lines[i].starts_with('{') || lines[i].starts_with('['))
        .find_map(|i| serde_json::from_str(&lines[i..].join("\n")).ok())
}

#[test]
fn every_command_in_the_guide_works_as_written() -> anyhow::Result<()> {
    require_tools(&["bash", "curl", "jq"])?;
    let guide = std::fs::read_to_string(repo_root().join("docs/sdk.md"))?;
    let mock = todo_mock()?;
    let server_port = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let data = TempDir::new("patchbay_connector_cli_guide")?;
    let scratch = TempDir::new("patchbay_connector_cli_guide_tmp")?;
    let bin_dir = Path::new(BIN)
        .parent()
        .ok_or_else(|| anyhow::anyhow!("no directory for {BIN}"))?
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let localize = |text: &str| {
        text.replace(GUIDE_MOCK, &mock.addr.to_string())
            .replace(GUIDE_SERVER, &server_port.to_string())
            .replace(GUIDE_TMP, &format!("{}/", scratch.path.display()))
    };
    let blocks = fenced_blocks(&guide);
    // The worked connector in the guide is the file the commands run.
    let worked = std::fs::read_to_string(repo_root().join("examples/guide/todo.js"))?;
    assert!(
        blocks.iter().any(|b| b.info == "js" && b.text == worked),
        "docs/sdk.md must quote examples/guide/todo.js in full, as it is"
    );
    let mut ran = 0;
    let mut commands = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        if block.info != "sh" {
            continue;
        }
        for line in block.text.lines() {
            if let Some(first) = line.split_whitespace().next()
                && !line.starts_with(' ')
            {
                commands.push(first.to_owned());
            }
        }
        // Stop anything the block left in the background and wait for it to end, so that the
        // next block's server finds its port free; give up after two minutes.
        let script = format!(
            "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT\n{}",
            localize(&block.text)
        );
        let out = Command::new("timeout")
            .args(["120", "bash", "-c", &script])
            .current_dir(repo_root())
            .env("PATH", &path)
            .env("PATCHBAY_DATA_DIR", &data.path)
            .env("PATCHBAY_LOG_FORMAT", "json")
            .env_remove("DATABASE_URL")
            .env_remove("PATCHBAY_DATABASE_URL")
            .env_remove("PATCHBAY_CONFIG")
            .output()?;
        assert_prints_what_the_guide_says(&blocks, index, &out, &localize)?;
        ran += 1;
    }
    assert!(ran >= 15, "only {ran} shell blocks in docs/sdk.md");
    for command in ["patchbay", "jq"] {
        assert!(commands.iter().any(|c| c == command), "{commands:?}");
    }
    assert_the_mock_got_the_guides_requests(&mock)
}

/// The guide's commands need these programs on PATH.
fn require_tools(tools: &[&str]) -> anyhow::Result<()> {
    for tool in tools {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()?;
        anyhow::ensure!(
            found.status.success(),
            "the guide's commands need {tool} on PATH"
        );
    }
    Ok(())
}

/// The shell block `blocks[index]` printed `out`: what the block after it says (a ```json block:
/// the last JSON printed; a ```text block: every line of it), and failed if and only if that
/// block shows an `error: `.
fn assert_prints_what_the_guide_says(
    blocks: &[Block],
    index: usize,
    out: &std::process::Output,
    localize: &dyn Fn(&str) -> String,
) -> anyhow::Result<()> {
    let block = &blocks[index];
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    // Every command's output is documented: the block after it says what it prints.
    let expected = blocks
        .get(index + 1)
        .filter(|e| e.info == "json" || e.info == "text")
        .ok_or_else(|| {
            anyhow::anyhow!(
                "docs/sdk.md line {}: no ```json or ```text block says what this prints",
                block.line
            )
        })?;
    let wants_failure =
        expected.info == "text" && expected.text.lines().any(|l| l.starts_with("error: "));
    assert_eq!(
        out.status.success(),
        !wants_failure,
        "docs/sdk.md line {}: {}\nstdout: {stdout}\nstderr: {stderr}",
        block.line,
        block.text
    );
    if expected.info == "json" {
        let want: Value = serde_json::from_str(&expected.text).map_err(|err| {
            anyhow::anyhow!("docs/sdk.md line {}: not JSON: {err}", expected.line)
        })?;
        assert_eq!(
            last_json(&stdout),
            Some(want),
            "docs/sdk.md line {}: {}\nstdout: {stdout}\nstderr: {stderr}",
            block.line,
            block.text
        );
    } else {
        let printed = without_timings(&format!("{stdout}{stderr}"));
        let printed: Vec<&str> = printed.lines().collect();
        for want in without_timings(&localize(&expected.text)).lines() {
            assert!(
                printed.contains(&want),
                "docs/sdk.md line {}: `{want}` was not printed by\n{}\nstdout: {stdout}\nstderr: {stderr}",
                expected.line,
                block.text
            );
        }
    }
    Ok(())
}

/// The exec commands and the server's debugger runs reached the mock, with the key they were
/// given; one todo was created by each.
fn assert_the_mock_got_the_guides_requests(mock: &Mock) -> anyhow::Result<()> {
    let seen = mock.requests();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|r| r.header("x-api-key") == Some("todo_live_4f9a")
                && r.header("host") == Some("api.todo.example")),
        "{seen:?}"
    );
    let created: Vec<&Recorded> = seen.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(
        created.len(),
        2,
        "one from exec, one from the debugger: {seen:?}"
    );
    for request in created {
        assert_eq!(
            serde_json::from_str::<Value>(&request.body)?,
            json!({ "title": "Write the guide", "priority": "high", "tags": ["docs"] })
        );
    }
    Ok(())
}
