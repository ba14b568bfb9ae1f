//! `patchbay connector check` and `patchbay connector exec` as a connector author uses them:
//! every example connector checks; a broken file is refused with its line and column; exec runs
//! a connection test, an action and a trigger against a mock API this test starts (through
//! `--allow-private-networks --host-override`), printing the output, and with `--verbose` the
//! redacted trace. Last, every shell command of `docs/sdk.md` runs exactly as written (the
//! mock's port, the server's port and a scratch folder for `/tmp/` swapped in) and prints what
//! the guide says it prints.

mod check;
mod exec;
mod guide;
mod init;

use std::process::{Command, Output};

use serde_json::Value;
use testkit::examples::repo_root;
use testkit::{Mock, Reply};

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
