//! The `patchbay` binary's command line, as clap reads it: every command, its arguments and
//! their help.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use cli::connector::ConnectorCommand;
use cli::package::{EXIT_CODES_HELP, PackageCommand};

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
pub struct Cli {
    /// A TOML configuration file.
    #[arg(long, global = true, env = "PATCHBAY_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
pub struct DatabaseArgs {
    /// Directory of the embedded SQLite database (when DATABASE_URL is not set).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Database URL (`postgres://…` or `sqlite://…`); overrides DATABASE_URL.
    #[arg(long)]
    pub database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
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
pub enum UserCommand {
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
pub enum TokenCommand {
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
