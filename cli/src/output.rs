//! How the binary speaks: everything on stdout goes through [`say`], progress and errors through
//! [`tell`] on stderr, and a closed stdout ends the process quietly with [`EXIT_BROKEN_PIPE`].

use std::fmt::Display;
use std::io::Write as _;

/// The exit status when stdout is closed before everything was written to it (the reader went
/// away, as `patchbay package inspect pkg.zip | head -1` does): 141, what a shell reports for a
/// process killed by SIGPIPE, so `patchbay` in a pipeline behaves like `cat` or `grep` would —
/// quietly, and failing under `set -o pipefail` because its output was not all read.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// Writes `text` and a newline to stdout, the one way the binary prints its output. A closed
/// stdout (a broken pipe) ends the process quietly with [`EXIT_BROKEN_PIPE`]; any other failure
/// to write ends it with exit code 1 and a message on stderr. Never panics.
pub fn say(text: impl Display) {
    write_out(format_args!("{text}\n"));
}

/// As [`say`], without adding a newline.
pub fn say_raw(text: impl Display) {
    write_out(format_args!("{text}"));
}

fn write_out(text: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_fmt(text).and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::exit(i32::from(EXIT_BROKEN_PIPE))
        }
        Err(err) => {
            tell(format_args!("error: writing to stdout: {err}"));
            std::process::exit(1)
        }
    }
}

/// Writes `text` and a newline to stderr: progress, notes and errors. A stderr that cannot be
/// written to is ignored (there is nowhere left to say so).
pub fn tell(text: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A backstop for output written with `println!` outside [`say`] (a library, or progress lines
/// that do not go through it): its panic on a closed stdout ends the process like `say` does,
/// quietly with `EXIT_BROKEN_PIPE`, instead of with a panic message. Other panics are reported as
/// before.
pub fn exit_quietly_on_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(i32::from(EXIT_BROKEN_PIPE));
        }
        report(info);
    }));
}
