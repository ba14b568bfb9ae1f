//! The `patchbay` binary: the server, and the admin commands that run against its database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use api::config::{Config, LogFormat};
use api::error::ServiceError;
use api::state::AppState;
use api::{auth, seed, server, telemetry, workspaces};
use clap::Parser;
use cli::output::{exit_quietly_on_broken_pipe, say, say_raw, tell};

mod args;
use args::{Cli, Command, DatabaseArgs, TokenCommand, UserCommand, WorkspaceCommand};

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
        Command::Connector { command } => cli::connector::run(command).await,
        Command::Package { command } => {
            if let Err(failure) = cli::package::run(command).await {
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
                let report = seed::seed_demo(&state.db, &state.runner).await?;
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
            let r = seed::seed_demo(&state.db, &state.runner).await?;
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
    let db = match &command {
        Command::User {
            command: UserCommand::Create { db, .. },
        }
        | Command::Token {
            command: TokenCommand::Create { db, .. } | TokenCommand::Revoke { db, .. },
        }
        | Command::Workspace {
            command: WorkspaceCommand::Create { db, .. } | WorkspaceCommand::AddMember { db, .. },
        } => db.clone(),
        _ => return unreachable_command(),
    };
    let state = server::prepare(load_config(config_file, &db)?).await?;
    let done = match command {
        Command::User { command } => user_command(&state, command).await,
        Command::Token { command } => token_command(&state, command).await,
        Command::Workspace { command } => workspace_command(&state, command).await,
        _ => return unreachable_command(),
    };
    done.map_err(ServiceError::into_anyhow)
}

async fn user_command(state: &AppState, command: UserCommand) -> Result<(), ServiceError> {
    let UserCommand::Create {
        handle,
        name,
        email,
        db: _,
    } = command;
    let user = auth::create_user(&state.db, &handle, &name, &email, chrono::Utc::now()).await?;
    say(format_args!(
        "created user {} (id {})",
        user.handle, user.id
    ));
    Ok(())
}

async fn token_command(state: &AppState, command: TokenCommand) -> Result<(), ServiceError> {
    match command {
        TokenCommand::Create {
            user,
            name,
            expires_in_days,
            db: _,
        } => {
            let owner = auth::find_user(&state.db, &user).await?;
            let lifetime = expires_in_days.map(chrono::Duration::days);
            let (token, secret) = auth::create_token(&state.db, &owner, &name, lifetime).await?;
            tell(format_args!(
                "token {} created for {} (id {}); it is shown only once:",
                token.name, owner.handle, token.id
            ));
            say(secret.reveal());
        }
        TokenCommand::Revoke { id, db: _ } => {
            auth::revoke_token(&state.db, id).await?;
            say(format_args!("token {id} revoked"));
        }
    }
    Ok(())
}

async fn workspace_command(
    state: &AppState,
    command: WorkspaceCommand,
) -> Result<(), ServiceError> {
    match command {
        WorkspaceCommand::Create {
            slug,
            name,
            environment,
            admin,
            db: _,
        } => {
            let admin = auth::find_user(&state.db, &admin).await?;
            let ws =
                workspaces::create_workspace(&state.db, &admin, &slug, &name, &environment).await?;
            say(format_args!(
                "created workspace {} ({}) with admin {}",
                ws.slug, ws.environment, admin.handle
            ));
        }
        WorkspaceCommand::AddMember {
            workspace,
            user,
            role,
            db: _,
        } => {
            // The platform operator acts as the workspace's first admin would.
            let member =
                workspaces::operator_set_member(&state.db, &workspace, &user, &role).await?;
            say(format_args!(
                "{} is now {} in {}",
                member.user.handle, member.role, workspace
            ));
        }
    }
    Ok(())
}

fn unreachable_command() -> anyhow::Result<()> {
    anyhow::bail!("internal: a command reached the wrong handler")
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
