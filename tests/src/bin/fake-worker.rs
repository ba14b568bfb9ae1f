//! A worker that misbehaves on request, for the tests of the server's side of the worker: limited
//! like the real one, it reads the request and, when the action run (or the first line of the
//! source parsed, `// fake-worker: MODE`) names a mode, does that instead:
//!
//! | mode | what it does |
//! |---|---|
//! | `hang` | writes its pid to the file named by the input's `pid_file`, then sleeps forever |
//! | `garbage` | answers a line that is not JSON and exits 0 |
//! | `exit_3` | exits with status 3 without answering |
//! | `abort` | aborts (SIGABRT), like a crash in native code |
//! | `flood` | writes 100 MB without a newline |
//! | `environment` | answers a run whose output counts its environment variables and lists its open descriptors |
//!
//! Anything else is done as the real worker does it.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use sdk::worker::{Request, Response, limit_from_args, read_request, write_response};
use serde_json::{Value, json};

fn main() -> ExitCode {
    if let Err(error) = limit_from_args(std::env::args_os().skip(1)) {
        eprintln!("fake-worker: {error}");
        return ExitCode::from(2);
    }
    let request = match read_request(std::io::stdin().lock()) {
        Ok(request) => request,
        Err(error) => {
            eprintln!("fake-worker: {error}");
            return ExitCode::from(2);
        }
    };
    let (mode, input) = mode(&request);
    match mode.as_str() {
        "hang" => hang(&input),
        "garbage" => answer_raw(b"this is not an answer\n"),
        "exit_3" => ExitCode::from(3),
        "abort" => std::process::abort(),
        "flood" => flood(),
        "environment" => environment(request),
        _ => answer(&request.execute()),
    }
}

/// The mode a request names, and the action's input.
fn mode(request: &Request) -> (String, Value) {
    match request {
        Request::Run {
            invocation: sdk::Invocation::Action { name, input },
            ..
        } => (name.clone(), input.clone()),
        Request::Parse { source, .. } => {
            let first = source.lines().next().unwrap_or_default();
            let mode = first.strip_prefix("// fake-worker: ").unwrap_or_default();
            (mode.trim().to_owned(), Value::Null)
        }
        Request::Run { .. } => (String::new(), Value::Null),
    }
}

fn hang(input: &Value) -> ExitCode {
    if let Some(file) = input["pid_file"].as_str()
        && let Err(error) = std::fs::write(file, std::process::id().to_string())
    {
        eprintln!("fake-worker: {error}");
        return ExitCode::from(2);
    }
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

fn flood() -> ExitCode {
    let chunk = vec![b'x'; 1024 * 1024];
    let mut out = std::io::stdout().lock();
    for _ in 0..100 {
        // The server stops reading past its cap and kills the process; a closed pipe ends it.
        if out.write_all(&chunk).is_err() {
            return ExitCode::from(1);
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}

/// A real run of the request (so the answer has the real shape), with the output replaced by
/// what this process inherited.
fn environment(request: Request) -> ExitCode {
    let Response::Ran(wire) = request.execute() else {
        return ExitCode::from(2);
    };
    let mut report = sdk::RunReport::from(wire);
    let descriptors: serde_json::Map<String, Value> = std::fs::read_dir("/proc/self/fd")
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| {
                    let target = std::fs::read_link(entry.path())
                        .map(|path| path.display().to_string())
                        .unwrap_or_default();
                    (
                        entry.file_name().to_string_lossy().into_owned(),
                        json!(target),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    report.outcome = Ok(json!({
        "variables": std::env::vars_os().count(),
        "descriptors": descriptors,
        "niceness": tests::niceness_of("self"),
    }));
    answer(&Response::Ran(report.into()))
}

fn answer(response: &Response) -> ExitCode {
    match write_response(std::io::stdout().lock(), response) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

fn answer_raw(bytes: &[u8]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}
