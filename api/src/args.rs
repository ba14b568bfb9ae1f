//! The `patchbay` binary's command line, as clap reads it: every command, its arguments and
//! their help.

use std::net::SocketAddr;
use std::path::PathBuf;

use api::cli_package::EXIT_CODES_HELP;
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

#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// The Patchbay server, e.g. https://patchbay.example.com.
    #[arg(long, env = "PATCHBAY_SERVER")]
    pub server: String,
    /// An API token (see `patchbay token create`).
    #[arg(long, env = "PATCHBAY_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// The package commands; every one lists the exit codes in its `--help` (`EXIT_CODES_HELP`).
#[derive(Subcommand, Debug)]
pub enum PackageCommand {
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
