//! `patchbay package …`: what a CI pipeline runs. `export` and `import` talk to a server with a
//! token; `inspect` and `verify` read an archive locally.
//!
//! Exit codes a pipeline can act on: 0 done; 1 could not run (network, server, usage);
//! 2 the archive is invalid; 3 the import plan cannot be applied (conflicts, missing
//! dependencies, a changed target); 4 not signed in or not allowed; and, like every command of
//! the binary, [`EXIT_BROKEN_PIPE`] when stdout closes before the output is written.
//!
//! Every command prints for people; `--json` prints one JSON document for machines instead, with
//! the fields `docs/cli.md` lists. Everything the binary prints on stdout goes through [`crate::output::say`].

mod archive;
mod remote;

use std::path::PathBuf;

use clap::{Args, Subcommand};

pub use crate::output::EXIT_BROKEN_PIPE;

/// The exit codes of the package commands, as `--help` shows them.
pub const EXIT_CODES_HELP: &str = "Exit codes:
  0    done
  1    could not run: bad usage, a file that cannot be read or written, network, server
  2    the archive is invalid: damaged, over a limit, or its signature fails or is missing
  3    the import plan cannot be applied: conflicts, missing dependencies, a changed target
  4    not signed in, or not allowed
  141  stdout was closed before all output was written (e.g. `| head -1`)";

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub struct CliFailure {
    pub code: u8,
    pub message: String,
}

impl CliFailure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for CliFailure {
    fn from(err: anyhow::Error) -> Self {
        Self::new(1, format!("{err:#}"))
    }
}

/// Where the server is and who we are.
pub struct Server {
    pub url: String,
    pub token: String,
}

impl Server {
    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url.trim_end_matches('/'))
    }
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

/// The body of an `importPackage` request, as the GraphQL multipart request spec has it: the
/// `operations` document (whose `variables.input.archive` is `null`), the `map` naming that
/// variable, and the archive as file `0` (`package.zip`, `application/zip`). The server's tests
/// upload with it too.
pub fn archive_upload(
    operations: &serde_json::Value,
    archive: Vec<u8>,
) -> reqwest::Result<reqwest::multipart::Form> {
    let map = serde_json::json!({ "0": ["variables.input.archive"] });
    let file = reqwest::multipart::Part::bytes(archive)
        .file_name("package.zip")
        .mime_str("application/zip")?;
    Ok(reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", map.to_string())
        .part("0", file))
}

/// Run one package command; its failure carries the exit code the pipeline sees.
pub async fn run(command: PackageCommand) -> Result<(), CliFailure> {
    match command {
        PackageCommand::Export {
            server,
            workspace,
            recipes,
            folders,
            output,
            json,
        } => {
            let server = Server::from(server);
            remote::export(&server, &workspace, recipes, folders, &output, json).await
        }
        PackageCommand::Import {
            server,
            workspace,
            file,
            apply,
            fingerprint,
            json,
        } => {
            let server = Server::from(server);
            remote::import(&server, &workspace, &file, apply, fingerprint, json).await
        }
        PackageCommand::Inspect { file, json } => archive::inspect(&file, json),
        PackageCommand::Verify {
            file,
            trusted_keys,
            require_signature,
            json,
        } => archive::verify(&file, &trusted_keys, require_signature, json),
    }
}

impl From<ServerArgs> for Server {
    fn from(args: ServerArgs) -> Self {
        Self {
            url: args.server,
            token: args.token,
        }
    }
}
