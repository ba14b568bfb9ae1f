//! The server's side of a worker: start the process, hand it the request, read the answer, and
//! kill it at the deadline plus a grace whatever it does.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use super::{OsLimits, Request, Response};
use crate::{
    Capabilities, Invocation, Limits, ParseError, RunError, RunReport, RuntimeConfig, Truncation,
};

/// `SIGXCPU`: the kernel's signal when a process used up its CPU seconds.
const SIGXCPU: i32 = 24;

/// How to start a worker process, and how long past the deadline it may take.
#[derive(Debug, Clone)]
pub struct Worker {
    /// The program: the server's own binary, or the tests' stand-in.
    pub program: PathBuf,
    /// Arguments before the limits, like `worker` for `patchbay worker`.
    pub args: Vec<OsString>,
    /// The worker's `RLIMIT_AS`, in bytes.
    pub address_space_bytes: u64,
    /// How many steps below the server's priority the worker runs (`nice`); above 19 is 19.
    pub niceness: u64,
    /// How long after its deadline the worker is killed.
    pub grace: Duration,
}

/// Why a worker gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerFailure {
    /// It was still going at the deadline plus the grace and was killed, or the kernel stopped
    /// it when its CPU time was up.
    Timeout,
    /// It could not be started, crashed, exited with an error, or answered with something that
    /// is not an answer; the message says which (never what the worker wrote).
    Failed(String),
}

impl Worker {
    /// The worker `program args…` with the default address space (1 GiB), niceness (10) and a
    /// 2 s grace.
    pub fn new(program: impl Into<PathBuf>, args: impl IntoIterator<Item = OsString>) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().collect(),
            address_space_bytes: OsLimits::default().address_space_bytes,
            niceness: OsLimits::default().niceness,
            grace: Duration::from_secs(2),
        }
    }

    /// [`parse_with`](crate::parse_with) in a worker.
    pub async fn parse(&self, source: &str, limits: &Limits) -> Result<Capabilities, ParseError> {
        // Refused here as the worker would, without starting one.
        if source.len() > limits.max_source_bytes {
            return Err(ParseError::SourceTooLarge {
                size: source.len(),
                limit: limits.max_source_bytes,
            });
        }
        let request = Request::Parse {
            source: source.to_owned(),
            limits: limits.clone(),
        };
        match self.call(&request).await {
            Ok(Response::Parsed(parsed)) => parsed,
            Ok(Response::Ran(_)) => Err(ParseError::WorkerFailed {
                message: "the connector's worker answered a parse with a run".into(),
            }),
            Err(WorkerFailure::Timeout) => Err(ParseError::Timeout {
                deadline: limits.deadline,
                position: None,
            }),
            Err(WorkerFailure::Failed(message)) => Err(ParseError::WorkerFailed { message }),
        }
    }

    /// [`run_with_secrets`](crate::run_with_secrets) in a worker. When the worker fails, the
    /// report has the typed error and no logs or trace: what the worker had gathered died with it.
    pub async fn run(
        &self,
        source: String,
        connection: Value,
        also_secret: Vec<String>,
        invocation: Invocation,
        config: RuntimeConfig,
    ) -> RunReport {
        let started = Instant::now();
        let deadline = config.limits.deadline;
        let request = Request::Run {
            source,
            connection,
            also_secret,
            invocation,
            config: Box::new(config),
        };
        let outcome = match self.call(&request).await {
            Ok(Response::Ran(wire)) => return wire.into(),
            Ok(Response::Parsed(_)) => Err(RunError::WorkerFailed {
                message: "the connector's worker answered a run with a parse".into(),
            }),
            Err(WorkerFailure::Timeout) => Err(RunError::Timeout {
                deadline,
                position: None,
            }),
            Err(WorkerFailure::Failed(message)) => Err(RunError::WorkerFailed { message }),
        };
        RunReport {
            outcome,
            logs: Vec::new(),
            trace: Vec::new(),
            duration: started.elapsed(),
            truncation: Truncation::default(),
        }
    }

    /// One request, one answer, one process; the process is gone (reaped) when this returns.
    pub async fn call(&self, request: &Request) -> Result<Response, WorkerFailure> {
        let mut line = serde_json::to_vec(request)
            .map_err(|error| failed(format!("could not encode the request: {error}")))?;
        line.push(b'\n');
        let limits = OsLimits {
            niceness: self.niceness.min(super::limits::MAX_NICENESS),
            ..OsLimits::for_deadline(request.deadline(), self.address_space_bytes)
        };
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .args(limits.to_args())
            // Nothing of the server's environment (credentials, database URL) reaches the
            // worker. Nothing the server opened does either: the standard library opens every
            // file and socket with O_CLOEXEC, so only the three pipes below cross the exec
            // (and the worker closes whatever the server had inherited; see `limit_process`).
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // What a crashing worker prints could quote the connection's values.
            .stderr(Stdio::null())
            // Should the server drop this future (a client went away), the worker dies too.
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| failed(format!("could not start the connector's worker: {error}")))?;
        let budget = request.deadline() + self.grace;
        let cap = request.response_cap();
        let exchanged = tokio::time::timeout(budget, exchange(&mut child, &line, cap)).await;
        match exchanged {
            Ok(Ok((answer, status))) => decode(&answer, status),
            Ok(Err(failure)) => {
                // Already gone, or killed now; either way reaped before returning.
                let _ = child.kill().await;
                Err(failure)
            }
            Err(_elapsed) => {
                let _ = child.kill().await;
                Err(WorkerFailure::Timeout)
            }
        }
    }
}

fn failed(message: String) -> WorkerFailure {
    WorkerFailure::Failed(message)
}

/// Writes the request, reads one line of at most `cap` bytes, and waits for the exit.
async fn exchange(
    child: &mut Child,
    request: &[u8],
    cap: usize,
) -> Result<(Vec<u8>, ExitStatus), WorkerFailure> {
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(failed("the connector's worker has no pipes".into()));
    };
    let written = async {
        stdin.write_all(request).await?;
        stdin.shutdown().await
    }
    .await;
    drop(stdin);
    let mut answer = Vec::new();
    let read = BufReader::new(stdout.take(cap as u64 + 1))
        .read_until(b'\n', &mut answer)
        .await;
    if answer.len() > cap {
        return Err(failed(format!(
            "the connector's worker answered with more than {cap} bytes"
        )));
    }
    let status = child.wait().await.map_err(|error| {
        failed(format!(
            "could not wait for the connector's worker: {error}"
        ))
    })?;
    // A worker that died before reading or answering says why in its status, not in the pipe;
    // one that exited cleanly is judged by what it wrote.
    if !status.success() || (answer.is_empty() && (written.is_err() || read.is_err())) {
        return Err(status_failure(status));
    }
    Ok((answer, status))
}

fn status_failure(status: ExitStatus) -> WorkerFailure {
    match (status.code(), status.signal()) {
        (_, Some(SIGXCPU)) => WorkerFailure::Timeout,
        (_, Some(signal)) => failed(format!("the connector's worker crashed (signal {signal})")),
        (Some(0), None) => failed("the connector's worker closed its pipes early".into()),
        (Some(code), None) => failed(format!("the connector's worker exited with status {code}")),
        (None, None) => failed("the connector's worker ended without a status".into()),
    }
}

fn decode(answer: &[u8], status: ExitStatus) -> Result<Response, WorkerFailure> {
    if answer.is_empty() {
        return Err(status_failure(status));
    }
    serde_json::from_slice(answer).map_err(|_| {
        failed("the connector's worker answered with something that is not an answer".into())
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A worker that is `sh -c script` (the limit arguments become `$0…`), with a short grace.
    fn shell(script: &str) -> Worker {
        Worker {
            grace: Duration::from_millis(300),
            ..Worker::new("/bin/sh", ["-c".into(), script.into()])
        }
    }

    fn parse_request() -> Request {
        parse_request_within(Duration::from_millis(200))
    }

    fn parse_request_within(deadline: Duration) -> Request {
        Request::Parse {
            source: "export default {};".into(),
            limits: Limits {
                deadline,
                ..Limits::default()
            },
        }
    }

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("sdk-worker-{name}-{}", std::process::id()))
    }

    fn read_pid(file: &Path) -> u32 {
        let text = std::fs::read_to_string(file).expect("the worker wrote its pid");
        text.trim().parse().expect("a pid")
    }

    #[tokio::test]
    async fn a_worker_past_its_deadline_is_killed_and_reaped() {
        let file = scratch("hang");
        let worker = shell(&format!("echo $$ > {}; exec sleep 100", file.display()));
        let started = Instant::now();
        let answer = worker.call(&parse_request()).await;
        assert_eq!(answer.err(), Some(WorkerFailure::Timeout));
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        let pid = read_pid(&file);
        let _ = std::fs::remove_file(&file);
        // Not even a zombie: the server waited for it.
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "{pid} lives on"
        );
    }

    #[tokio::test]
    async fn garbage_a_bad_exit_and_a_flood_are_typed_failures() {
        for (script, expected) in [
            ("echo not json", "not an answer"),
            ("cat > /dev/null; exit 3", "exited with status 3"),
            ("kill -SEGV $$", "crashed (signal 11)"),
            ("head -c 100000000 /dev/zero", "more than"),
            ("yes | tr -d '\\n'", "more than"),
            ("yes", "exited with status 141"),
            ("exit 0", "closed its pipes early"),
        ] {
            // A flood ends at the answer's size limit, not at the deadline: the deadline only
            // has to be long enough for a worker niced below a busy machine to write that much.
            let request = parse_request_within(Duration::from_secs(5));
            let answer = shell(script).call(&request).await;
            match answer {
                Err(WorkerFailure::Failed(message)) => {
                    assert!(message.contains(expected), "{script}: {message}");
                }
                other => panic!("{script}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_worker_that_ran_out_of_cpu_time_timed_out() {
        let answer = shell("kill -XCPU $$").call(&parse_request()).await;
        assert_eq!(answer.err(), Some(WorkerFailure::Timeout));
    }

    #[tokio::test]
    async fn the_worker_starts_with_an_empty_environment() {
        let file = scratch("env");
        let worker = shell(&format!("wc -c < /proc/$$/environ > {}", file.display()));
        // The test process itself has an environment to lose.
        assert!(std::env::vars_os().next().is_some());
        let _ = worker.call(&parse_request()).await;
        let text = std::fs::read_to_string(&file).expect("the worker wrote");
        let _ = std::fs::remove_file(&file);
        assert_eq!(text.trim(), "0", "environment bytes");
    }

    #[tokio::test]
    async fn a_source_over_the_limit_never_starts_a_worker() {
        let worker = shell("exit 3");
        let limits = Limits {
            max_source_bytes: 4,
            ..Limits::default()
        };
        let parsed = worker.parse("export default { title: 1 };", &limits).await;
        assert_eq!(parsed.map_err(|e| e.code()), Err("SOURCE_TOO_LARGE"));
    }

    #[tokio::test]
    async fn a_failed_run_is_a_report_with_a_typed_error() {
        let report = shell("exit 3")
            .run(
                "export default {};".into(),
                Value::Null,
                Vec::new(),
                Invocation::TestConnection,
                RuntimeConfig::default(),
            )
            .await;
        let error = report.outcome.expect_err("failed");
        assert_eq!(error.code(), "WORKER_FAILED");
        assert_eq!(
            error.to_string(),
            "the connector's worker exited with status 3"
        );
    }
}
