//! `patchbay connector check` and `patchbay connector exec` as a connector author uses them:
//! every example connector checks; a broken file is refused with its line and column; exec runs
//! a connection test, an action and a trigger against a mock API this test starts (through
//! `--allow-private-networks --host-override`), printing the output, and with `--verbose` the
//! redacted trace. Last, every shell command of `docs/sdk.md` runs exactly as written (the
//! mock's port, the server's port and a scratch folder for `/tmp/` swapped in) and prints what
//! the guide says it prints.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use testkit::examples::{example_slugs, newest_version, repo_root};
use testkit::{Mock, Recorded, Reply};

const BIN: &str = env!("CARGO_BIN_EXE_patchbay");

// ---- A mock API (testkit's), and running the binary. ----

/// A mock API answering each of `routes`: method, path, reply.
fn mock_api(routes: Vec<(&str, &str, Reply)>) -> anyhow::Result<Mock> {
    let mock = Mock::start()?;
    for (method, path, reply) in routes {
        mock.route(method, path, reply);
    }
    Ok(mock)
}

fn patchbay(args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(BIN)
        .args(args)
        .current_dir(repo_root())
        .output()?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Run a command that must succeed; returns stdout parsed as JSON, and stderr.
fn json_of(args: &[&str]) -> anyhow::Result<(Value, String)> {
    let out = patchbay(args)?;
    anyhow::ensure!(
        out.status.success(),
        "patchbay {args:?} failed: {}",
        text(&out.stderr)
    );
    let stdout: Value = serde_json::from_slice(&out.stdout).map_err(|err| {
        anyhow::anyhow!(
            "stdout of {args:?} is not JSON ({err}): {}",
            text(&out.stdout)
        )
    })?;
    Ok((stdout, text(&out.stderr)))
}

/// Run a command that must fail; returns stderr.
fn failure_of(args: &[&str]) -> anyhow::Result<String> {
    let out = patchbay(args)?;
    anyhow::ensure!(
        !out.status.success(),
        "patchbay {args:?} should have failed; stdout: {}",
        text(&out.stdout)
    );
    Ok(text(&out.stderr))
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "patchbay_connector_cli_{tag}_{}_{}",
            std::process::id(),
            nanos % 1_000_000_000
        ));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---- check ----

/// Every example connector's newest version, as a path relative to the repository.
fn newest_examples() -> anyhow::Result<Vec<(String, String)>> {
    example_slugs()?
        .into_iter()
        .map(|slug| {
            let newest = newest_version(&slug)?;
            let path = format!("examples/connectors/{slug}/versions/{newest}.js");
            Ok((slug, path))
        })
        .collect()
}

#[test]
fn check_accepts_every_example_and_prints_its_capabilities() -> anyhow::Result<()> {
    let examples = newest_examples()?;
    assert_eq!(examples.len(), 9, "{examples:?}");
    for (slug, path) in &examples {
        let (caps, _) = json_of(&["connector", "check", path])?;
        assert!(
            caps["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{slug}: {caps}"
        );
        assert!(
            caps["actions"].as_array().is_some_and(|a| !a.is_empty()),
            "{slug}: {caps}"
        );
        assert!(
            caps["allowed_hosts"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{slug}: {caps}"
        );
    }
    // The guide's connector too, with exactly its operations.
    let (caps, _) = json_of(&["connector", "check", "examples/guide/todo.js"])?;
    let names = |key: &str| -> Vec<String> {
        caps[key]
            .as_array()
            .map(|ops| {
                ops.iter()
                    .filter_map(|op| op["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        names("actions"),
        [
            "complete_todo",
            "create_todo",
            "delete_todo",
            "get_todo",
            "todos_tagged"
        ]
    );
    assert_eq!(names("triggers"), ["new_todo"]);
    assert_eq!(caps["allowed_hosts"], json!(["api.todo.example"]));
    assert_eq!(caps["connection"]["authorization"], "api_key");
    Ok(())
}

#[test]
fn check_refuses_a_broken_file_with_its_code_and_place() -> anyhow::Result<()> {
    let dir = TempDir::new("broken")?;
    // (file, source, code, what the message says, where: `Some("line N")` when it has a place).
    let cases = [
        // A syntax error: the call in `execute` is never closed.
        (
            "syntax.js",
            "export default {\n  title: \"Broken\",\n  actions: {\n    ping: {\n      title: \"Ping\",\n      execute: (connection, input) => get(\"/ping\"\n    },\n  },\n};\n",
            "SYNTAX",
            "syntax error",
            Some("line 7"),
        ),
        // Valid JavaScript, but an action without `execute`: the path, at the action's key.
        (
            "definition.js",
            "export default {\n  title: \"Broken\",\n  actions: {\n    ping: { title: \"Ping\" },\n  },\n};\n",
            "INVALID_DEFINITION",
            "actions.ping: missing `execute`",
            Some("line 4"),
        ),
        // A misspelt name in the top level, which parsing runs.
        (
            "typo.js",
            "const fields = [{ name: \"id\" }];\nexport default {\n  title: \"Typo\",\n  actions: {\n    ping: { title: \"Ping\", input_fields: feilds, execute: (connection, input) => get(\"/ping\") },\n  },\n};\n",
            "RUNTIME",
            "ReferenceError: feilds is not defined",
            Some("line 5"),
        ),
        // Connectors load no modules.
        (
            "import.js",
            "import helpers from \"./helpers.js\";\nexport default { title: \"Imports\" };\n",
            "FORBIDDEN_FEATURE",
            "`import` is not available to connectors",
            None,
        ),
    ];
    for (name, source, code, says, place) in cases {
        let path = dir.0.join(name);
        std::fs::write(&path, source)?;
        let path = path.to_string_lossy().into_owned();
        let stderr = failure_of(&["connector", "check", &path])?;
        assert!(stderr.starts_with(&format!("error: {path}: ")), "{stderr}");
        assert!(stderr.contains(&format!("({code})")), "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        if let Some(line) = place {
            assert!(
                stderr.contains(&format!("{line}, column ")),
                "{name}: {stderr}"
            );
        }
    }
    let stderr = failure_of(&["connector", "check", "no/such/connector.js"])?;
    assert!(stderr.contains("reading no/such/connector.js"), "{stderr}");
    Ok(())
}

// ---- exec ----

const GITHUB: &str = "examples/connectors/github-issues/versions/2.0.0.js";
const GITHUB_TOKEN: &str = "ghp_cliSECRET0123456789";

fn issue() -> Value {
    json!({ "id": 2001, "number": 42, "title": "Crash on start", "state": "open",
            "html_url": "https://github.com/octo-labs/patchbay/issues/42", "labels": [] })
}

#[test]
fn exec_runs_a_test_and_an_action_against_a_mock_with_a_redacted_trace() -> anyhow::Result<()> {
    let mock = mock_api(vec![
        (
            "GET",
            "/user",
            Reply::Json(200, json!({ "login": "octocat", "id": 1 })),
        ),
        (
            "GET",
            "/repos/octo-labs/patchbay/issues/42",
            Reply::Json(200, issue()),
        ),
    ])?;
    let override_arg = format!("api.github.com={}", mock.addr);
    let connection = json!({ "token": GITHUB_TOKEN }).to_string();

    // --test, verbose: the output on stdout, the trace on stderr with the header redacted.
    let (output, stderr) = json_of(&[
        "connector",
        "exec",
        GITHUB,
        "--test",
        "--connection",
        &connection,
        "--allow-private-networks",
        "--host-override",
        &override_arg,
        "--verbose",
    ])?;
    assert_eq!(output, json!({ "login": "octocat", "id": 1 }));
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("GET https://api.github.com/user -> 200 ("),
        "{stderr}"
    );
    assert!(stderr.contains("  > Authorization: [REDACTED]"), "{stderr}");
    assert!(
        stderr.contains("  > X-GitHub-Api-Version: 2022-11-28"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  < {\"id\":1,\"login\":\"octocat\"}")
            || stderr.contains("  < {\"login\":\"octocat\",\"id\":1}"),
        "{stderr}"
    );
    assert!(!stderr.contains(GITHUB_TOKEN), "{stderr}");

    // An action with input: the output is the issue, and the mock saw the real token on the
    // declared host.
    let (output, stderr) = json_of(&[
        "connector",
        "exec",
        GITHUB,
        "--action",
        "get_issue",
        "--input",
        r#"{"owner": "octo-labs", "repository": "patchbay", "number": 42}"#,
        "--connection",
        &connection,
        "--allow-private-networks",
        "--host-override",
        &override_arg,
    ])?;
    assert_eq!(output, issue());
    assert_eq!(stderr, "", "without --verbose nothing goes to stderr");
    let seen = mock.requests();
    assert_eq!(
        seen.iter()
            .map(|r| (r.method.as_str(), r.target.as_str()))
            .collect::<Vec<_>>(),
        [
            ("GET", "/user"),
            ("GET", "/repos/octo-labs/patchbay/issues/42")
        ]
    );
    for request in &seen {
        assert_eq!(request.header("host"), Some("api.github.com"));
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {GITHUB_TOKEN}").as_str())
        );
        assert_eq!(request.body, "");
    }

    // Without --allow-private-networks the override's loopback address is refused, and the
    // mock sees nothing.
    let stderr = failure_of(&[
        "connector",
        "exec",
        GITHUB,
        "--test",
        "--connection",
        &connection,
        "--host-override",
        &override_arg,
    ])?;
    assert!(stderr.contains("(EGRESS_DENIED)"), "{stderr}");
    assert!(!stderr.contains(GITHUB_TOKEN), "{stderr}");
    assert_eq!(mock.requests().len(), 2);

    // A failing run exits non-zero with the code: invalid input, before any request.
    let stderr = failure_of(&[
        "connector",
        "exec",
        GITHUB,
        "--action",
        "get_issue",
        "--input",
        r#"{"owner": "octo-labs", "repository": "patchbay", "number": "42"}"#,
        "--connection",
        &connection,
        "--allow-private-networks",
        "--host-override",
        &override_arg,
    ])?;
    assert!(stderr.contains("(INVALID_INPUT)"), "{stderr}");
    assert!(stderr.contains("number"), "{stderr}");
    assert_eq!(mock.requests().len(), 2);
    Ok(())
}

/// A connector that sends its basic credentials and a token to an API that echoes them back,
/// then returns, logs or throws the echo.
const ECHO_CONNECTOR: &str = r#"export default {
  title: "Echo",
  allowed_hosts: ["api.echo.test"],
  connection: {
    fields: [{ name: "user" }, { name: "password", control_type: "password" }, { name: "token", secret: true }],
    authorization: { type: "basic", username: (connection) => connection.user, password: (connection) => connection.password },
    base_uri: "http://api.echo.test",
  },
  test: (connection) => get("/echo", { token: connection.token }),
  actions: {
    echo: {
      title: "Echo",
      execute: (connection, input) => {
        const answer = post("/echo?key=" + connection.token, { password: connection.password });
        console.log(answer);
        return answer;
      },
    },
    throw_echo: { title: "Throw", execute: (connection, input) => { throw get("/echo", { token: connection.token }); } },
  },
  triggers: {
    echoes: { title: "Echoes", poll: (connection, input, cursor) => ({ events: [get("/echo")], cursor: connection.token }) },
  },
};
"#;

#[test]
fn exec_shows_no_secret_an_api_echoes_back() -> anyhow::Result<()> {
    use base64::Engine as _;
    const PASSWORD: &str = "cli S3CRET/+?&=";
    const TOKEN: &str = "tok_cli_echo_5e4d3c";
    let mock = mock_api(vec![
        ("GET", "/echo", Reply::Echo(200)),
        ("POST", "/echo", Reply::Echo(200)),
    ])?;
    let dir = TempDir::new("echo")?;
    let file = dir.0.join("echo.js");
    std::fs::write(&file, ECHO_CONNECTOR)?;
    let file = file.to_string_lossy().into_owned();
    let override_arg = format!("api.echo.test={}", mock.addr);
    let connection = json!({ "user": "ada-cli", "password": PASSWORD, "token": TOKEN }).to_string();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("ada-cli:{PASSWORD}"));
    let encoded: String = PASSWORD
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let runs: [&[&str]; 4] = [
        &["--action", "echo"],
        &["--action", "throw_echo"],
        &["--test"],
        &["--trigger", "echoes"],
    ];
    for operation in runs {
        let mut args = vec!["connector", "exec", &file];
        args.extend_from_slice(operation);
        args.extend_from_slice(&[
            "--connection",
            &connection,
            "--allow-private-networks",
            "--host-override",
            &override_arg,
            "--verbose",
        ]);
        let out = patchbay(&args)?;
        let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
        for secret in [PASSWORD, TOKEN, "ada-cli", &basic, &encoded] {
            assert!(
                !printed.contains(secret),
                "{operation:?}: `{secret}` leaked in {printed}"
            );
        }
        assert!(
            printed.contains("Basic [REDACTED]"),
            "{operation:?}: {printed}"
        );
    }
    // The API did get the credentials.
    assert!(
        mock.requests()
            .iter()
            .all(|r| r.header("authorization") == Some(format!("Basic {basic}").as_str()))
    );
    Ok(())
}

#[test]
fn exec_explains_bad_arguments() -> anyhow::Result<()> {
    let cases: [(&[&str], &str); 6] = [
        (
            &["--action", "get_issue", "--input", "{owner: octo}"],
            "--input is not valid JSON",
        ),
        (
            &["--test", "--connection", "token=abc"],
            "--connection is not valid JSON",
        ),
        (
            &["--trigger", "new_issue", "--cursor", "{"],
            "--cursor is not valid JSON",
        ),
        (
            &["--test", "--host-override", "api.github.com"],
            "--host-override api.github.com: expected HOST=IP:PORT",
        ),
        (
            &["--test", "--host-override", "api.github.com=localhost"],
            "--host-override api.github.com=localhost: bad address",
        ),
        (&[], "choose one of --action NAME, --trigger NAME or --test"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["connector", "exec", GITHUB];
        args.extend_from_slice(extra);
        let stderr = failure_of(&args)?;
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    }
    // Unknown operations are named.
    let stderr = failure_of(&["connector", "exec", GITHUB, "--action", "nope"])?;
    assert!(stderr.contains("(UNKNOWN_ACTION)"), "{stderr}");
    Ok(())
}

// ---- The guide: every shell command in docs/sdk.md, as written. ----

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
    for tool in ["bash", "curl", "jq"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()?;
        anyhow::ensure!(
            found.status.success(),
            "the guide's commands need {tool} on PATH"
        );
    }
    let guide = std::fs::read_to_string(repo_root().join("docs/sdk.md"))?;
    let mock = todo_mock()?;
    let server_port = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let data = TempDir::new("guide")?;
    let scratch = TempDir::new("guide_tmp")?;
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
            .replace(GUIDE_TMP, &format!("{}/", scratch.0.display()))
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
            .env("PATCHBAY_DATA_DIR", &data.0)
            .env("PATCHBAY_LOG_FORMAT", "json")
            .env_remove("DATABASE_URL")
            .env_remove("PATCHBAY_DATABASE_URL")
            .env_remove("PATCHBAY_CONFIG")
            .output()?;
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
        ran += 1;
    }
    assert!(ran >= 15, "only {ran} shell blocks in docs/sdk.md");
    for command in ["patchbay", "jq"] {
        assert!(commands.iter().any(|c| c == command), "{commands:?}");
    }
    // The exec commands and the server's debugger runs reached the mock, with the key they were
    // given.
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

/// `connector init` writes a starter that `connector check` accepts and a TypeScript setup for
/// the author's editor; it never writes into a folder that holds something.
#[test]
fn init_writes_a_starter_that_checks() -> anyhow::Result<()> {
    let parent = std::env::temp_dir().join(format!(
        "patchbay-init-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos()
    ));
    std::fs::create_dir_all(&parent)?;
    let dir = parent.join("acme-crm");
    let dir_text = dir.to_string_lossy().into_owned();
    let out = Command::new(BIN)
        .args([
            "connector",
            "init",
            "acme-crm",
            "--dir",
            &dir_text,
            "--title",
            "Acme CRM",
        ])
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["connector.js", "patchbay-connector.d.ts", "jsconfig.json"] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let source = std::fs::read_to_string(dir.join("connector.js"))?;
    assert!(source.contains("/// <reference path=\"./patchbay-connector.d.ts\" />"));
    let jsconfig: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("jsconfig.json"))?)?;
    assert_eq!(jsconfig["compilerOptions"]["checkJs"], true);
    let connector = dir.join("connector.js").to_string_lossy().into_owned();
    let check = Command::new(BIN)
        .args(["connector", "check", &connector])
        .output()?;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let caps: Value = serde_json::from_slice(&check.stdout)?;
    assert_eq!(caps["title"], "Acme CRM");
    assert_eq!(caps["actions"][0]["name"], "get_item");
    assert_eq!(caps["triggers"][0]["name"], "new_item");
    // A second init into the same folder is refused and changes nothing.
    let again = Command::new(BIN)
        .args(["connector", "init", "acme-crm", "--dir", &dir_text])
        .output()?;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    assert_eq!(std::fs::read_to_string(dir.join("connector.js"))?, source);
    let _ = std::fs::remove_dir_all(&parent);
    Ok(())
}
