//! # cli — the commands an author or a pipeline runs
//!
//! `patchbay package …` (`package`): export from and import into a running server over its
//! GraphQL API with a token, and inspect or verify an archive locally. `patchbay connector …`
//! (`connector`): start, check and run a connector's source on the author's machine, in worker
//! processes as the server runs it. `output`: the one way the binary prints.
//!
//! Owns: these commands' arguments (clap), their output and their exit codes. Must not know: the
//! database or the schema's types — `package` is a client of the server like any other, and
//! `connector` borrows only the server's sandbox settings and worker runner (`service::config`,
//! `service::debugger`). The `patchbay` binary (crate `api`) parses the command line and calls
//! [`package::run`] or [`connector::run`].

pub mod connector;
pub mod output;
pub mod package;
