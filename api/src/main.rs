//! The `patchbay` binary: the server, and the admin commands that run against its database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use api::cli_package::{say, say_raw, tell};
use api::config::{Config, LogFormat};
use api::error::ServiceError;
use api::{auth, cli_package, seed, server, telemetry, workspaces};
use clap::Parser;

mod args;
use args::{
    Cli, Command, ConnectorCommand, DatabaseArgs, PackageCommand, TokenCommand, UserCommand,
    WorkspaceCommand,
};

fn load_config(path: Option<&PathBuf>, db: &DatabaseArgs) -> anyhow::Result<Config> {
    let mut config = Config::load(path.map(PathBuf::as_path))?;
    config.override_database(db.data_dir.as_deref(), db.database_url.as_deref());
    Ok(config)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        command @ (Command::Serve { .. } | Command::Migrate { .. } | Command::Seed { .. }) => {
            server_command(config.as_ref(), command).await
        }
        command @ (Command::User { .. } | Command::Token { .. } | Command::Workspace { .. }) => {
            admin_command(config.as_ref(), command).await
        }
        Command::Connector { command } => connector_command(command).await,
        Command::Package { command } => {
            if let Err(failure) = package_command(command).await {
                tell(format_args!("error: {}", failure.message));
                std::process::exit(i32::from(failure.code));
            }
            Ok(())
        }
        Command::Schema => {
            say_raw(api::graphql::sdl());
            Ok(())
        }
        Command::Worker { .. } => anyhow::bail!("`patchbay worker` runs without the async runtime"),
    }
}

/// Serve, migrate, or load the demo catalog.
async fn server_command(config_file: Option<&PathBuf>, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { bind, demo, db } => {
            let mut config = load_config(config_file, &db)?;
            if let Some(bind) = bind {
                config.bind = bind;
            }
            telemetry::init_logging(config.log_format);
            let state = server::prepare(config).await?;
            if demo && seed::catalog_is_empty(&state.db).await? {
                let report = seed::seed_demo(&state.db).await?;
                tracing::info!(?report, "demo catalog loaded");
            }
            server::serve(state).await
        }
        Command::Migrate { db } => {
            let config = load_config(config_file, &db)?;
            telemetry::init_logging(config.log_format);
            server::prepare(config).await?;
            say("migrations applied");
            Ok(())
        }
        Command::Seed { demo: _, db } => {
            let config = load_config(config_file, &db)?;
            telemetry::init_logging(LogFormat::Pretty);
            let state = server::prepare(config).await?;
            let r = seed::seed_demo(&state.db).await?;
            say(format_args!(
                "demo catalog: {} authors, {} listings, {} versions, {} workspaces and {} install events added",
                r.authors_created,
                r.listings_created,
                r.versions_published,
                r.workspaces_created,
                r.install_events
            ));
            Ok(())
        }
        _ => unreachable_command(),
    }
}

/// The operator's commands against the database: users, tokens, workspaces.
async fn admin_command(config_file: Option<&PathBuf>, command: Command) -> anyhow::Result<()> {
    match command {
        Command::User {
            command:
                UserCommand::Create {
                    handle,
                    name,
                    email,
                    db,
                },
        } => {
            let state = server::prepare(load_config(config_file, &db)?).await?;
            let user = auth::create_user(&state.db, &handle, &name, &email, chrono::Utc::now())
                .await
                .map_err(ServiceError::into_anyhow)?;
            say(format_args!(
                "created user {} (id {})",
                user.handle, user.id
            ));
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    user,
                    name,
                    expires_in_days,
                    db,
                },
        } => {
            let state = server::prepare(load_config(config_file, &db)?).await?;
            let owner = auth::find_user(&state.db, &user)
                .await
                .map_err(ServiceError::into_anyhow)?;
            let (token, secret) = auth::create_token(
                &state.db,
                &owner,
                &name,
                expires_in_days.map(chrono::Duration::days),
            )
            .await
            .map_err(ServiceError::into_anyhow)?;
            tell(format_args!(
                "token {} created for {} (id {}); it is shown only once:",
                token.name, owner.handle, token.id
            ));
            say(secret.reveal());
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Revoke { id, db },
        } => {
            let state = server::prepare(load_config(config_file, &db)?).await?;
            auth::revoke_token(&state.db, id)
                .await
                .map_err(ServiceError::into_anyhow)?;
            say(format_args!("token {id} revoked"));
            Ok(())
        }
        Command::Workspace {
            command:
                WorkspaceCommand::Create {
                    slug,
                    name,
                    environment,
                    admin,
                    db,
                },
        } => {
            let state = server::prepare(load_config(config_file, &db)?).await?;
            let admin = auth::find_user(&state.db, &admin)
                .await
                .map_err(ServiceError::into_anyhow)?;
            let ws = workspaces::create_workspace(&state.db, &admin, &slug, &name, &environment)
                .await
                .map_err(ServiceError::into_anyhow)?;
            say(format_args!(
                "created workspace {} ({}) with admin {}",
                ws.slug, ws.environment, admin.handle
            ));
            Ok(())
        }
        Command::Workspace {
            command:
                WorkspaceCommand::AddMember {
                    workspace,
                    user,
                    role,
                    db,
                },
        } => {
            // The platform operator acts as the workspace's first admin would.
            let state = server::prepare(load_config(config_file, &db)?).await?;
            let member = workspaces::operator_set_member(&state.db, &workspace, &user, &role)
                .await
                .map_err(ServiceError::into_anyhow)?;
            say(format_args!(
                "{} is now {} in {}",
                member.user.handle, member.role, workspace
            ));
            Ok(())
        }
        _ => unreachable_command(),
    }
}

fn unreachable_command() -> anyhow::Result<()> {
    anyhow::bail!("internal: a command reached the wrong handler")
}

/// The package commands, clients of a running server (export, import) or of a file.
async fn package_command(command: PackageCommand) -> Result<(), cli_package::CliFailure> {
    match command {
        PackageCommand::Export {
            server,
            workspace,
            recipes,
            folders,
            output,
            json,
        } => {
            let server = cli_package::Server {
                url: server.server,
                token: server.token,
            };
            cli_package::export(&server, &workspace, recipes, folders, &output, json).await
        }
        PackageCommand::Import {
            server,
            workspace,
            file,
            apply,
            fingerprint,
            json,
        } => {
            let server = cli_package::Server {
                url: server.server,
                token: server.token,
            };
            cli_package::import(&server, &workspace, &file, apply, fingerprint, json).await
        }
        PackageCommand::Inspect { file, json } => cli_package::inspect(&file, json),
        PackageCommand::Verify {
            file,
            trusted_keys,
            require_signature,
            json,
        } => cli_package::verify(&file, &trusted_keys, require_signature, json),
    }
}

fn read_json(what: &str, text: &str) -> anyhow::Result<serde_json::Value> {
    serde_json::from_str(text).with_context(|| format!("--{what} is not valid JSON"))
}

/// The runner `connector check` and `connector exec` use: worker processes of this binary, with
/// the server's default limits, exactly as a server runs a connector.
fn cli_runner(sandbox: api::config::SandboxConfig) -> api::debugger::Runner {
    api::debugger::Runner::new(&api::config::SandboxConfig {
        max_concurrent_runs: Some(1),
        ..sandbox
    })
}

async fn connector_command(command: ConnectorCommand) -> anyhow::Result<()> {
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
            let runner = cli_runner(api::config::SandboxConfig::default());
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
            let report = cli_runner(sandbox)
                .run(
                    source,
                    read_json("connection", &connection)?,
                    Vec::new(),
                    invocation,
                )
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
) -> anyhow::Result<api::config::SandboxConfig> {
    let mut sandbox = api::config::SandboxConfig {
        allow_private_networks,
        ..api::config::SandboxConfig::default()
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

/// A backstop for output written with `println!` outside [`say`] (a library, or progress lines
/// that do not go through it): its panic on a closed stdout ends the process like `say` does,
/// quietly with `EXIT_BROKEN_PIPE`, instead of with a panic message. Other panics are reported as
/// before.
fn exit_quietly_on_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(i32::from(cli_package::EXIT_BROKEN_PIPE));
        }
        report(info);
    }));
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

fn main() -> ExitCode {
    exit_quietly_on_broken_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version are answers (0); bad usage is "could not run" (1), not clap's 2,
        // which the package commands use for an invalid archive.
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // A worker is one synchronous parse or run: no runtime, no threads but the sandbox's.
    if let Command::Worker { limits } = cli.command {
        return sdk::worker::worker_main(limits);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
    {
        Ok(rt) => rt,
        Err(err) => {
            tell(format_args!("error: {err:#}"));
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Work still on the runtime's threads (a connector run on a blocking thread) does not hold
    // the process up once the command is done.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tell(format_args!("error: {err:#}"));
            ExitCode::FAILURE
        }
    }
}
