//! The `patchbay` binary: the server, and the admin commands that run against its database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use api::cli_package::{EXIT_CODES_HELP, say, say_raw, tell};
use api::config::{Config, LogFormat};
use api::error::ServiceError;
use api::{auth, cli_package, seed, server, telemetry, workspaces};
use clap::{Args, Parser, Subcommand};

/// Patchbay: a self-hostable community connector library.
///
/// Configuration comes from defaults, then `--config FILE` (or PATCHBAY_CONFIG), then PATCHBAY_*
/// environment variables (PATCHBAY_BIND, PATCHBAY_DATA_DIR, DATABASE_URL, PATCHBAY_GRAPHIQL,
/// PATCHBAY_INTROSPECTION, PATCHBAY_LOG_FORMAT, PATCHBAY_SANDBOX_ALLOW_PRIVATE_NETWORKS), then
/// command-line flags.
///
/// Output is for people; `--json` on the package commands prints JSON for machines. When stdout
/// is closed before everything was written (`| head -1`), a command stops quietly with exit
/// status 141, as a process killed by SIGPIPE reports. Bad usage exits with 1. See docs/cli.md.
#[derive(Parser, Debug)]
#[command(name = "patchbay", version, about, long_about)]
struct Cli {
    /// A TOML configuration file.
    #[arg(long, global = true, env = "PATCHBAY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone, Default)]
struct DatabaseArgs {
    /// Directory of the embedded SQLite database (when DATABASE_URL is not set).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Database URL (`postgres://…` or `sqlite://…`); overrides DATABASE_URL.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Load the demo catalog first if the catalog is empty.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Load data into the database.
    Seed {
        /// The demo catalog: example connectors, their authors and install history (idempotent).
        // A benchmark catalog at scale is the bench crate's `patchbay-bench seed --scale N`.
        #[arg(long, required = true)]
        demo: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage workspaces.
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Work on a connector's source locally, as an author.
    Connector {
        #[command(subcommand)]
        command: ConnectorCommand,
    },
    /// Export, import, inspect and verify packages (for CI pipelines).
    #[command(after_help = EXIT_CODES_HELP)]
    Package {
        #[command(subcommand)]
        command: PackageCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Internal: parse or run one connector for the server, over stdin and stdout, under the
    /// OS limits given as arguments (see `sdk::worker`). Not for people.
    #[command(hide = true)]
    Worker {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        limits: Vec<std::ffi::OsString>,
    },
}

#[derive(Args, Debug, Clone)]
struct ServerArgs {
    /// The Patchbay server, e.g. https://patchbay.example.com.
    #[arg(long, env = "PATCHBAY_SERVER")]
    server: String,
    /// An API token (see `patchbay token create`).
    #[arg(long, env = "PATCHBAY_TOKEN", hide_env_values = true)]
    token: String,
}

/// The package commands; every one lists the exit codes in its `--help` (`EXIT_CODES_HELP`).
#[derive(Subcommand, Debug)]
enum PackageCommand {
    /// Export recipes (and what they use) from a workspace into an archive.
    #[command(after_help = EXIT_CODES_HELP)]
    Export {
        #[command(flatten)]
        server: ServerArgs,
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
        /// A recipe's global id (repeatable).
        #[arg(long = "recipe")]
        recipes: Vec<String>,
        /// Every recipe under this folder (repeatable; "" for all).
        #[arg(long = "folder")]
        folders: Vec<String>,
        /// Where to write the archive.
        #[arg(long, short)]
        output: PathBuf,
        /// Print one JSON object (package_id, size, sha256, path) instead of a sentence.
        #[arg(long)]
        json: bool,
    },
    /// Plan an import into a workspace (a dry run), or apply it with --apply.
    #[command(after_help = EXIT_CODES_HELP)]
    Import {
        #[command(flatten)]
        server: ServerArgs,
        /// The target workspace's slug.
        #[arg(long)]
        workspace: String,
        /// The archive.
        file: PathBuf,
        /// Apply the plan (default: dry run only).
        #[arg(long)]
        apply: bool,
        /// The dry run's fingerprint: refuse to apply if the target changed since.
        #[arg(long)]
        fingerprint: Option<String>,
        /// Print one JSON object (applied, fingerprint, plan) instead of the plan's lines.
        #[arg(long)]
        json: bool,
    },
    /// Print a readable summary of an archive.
    #[command(after_help = EXIT_CODES_HELP)]
    Inspect {
        /// The archive.
        file: PathBuf,
        /// Print the summary as one JSON object (fields in docs/cli.md).
        #[arg(long)]
        json: bool,
    },
    /// Check an archive's integrity and signature.
    #[command(after_help = EXIT_CODES_HELP)]
    Verify {
        /// The archive.
        file: PathBuf,
        /// A trusted Ed25519 public key, base64 (repeatable).
        #[arg(long = "trusted-key")]
        trusted_keys: Vec<String>,
        /// Fail unless signed by a trusted key.
        #[arg(long)]
        require_signature: bool,
        /// Print one JSON object (file, package_id, integrity, signature, key_id).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ConnectorCommand {
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

#[derive(Subcommand, Debug)]
enum WorkspaceCommand {
    /// Create a workspace with a first admin.
    Create {
        /// Unique, URL-safe name.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// development, test or production.
        #[arg(long, default_value = "development")]
        environment: String,
        /// Handle of the user who becomes its admin.
        #[arg(long)]
        admin: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Add a member with a role, or change a member's role.
    AddMember {
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
        /// The user's handle.
        #[arg(long)]
        user: String,
        /// admin, developer, operator, analyst or a custom role.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user.
    Create {
        /// Unique handle: lowercase letters, digits and hyphens.
        #[arg(long)]
        handle: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// E-mail address.
        #[arg(long)]
        email: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create an API token for a user and print it (it is shown only this once).
    Create {
        /// The user's handle.
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "laptop" or "ci".
        #[arg(long, default_value = "cli")]
        name: String,
        /// Expire after this many days.
        #[arg(long)]
        expires_in_days: Option<i64>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Revoke a token by id.
    Revoke {
        /// The token's id (printed at creation).
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

fn load_config(path: Option<&PathBuf>, db: &DatabaseArgs) -> anyhow::Result<Config> {
    let mut config = Config::load(path.map(PathBuf::as_path))?;
    config.override_database(db.data_dir.as_deref(), db.database_url.as_deref());
    Ok(config)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { bind, demo, db } => {
            let mut config = load_config(cli.config.as_ref(), &db)?;
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
            let config = load_config(cli.config.as_ref(), &db)?;
            telemetry::init_logging(config.log_format);
            server::prepare(config).await?;
            say("migrations applied");
            Ok(())
        }
        Command::Seed { demo: _, db } => {
            let config = load_config(cli.config.as_ref(), &db)?;
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
        Command::User {
            command:
                UserCommand::Create {
                    handle,
                    name,
                    email,
                    db,
                },
        } => {
            let state = server::prepare(load_config(cli.config.as_ref(), &db)?).await?;
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
            let state = server::prepare(load_config(cli.config.as_ref(), &db)?).await?;
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
            let state = server::prepare(load_config(cli.config.as_ref(), &db)?).await?;
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
            let state = server::prepare(load_config(cli.config.as_ref(), &db)?).await?;
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
            let state = server::prepare(load_config(cli.config.as_ref(), &db)?).await?;
            let member = workspaces::operator_set_member(&state.db, &workspace, &user, &role)
                .await
                .map_err(ServiceError::into_anyhow)?;
            say(format_args!(
                "{} is now {} in {}",
                member.user.handle, member.role, workspace
            ));
            Ok(())
        }
        Command::Connector { command } => connector_command(command).await,
        Command::Package { command } => {
            let result = match command {
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
            };
            if let Err(failure) = result {
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
            let invocation = match (action, trigger, test) {
                (Some(name), None, false) => sdk::Invocation::Action { name, input },
                (None, Some(name), false) => sdk::Invocation::Trigger {
                    name,
                    input,
                    cursor: cursor
                        .as_deref()
                        .map(|c| read_json("cursor", c))
                        .transpose()?,
                },
                (None, None, true) => sdk::Invocation::TestConnection,
                _ => anyhow::bail!("choose one of --action NAME, --trigger NAME or --test"),
            };
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
