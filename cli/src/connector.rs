//! `patchbay connector …`: an author's tools for a connector's source on their own machine —
//! a starter (`init`), validation (`check`) and one run against real or local APIs (`exec`).
//! `check` and `exec` run the connector in worker processes of this binary with the server's
//! default limits, exactly as a server runs it.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use service::config::SandboxConfig;
use service::debugger::Runner;

use crate::output::{say, tell};

#[derive(Subcommand, Debug)]
pub enum ConnectorCommand {
    /// Start a new connector in JavaScript: writes `connector.js` (one connection field, an
    /// action, a trigger), the SDK's TypeScript declarations and a `jsconfig.json` so that an
    /// editor completes and checks it. Refuses a folder that exists and is not empty.
    Init {
        /// The connector's name; also the folder, unless `--dir` says otherwise.
        name: String,
        /// Where to write it.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Its title (default: the name).
        #[arg(long)]
        title: Option<String>,
    },
    /// Validate a connector source file and print its capabilities.
    Check {
        /// The connector's source file (`connector.js`).
        file: PathBuf,
    },
    /// Run a connector's connection test, an action or one trigger poll, and print the output
    /// (and with --verbose the logs and every request).
    Exec {
        /// The connector's source file (`connector.js`).
        file: PathBuf,
        /// The action to run.
        #[arg(long, conflicts_with_all = ["trigger", "test"])]
        action: Option<String>,
        /// The trigger to poll once.
        #[arg(long, conflicts_with = "test")]
        trigger: Option<String>,
        /// Run the connection test.
        #[arg(long)]
        test: bool,
        /// The input, as JSON.
        #[arg(long, default_value = "{}")]
        input: String,
        /// The trigger cursor from a previous poll, as JSON.
        #[arg(long, requires = "trigger")]
        cursor: Option<String>,
        /// The connection values, as JSON.
        #[arg(long, default_value = "{}")]
        connection: String,
        /// Print logs and the request trace too.
        #[arg(long)]
        verbose: bool,
        /// Let the connector reach private and loopback addresses (for local mock servers).
        #[arg(long)]
        allow_private_networks: bool,
        /// Send a declared host's requests to another address: HOST=IP:PORT (plain HTTP).
        #[arg(long = "host-override", value_name = "HOST=IP:PORT")]
        host_overrides: Vec<String>,
    },
}

fn read_json(what: &str, text: &str) -> anyhow::Result<serde_json::Value> {
    serde_json::from_str(text).with_context(|| format!("--{what} is not valid JSON"))
}

/// The runner `connector check` and `connector exec` use: worker processes of this binary, with
/// the server's default limits, exactly as a server runs a connector.
fn cli_runner(sandbox: SandboxConfig) -> Runner {
    Runner::new(&SandboxConfig {
        max_concurrent_runs: Some(1),
        ..sandbox
    })
}

/// Run one connector command.
pub async fn run(command: ConnectorCommand) -> anyhow::Result<()> {
    match command {
        ConnectorCommand::Init { name, dir, title } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
            init_connector(&dir, title.as_deref().unwrap_or(&name))?;
            say(format_args!(
                "wrote {0}/connector.js, {0}/patchbay-connector.d.ts and {0}/jsconfig.json\n\
                 next: patchbay connector check {0}/connector.js",
                dir.display()
            ));
            Ok(())
        }
        ConnectorCommand::Check { file } => {
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let runner = cli_runner(SandboxConfig::default());
            let parsed = runner.parse(&source).await;
            match parsed.map_err(|err| anyhow::anyhow!("the worker did not start: {err:?}"))? {
                Ok(caps) => {
                    say(serde_json::to_string_pretty(&caps)?);
                    Ok(())
                }
                Err(err) => anyhow::bail!("{}: {err} ({})", file.display(), err.code()),
            }
        }
        ConnectorCommand::Exec {
            file,
            action,
            trigger,
            test,
            input,
            cursor,
            connection,
            verbose,
            allow_private_networks,
            host_overrides,
        } => {
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let input = read_json("input", &input)?;
            let invocation = invocation(action, trigger, test, input, cursor.as_deref())?;
            let sandbox = exec_sandbox(allow_private_networks, host_overrides)?;
            let connection = read_json("connection", &connection)?;
            exec(sandbox, source, connection, invocation, verbose).await
        }
    }
}

/// `connector exec`: one run in a worker; its output on stdout, its error as the command's.
async fn exec(
    sandbox: SandboxConfig,
    source: String,
    connection: serde_json::Value,
    invocation: sdk::Invocation,
    verbose: bool,
) -> anyhow::Result<()> {
    let report = cli_runner(sandbox)
        .run(source, connection, Vec::new(), invocation)
        .await
        .map_err(|err| anyhow::anyhow!("the worker did not start: {err:?}"))?;
    if verbose {
        print_logs_and_trace(&report);
    }
    if report.truncation.any() {
        tell(format_args!(
            "note: the report was cut to its limits: {}",
            serde_json::to_string(&report.truncation)?
        ));
    }
    match report.outcome {
        Ok(output) => {
            say(serde_json::to_string_pretty(&output)?);
            Ok(())
        }
        Err(err) => anyhow::bail!("{} ({})", err, err.code()),
    }
}

/// What `connector exec` was asked to run: one of `--action`, `--trigger` or `--test`.
fn invocation(
    action: Option<String>,
    trigger: Option<String>,
    test: bool,
    input: serde_json::Value,
    cursor: Option<&str>,
) -> anyhow::Result<sdk::Invocation> {
    Ok(match (action, trigger, test) {
        (Some(name), None, false) => sdk::Invocation::Action { name, input },
        (None, Some(name), false) => sdk::Invocation::Trigger {
            name,
            input,
            cursor: cursor.map(|c| read_json("cursor", c)).transpose()?,
        },
        (None, None, true) => sdk::Invocation::TestConnection,
        _ => anyhow::bail!("choose one of --action NAME, --trigger NAME or --test"),
    })
}

/// The sandbox of `connector exec`: the server's defaults, with its two flags.
fn exec_sandbox(
    allow_private_networks: bool,
    host_overrides: Vec<String>,
) -> anyhow::Result<SandboxConfig> {
    let mut sandbox = SandboxConfig {
        allow_private_networks,
        ..SandboxConfig::default()
    };
    for entry in host_overrides {
        let (host, addr) = entry
            .split_once('=')
            .with_context(|| format!("--host-override {entry}: expected HOST=IP:PORT"))?;
        let addr = addr
            .parse()
            .with_context(|| format!("--host-override {entry}: bad address"))?;
        sandbox.host_overrides.insert(host.to_owned(), addr);
    }
    Ok(sandbox)
}

/// `--verbose`: the run's log lines and every request of its trace, on stderr.
fn print_logs_and_trace(report: &sdk::RunReport) {
    for line in &report.logs {
        tell(format_args!("log: {line}"));
    }
    for request in &report.trace {
        tell(format_args!(
            "{} {} -> {} ({:.1} ms){}",
            request.method,
            request.url,
            request
                .status
                .map_or("no response".to_owned(), |s| s.to_string()),
            request.duration.as_secs_f64() * 1000.0,
            request
                .error
                .as_deref()
                .map(|e| format!(" error: {e}"))
                .unwrap_or_default()
        ));
        for (name, value) in &request.request_headers {
            tell(format_args!("  > {name}: {value}"));
        }
        if let Some(body) = &request.request_body {
            tell(format_args!("  > {body}"));
        }
        for (name, value) in &request.response_headers {
            tell(format_args!("  < {name}: {value}"));
        }
        if let Some(body) = &request.response_body {
            tell(format_args!("  < {body}"));
        }
    }
}

/// Write a starter connector into `dir` (created; refused when it holds anything already).
fn init_connector(dir: &std::path::Path, title: &str) -> anyhow::Result<()> {
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        anyhow::bail!(
            "{} exists and is not empty; choose another --dir",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let jsconfig = serde_json::json!({
        "compilerOptions": { "checkJs": true, "module": "es2020", "target": "es2020", "noEmit": true },
        "include": ["connector.js", "patchbay-connector.d.ts"],
    });
    for (file, text) in [
        ("connector.js", sdk::starter_connector(title)),
        (
            "patchbay-connector.d.ts",
            sdk::TYPESCRIPT_DECLARATIONS.to_owned(),
        ),
        (
            "jsconfig.json",
            format!("{}\n", serde_json::to_string_pretty(&jsconfig)?),
        ),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
