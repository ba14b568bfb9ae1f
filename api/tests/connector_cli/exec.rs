//! `connector exec` against a mock API: the output, the redacted trace, no echoed secret, and
//! the explanation of bad arguments.

use serde_json::{Value, json};
use testkit::{Mock, Reply, TempDir};

use crate::{failure_of, json_of, mock_api, patchbay, text};

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

    test_with_a_redacted_trace(&connection, &override_arg)?;

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

    refusals_reach_nothing(&mock, &connection, &override_arg)?;
    Ok(())
}

/// `--test --verbose`: the output on stdout, the trace on stderr with the header redacted.
fn test_with_a_redacted_trace(connection: &str, override_arg: &str) -> anyhow::Result<()> {
    let (output, stderr) = json_of(&[
        "connector",
        "exec",
        GITHUB,
        "--test",
        "--connection",
        connection,
        "--allow-private-networks",
        "--host-override",
        override_arg,
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

    Ok(())
}

/// A refused run exits non-zero with its code and reaches nothing: a loopback override without
/// `--allow-private-networks`, and invalid input.
fn refusals_reach_nothing(mock: &Mock, connection: &str, override_arg: &str) -> anyhow::Result<()> {
    // Without --allow-private-networks the override's loopback address is refused, and the
    // mock sees nothing.
    let stderr = failure_of(&[
        "connector",
        "exec",
        GITHUB,
        "--test",
        "--connection",
        connection,
        "--host-override",
        override_arg,
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
        connection,
        "--allow-private-networks",
        "--host-override",
        override_arg,
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
    let dir = TempDir::new("patchbay_connector_cli_echo")?;
    let file = dir.path.join("echo.js");
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
