//! What running connectors in worker processes costs: isolated runs per second of a trivial
//! action and the latency a worker adds (p50, p95), against the same run in-process; and the
//! parse/validate time of the largest example connector both ways.
//!
//! ```sh
//! cargo run --release -p bench --example worker-bench                     # this binary as the worker
//! cargo run --release -p bench --example worker-bench -- --worker target/release/patchbay
//! cargo run --release -p bench --example worker-bench -- --runs 500 --concurrency 2
//! ```
//!
//! With `--worker PATH` the worker is `PATH worker` (the `patchbay` binary's hidden subcommand);
//! without, this binary serves as its own worker (`worker-bench worker …`), which runs the same
//! `sdk::worker` code. Sequential runs measure latency; `--concurrency N` runs N at a time for
//! throughput. See BENCHMARKS.md.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sdk::worker::Worker;
use sdk::{Invocation, Limits, RuntimeConfig};
use serde_json::json;

const TRIVIAL: &str = r#"export default {
    title: "Trivial",
    actions: {
        ping: {
            title: "Ping",
            input_fields: [{ name: "n", type: "integer" }],
            execute: (connection, input) => ({ pong: input.n + 1 }),
        },
    },
};"#;

struct Options {
    worker: Option<PathBuf>,
    runs: usize,
    concurrency: usize,
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).peekable();
    if args.peek().is_some_and(|first| first == "worker") {
        return sdk::worker::worker_main(args.skip(1));
    }
    let options = match options(args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("worker-bench: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("worker-bench: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("worker-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn options(args: impl Iterator<Item = OsString>) -> Result<Options, String> {
    let mut options = Options {
        worker: None,
        runs: 300,
        concurrency: 2,
    };
    let mut args = args.map(|arg| arg.to_string_lossy().into_owned());
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--worker" => options.worker = Some(PathBuf::from(value)),
            "--runs" => options.runs = value.parse().map_err(|_| "--runs: a number")?,
            "--concurrency" => {
                options.concurrency = value.parse().map_err(|_| "--concurrency: a number")?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    options.runs = options.runs.max(10);
    options.concurrency = options.concurrency.max(1);
    Ok(options)
}

fn worker(options: &Options) -> Result<Worker, String> {
    let (program, label) = match &options.worker {
        Some(path) => (path.clone(), path.display().to_string()),
        None => (
            std::env::current_exe().map_err(|error| error.to_string())?,
            "this binary".to_owned(),
        ),
    };
    println!("worker: {label} worker");
    Ok(Worker::new(program, [OsString::from("worker")]))
}

/// The trivial action both ways: the worker, the invocation and the runtime configuration.
struct Trivial {
    worker: Arc<Worker>,
    invocation: Invocation,
    config: RuntimeConfig,
}

async fn bench(options: Options) -> Result<(), String> {
    let trivial = Trivial {
        worker: Arc::new(worker(&options)?),
        invocation: Invocation::Action {
            name: "ping".into(),
            input: json!({ "n": 41 }),
        },
        config: RuntimeConfig::default(),
    };
    trivial.same_answer().await?;
    println!("\ntrivial action, {} runs each", options.runs);
    trivial.sequential(options.runs).await;
    trivial.in_process_at_once(&options);
    trivial.worker_at_once(&options).await?;
    parses(&trivial.worker, options.runs).await
}

impl Trivial {
    /// Check once that both ways give the same answer.
    async fn same_answer(&self) -> Result<(), String> {
        let direct = sdk::run(TRIVIAL, &json!({}), self.invocation.clone(), &self.config);
        let isolated = self.run_in_worker().await;
        if direct.outcome != isolated.outcome || direct.outcome != Ok(json!({ "pong": 42 })) {
            return Err(format!(
                "the runs differ: {:?} / {:?}",
                direct.outcome, isolated.outcome
            ));
        }
        Ok(())
    }

    async fn run_in_worker(&self) -> sdk::RunReport {
        self.worker
            .run(
                TRIVIAL.into(),
                json!({}),
                Vec::new(),
                self.invocation.clone(),
                self.config.clone(),
            )
            .await
    }

    /// One run after another, each way, and the latency the worker adds.
    async fn sequential(&self, runs: usize) {
        let in_process = time(runs, || {
            let report = sdk::run(TRIVIAL, &json!({}), self.invocation.clone(), &self.config);
            std::hint::black_box(report);
        });
        let through_worker = time_async(runs, || async {
            std::hint::black_box(self.run_in_worker().await);
        })
        .await;
        row("in-process (sequential)", &in_process);
        row("worker (sequential)", &through_worker);
        println!(
            "  added latency per run: p50 {:.2} ms, p95 {:.2} ms",
            ms(percentile(&through_worker, 50)) - ms(percentile(&in_process, 50)),
            ms(percentile(&through_worker, 95)) - ms(percentile(&in_process, 95)),
        );
    }

    /// `options.concurrency` threads running in-process at once: runs per second.
    fn in_process_at_once(&self, options: &Options) {
        let started = Instant::now();
        std::thread::scope(|scope| {
            for lane in 0..options.concurrency {
                let share = share(options.runs, options.concurrency, lane);
                let (invocation, config) = (&self.invocation, &self.config);
                scope.spawn(move || {
                    for _ in 0..share {
                        let report = sdk::run(TRIVIAL, &json!({}), invocation.clone(), config);
                        std::hint::black_box(report);
                    }
                });
            }
        });
        println!(
            "  in-process, {} at a time: {:.0} runs/s",
            options.concurrency,
            options.runs as f64 / started.elapsed().as_secs_f64()
        );
    }

    /// `options.concurrency` tasks running through workers at once: runs per second.
    async fn worker_at_once(&self, options: &Options) -> Result<(), String> {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for lane in 0..options.concurrency {
            let worker = self.worker.clone();
            let invocation = self.invocation.clone();
            let config = self.config.clone();
            let share = share(options.runs, options.concurrency, lane);
            tasks.push(tokio::spawn(async move {
                for _ in 0..share {
                    let report = worker
                        .run(
                            TRIVIAL.into(),
                            json!({}),
                            Vec::new(),
                            invocation.clone(),
                            config.clone(),
                        )
                        .await;
                    std::hint::black_box(report);
                }
            }));
        }
        for task in tasks {
            task.await.map_err(|error| error.to_string())?;
        }
        let elapsed = started.elapsed();
        println!(
            "  worker, {} at a time: {:.0} runs/s",
            options.concurrency,
            options.runs as f64 / elapsed.as_secs_f64()
        );
        Ok(())
    }
}

/// The parse/validate of the largest example, both ways.
async fn parses(worker: &Arc<Worker>, runs: usize) -> Result<(), String> {
    let (path, source) = largest_example()?;
    let limits = Limits::default();
    let parses = (runs / 3).max(10);
    println!(
        "\nparse/validate {} ({} bytes), {parses} times each",
        path.display(),
        source.len()
    );
    let in_process = time(parses, || {
        std::hint::black_box(sdk::parse_with(&source, &limits)).ok();
    });
    let through_worker = time_async(parses, || {
        let worker = worker.clone();
        let source = source.clone();
        let limits = limits.clone();
        async move {
            std::hint::black_box(worker.parse(&source, &limits).await).ok();
        }
    })
    .await;
    row("in-process", &in_process);
    row("worker", &through_worker);
    Ok(())
}

/// The largest source (a `.js` file) under `examples/connectors/*/versions/`.
fn largest_example() -> Result<(PathBuf, String), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/connectors");
    let mut best: Option<(PathBuf, u64)> = None;
    for connector in std::fs::read_dir(&root).map_err(|e| format!("{}: {e}", root.display()))? {
        let versions = connector
            .map_err(|e| e.to_string())?
            .path()
            .join("versions");
        for entry in std::fs::read_dir(versions).into_iter().flatten().flatten() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if best.as_ref().is_none_or(|(_, largest)| size > *largest) {
                best = Some((entry.path(), size));
            }
        }
    }
    let (path, _) = best.ok_or("no example connectors")?;
    let source = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let shown = path
        .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.clone());
    Ok((shown, source))
}

/// How many of `runs` lane `lane` of `lanes` does.
fn share(runs: usize, lanes: usize, lane: usize) -> usize {
    runs / lanes + usize::from(lane < runs % lanes)
}

fn time(n: usize, mut work: impl FnMut()) -> Vec<Duration> {
    work();
    (0..n)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect()
}

async fn time_async<F: Future<Output = ()>>(
    n: usize,
    mut work: impl FnMut() -> F,
) -> Vec<Duration> {
    work().await;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        work().await;
        times.push(started.elapsed());
    }
    times
}

fn percentile(times: &[Duration], p: usize) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let index = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
    sorted.get(index).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn row(label: &str, times: &[Duration]) {
    let total: Duration = times.iter().sum();
    println!(
        "  {label:<26} {:>8.0}/s   p50 {:>7.2} ms   p95 {:>7.2} ms",
        times.len() as f64 / total.as_secs_f64(),
        ms(percentile(times, 50)),
        ms(percentile(times, 95)),
    );
}
