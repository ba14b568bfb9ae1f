//! Parsing and running connectors in a worker process: a bug in the engine, or a connector that
//! gets past its limits, ends that process, never the server.
//!
//! One process answers one [`Request`] and exits. The server ([`Worker`]) starts it with an
//! empty environment, writes the request as one line of JSON to its stdin, reads one line of
//! JSON back from its stdout (refusing more than [`Request::response_cap`] bytes), and kills it
//! at the deadline plus a short grace, whatever it is doing. The worker side
//! ([`worker_main`], [`serve_stdio`]) first limits itself with [`OsLimits`] (address space, CPU
//! seconds, no core dumps, small files), then reads the request, does it with [`parse_with`] or
//! [`run_with_secrets`] exactly as in-process, and writes the answer.
//!
//! The wire format is private to one build of the binary (server and worker are the same
//! program); it is not an API.

mod client;
mod limits;

use std::ffi::OsString;
use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use client::{Worker, WorkerFailure};
pub use limits::{OsLimits, limit_process};

use crate::{
    Capabilities, Invocation, Limits, ParseError, Position, RunError, RunReport, RuntimeConfig,
    TraceEntry, Truncation, parse_with, run_with_secrets,
};

/// Largest request a worker reads: a source at its limit, escaped, plus inputs and connection.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// What the server asks of one worker process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// Parse and validate a source, as [`parse_with`].
    Parse { source: String, limits: Limits },
    /// Run a connector, as [`run_with_secrets`].
    Run {
        source: String,
        connection: Value,
        also_secret: Vec<String>,
        invocation: Invocation,
        /// Boxed: the largest part by far.
        config: Box<RuntimeConfig>,
    },
}

impl Request {
    /// The wall-clock budget the request runs under inside the worker.
    pub fn deadline(&self) -> Duration {
        match self {
            Self::Parse { limits, .. } => limits.deadline,
            Self::Run { config, .. } => config.limits.deadline,
        }
    }

    /// The largest answer the server reads for this request. A report's texts are bounded by
    /// its [`ReportLimits`](crate::ReportLimits); JSON escaping can make each byte six (`\u0001`),
    /// and a megabyte covers the structure around them.
    pub fn response_cap(&self) -> usize {
        const SLACK: usize = 1024 * 1024;
        // What a definition may hold beyond its source's own text: strings its top level builds.
        const COMPUTED_TEXT: usize = 1024 * 1024;
        match self {
            Self::Parse { limits, .. } => 6 * (limits.max_source_bytes + COMPUTED_TEXT) + SLACK,
            Self::Run { config, .. } => {
                6 * config.report.max_report_bytes(config.max_requests) + SLACK
            }
        }
    }

    /// Does the request in this process, with the same code the server used to call directly.
    pub fn execute(self) -> Response {
        match self {
            Self::Parse { source, limits } => Response::Parsed(parse_with(&source, &limits)),
            Self::Run {
                source,
                connection,
                also_secret,
                invocation,
                config,
            } => Response::Ran(
                run_with_secrets(&source, &connection, &also_secret, invocation, &config).into(),
            ),
        }
    }
}

/// What a worker answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    Parsed(Result<Capabilities, ParseError>),
    Ran(WireReport),
}

/// A [`RunReport`] as it crosses the pipe: [`RunError`]'s own serialization is the client's
/// shape (code and message), so the outcome travels as the full variant instead.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireReport {
    outcome: WireOutcome,
    logs: Vec<String>,
    trace: Vec<TraceEntry>,
    duration: Duration,
    truncation: Truncation,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum WireOutcome {
    Ok(Value),
    Err(#[serde(with = "RunErrorDef")] RunError),
}

impl From<RunReport> for WireReport {
    fn from(report: RunReport) -> Self {
        Self {
            outcome: match report.outcome {
                Ok(value) => WireOutcome::Ok(value),
                Err(error) => WireOutcome::Err(error),
            },
            logs: report.logs,
            trace: report.trace,
            duration: report.duration,
            truncation: report.truncation,
        }
    }
}

impl From<WireReport> for RunReport {
    fn from(wire: WireReport) -> Self {
        Self {
            outcome: match wire.outcome {
                WireOutcome::Ok(value) => Ok(value),
                WireOutcome::Err(error) => Err(error),
            },
            logs: wire.logs,
            trace: wire.trace,
            duration: wire.duration,
            truncation: wire.truncation,
        }
    }
}

/// [`RunError`] variant by variant, for serde's derive (see [`WireReport`]).
#[derive(Serialize, Deserialize)]
#[serde(remote = "RunError")]
enum RunErrorDef {
    InvalidSource(ParseError),
    UnknownAction {
        name: String,
    },
    UnknownTrigger {
        name: String,
    },
    UnknownPickList {
        name: String,
    },
    InvalidInput {
        field: String,
        message: String,
    },
    Runtime {
        message: String,
        position: Option<Position>,
    },
    Timeout {
        deadline: Duration,
        position: Option<Position>,
    },
    LimitExceeded {
        message: String,
        position: Option<Position>,
    },
    EgressDenied {
        url: String,
        reason: String,
        position: Option<Position>,
    },
    Http {
        status: u16,
        method: String,
        url: String,
        body: String,
        position: Option<Position>,
    },
    RequestLimit {
        limit: usize,
        position: Option<Position>,
    },
    ResponseTooLarge {
        url: String,
        limit: usize,
        position: Option<Position>,
    },
    Network {
        method: String,
        url: String,
        message: String,
        position: Option<Position>,
    },
    Internal {
        message: String,
    },
    WorkerFailed {
        message: String,
    },
}

/// Reads one request: one line of JSON of at most [`MAX_REQUEST_BYTES`].
pub fn read_request(input: impl Read) -> io::Result<Request> {
    let mut line = Vec::new();
    io::BufReader::new(input.take(MAX_REQUEST_BYTES as u64 + 1)).read_until(b'\n', &mut line)?;
    if line.len() > MAX_REQUEST_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the request is too large",
        ));
    }
    serde_json::from_slice(&line).map_err(io::Error::from)
}

/// Writes one response: one line of JSON (serde_json escapes every newline inside strings).
pub fn write_response(mut output: impl Write, response: &Response) -> io::Result<()> {
    serde_json::to_writer(&mut output, response)?;
    output.write_all(b"\n")?;
    output.flush()
}

/// The worker's whole life once limited: read one request from stdin, do it, write the answer
/// to stdout. Fails (exit status 2) when the request cannot be read or the answer not written.
pub fn serve_stdio() -> ExitCode {
    let outcome = read_request(io::stdin().lock())
        .and_then(|request| write_response(io::stdout().lock(), &request.execute()));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // stderr is the server's null device; this is for a person running it by hand.
            eprintln!("patchbay worker: {error}");
            ExitCode::from(2)
        }
    }
}

/// The entry point of a worker binary: `args` (after the program name and any subcommand) are
/// the [`OsLimits`] the server chose; the process limits itself, then [`serve_stdio`].
pub fn worker_main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    match limit_from_args(args) {
        Ok(()) => serve_stdio(),
        Err(error) => {
            eprintln!("patchbay worker: {error}");
            ExitCode::from(2)
        }
    }
}

/// Parses the [`OsLimits`] in `args` and applies them to this process: what every worker binary
/// (the real one and the tests' stand-ins) does before reading anything.
pub fn limit_from_args(args: impl IntoIterator<Item = OsString>) -> io::Result<()> {
    let limits = OsLimits::from_args(args)
        .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
    limit_process(&limits)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SOURCE: &str = r#"export default {
        title: "Echo",
        actions: {
            echo: {
                title: "Echo",
                input_fields: [{ name: "text" }],
                execute: (connection, input) => input.text,
            },
        },
    };"#;

    fn round_trip(response: &Response) -> Response {
        let mut bytes = Vec::new();
        write_response(&mut bytes, response).expect("written");
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 1);
        serde_json::from_slice(&bytes).expect("read back")
    }

    #[test]
    fn a_parse_error_crosses_the_pipe_with_its_code_and_position() {
        let request = Request::Parse {
            source: "export default { title: \"x\",\n  actions: { a: 1 +  } };".into(),
            limits: Limits::default(),
        };
        let direct = parse_with(
            "export default { title: \"x\",\n  actions: { a: 1 +  } };",
            &Limits::default(),
        );
        let Response::Parsed(parsed) = round_trip(&request.execute()) else {
            panic!("not a parse answer");
        };
        assert_eq!(parsed, direct);
        let error = parsed.expect_err("invalid");
        assert_eq!(error.code(), "SYNTAX");
        assert_eq!(error.position().map(|p| p.line), Some(2));
    }

    #[test]
    fn a_run_report_crosses_the_pipe_unchanged() {
        for invocation in [
            Invocation::Action {
                name: "echo".into(),
                input: json!({ "text": "hi\nthere" }),
            },
            Invocation::Action {
                name: "missing".into(),
                input: json!({}),
            },
        ] {
            let request = Request::Run {
                source: SOURCE.into(),
                connection: json!({}),
                also_secret: Vec::new(),
                invocation,
                config: Box::default(),
            };
            let Response::Ran(wire) = round_trip(&request.clone().execute()) else {
                panic!("not a run answer");
            };
            let report = RunReport::from(wire);
            let Response::Ran(direct) = request.execute() else {
                panic!("not a run answer");
            };
            let direct = RunReport::from(direct);
            assert_eq!(report.outcome, direct.outcome);
            assert_eq!(report.logs, direct.logs);
            assert_eq!(report.trace, direct.trace);
        }
    }

    #[test]
    fn every_run_error_variant_survives_the_wire() {
        let position = Some(Position { line: 3, column: 7 });
        let errors = [
            RunError::InvalidSource(ParseError::Timeout {
                deadline: Duration::from_millis(1500),
                position,
            }),
            RunError::Http {
                status: 418,
                method: "GET".into(),
                url: "https://x.test/".into(),
                body: "teapot".into(),
                position,
            },
            RunError::WorkerFailed {
                message: "gone".into(),
            },
        ];
        for error in errors {
            let wire = WireOutcome::Err(error.clone());
            let text = serde_json::to_string(&wire).expect("serialized");
            let WireOutcome::Err(back) = serde_json::from_str(&text).expect("deserialized") else {
                panic!("not an error");
            };
            assert_eq!(back, error);
        }
    }

    #[test]
    fn garbage_is_not_a_request() {
        assert!(read_request(&b"{\"Parse\": 3}\n"[..]).is_err());
        assert!(read_request(&b""[..]).is_err());
    }
}
