//! The connector worker for tests: the server under test runs inside a test binary, which has no
//! `patchbay worker` subcommand, so `TestApp` points `sandbox.worker_program` here. The same
//! limits and the same code as `patchbay worker`.

fn main() -> std::process::ExitCode {
    sdk::worker::worker_main(std::env::args_os().skip(1))
}
