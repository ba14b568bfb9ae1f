//! The operating-system limits a worker puts on itself before it reads its request, so that what
//! the engine's own limits miss (a native allocation, a loop that never checks the clock) still
//! ends: the kernel refuses the memory, or stops the process once its CPU time is up.

use std::ffi::OsString;
use std::io;
use std::time::Duration;

use rlimit::Resource;

/// Limits on one worker process, passed to it on its command line (its environment is empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsLimits {
    /// Virtual memory the process may map, in bytes (`RLIMIT_AS`): the binary, every thread's
    /// stack (the sandbox thread reserves 256 MiB) and the heap.
    pub address_space_bytes: u64,
    /// CPU time (`RLIMIT_CPU`): the kernel sends `SIGXCPU` at this many seconds and `SIGKILL` a
    /// second later.
    pub cpu_seconds: u64,
    /// Largest file the process may write (`RLIMIT_FSIZE`); a worker writes none, only pipes,
    /// which this does not limit.
    pub file_size_bytes: u64,
    /// How many steps below the server's scheduling priority the worker runs (`nice`). A
    /// connector spinning on every core must not starve the server's own threads: with the
    /// workers at the server's priority, `/livez` answered in 413 ms at p99 while four hostile
    /// runs shared two cores (BENCHMARKS.md, "Hostile connectors"). `0` keeps the server's.
    pub niceness: u64,
}

impl Default for OsLimits {
    fn default() -> Self {
        Self {
            address_space_bytes: 1024 * 1024 * 1024,
            cpu_seconds: 6,
            file_size_bytes: 1024 * 1024,
            niceness: 10,
        }
    }
}

const ADDRESS_SPACE: &str = "--address-space";
const CPU_SECONDS: &str = "--cpu-seconds";
const FILE_SIZE: &str = "--file-size";
const NICENESS: &str = "--niceness";
/// The lowest priority there is: `nice` clamps there anyway.
pub(super) const MAX_NICENESS: u64 = 19;

impl OsLimits {
    /// The limits for work with a wall-clock `deadline`: CPU time is the deadline rounded up,
    /// plus a second (the server kills the process at the deadline plus its grace anyway).
    pub fn for_deadline(deadline: Duration, address_space_bytes: u64) -> Self {
        let whole_seconds = deadline.as_secs() + u64::from(deadline.subsec_nanos() > 0);
        Self {
            address_space_bytes,
            cpu_seconds: whole_seconds + 1,
            ..Self::default()
        }
    }

    /// The command-line arguments that [`OsLimits::from_args`] reads back.
    pub fn to_args(&self) -> Vec<String> {
        vec![
            ADDRESS_SPACE.into(),
            self.address_space_bytes.to_string(),
            CPU_SECONDS.into(),
            self.cpu_seconds.to_string(),
            FILE_SIZE.into(),
            self.file_size_bytes.to_string(),
            NICENESS.into(),
            self.niceness.to_string(),
        ]
    }

    /// Reads `--address-space N --cpu-seconds N --file-size N --niceness N` (bytes, seconds,
    /// bytes, steps); a missing one keeps its default, anything else is an error. Every value
    /// is a positive whole number but the niceness, which is 0 to 19.
    pub fn from_args(args: impl IntoIterator<Item = OsString>) -> Result<Self, String> {
        let mut limits = Self::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let flag = flag.to_string_lossy().into_owned();
            let (slot, range) = match flag.as_str() {
                ADDRESS_SPACE => (&mut limits.address_space_bytes, 1..=u64::MAX),
                CPU_SECONDS => (&mut limits.cpu_seconds, 1..=u64::MAX),
                FILE_SIZE => (&mut limits.file_size_bytes, 1..=u64::MAX),
                NICENESS => (&mut limits.niceness, 0..=MAX_NICENESS),
                _ => return Err(format!("unknown argument {flag:?}")),
            };
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            *slot = value
                .to_str()
                .and_then(|text| text.parse().ok())
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    format!(
                        "{flag} needs a whole number from {} to {}",
                        range.start(),
                        range.end()
                    )
                })?;
        }
        Ok(limits)
    }
}

/// Applies `limits` to this process, forbids core dumps (a dump would hold the connection's
/// secrets), lowers its priority, and closes every descriptor but stdin, stdout and stderr.
/// Never raises a limit above the hard limit the process already has.
pub fn limit_process(limits: &OsLimits) -> io::Result<()> {
    close_inherited_descriptors()?;
    if limits.niceness > 0 {
        // Relative to the server's own niceness, which the worker inherited. `nice` returns
        // the new value; only an error matters (EPERM cannot happen when lowering).
        let steps = i32::try_from(limits.niceness.min(MAX_NICENESS)).unwrap_or(0);
        rustix::process::nice(steps).map_err(io::Error::from)?;
    }
    lower(Resource::CORE, 0, 0)?;
    lower(
        Resource::AS,
        limits.address_space_bytes,
        limits.address_space_bytes,
    )?;
    lower(
        Resource::CPU,
        limits.cpu_seconds,
        limits.cpu_seconds.saturating_add(1),
    )?;
    lower(
        Resource::FSIZE,
        limits.file_size_bytes,
        limits.file_size_bytes,
    )
}

/// Closes every descriptor above stderr. The server opens all of its own files and sockets
/// with `O_CLOEXEC` (the standard library always does), but what the server itself inherited
/// without it — a jobserver pipe from `cargo`, a descriptor a supervisor passed on — would
/// otherwise reach the connector.
fn close_inherited_descriptors() -> io::Result<()> {
    let open: Vec<i32> = std::fs::read_dir("/proc/self/fd")?
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in open {
        // The directory listing's own descriptor is already closed: `EBADF` is expected.
        match nix::unistd::close(fd) {
            Ok(()) | Err(nix::errno::Errno::EBADF) => {}
            Err(errno) => return Err(io::Error::from(errno)),
        }
    }
    Ok(())
}

fn lower(resource: Resource, soft: u64, hard: u64) -> io::Result<()> {
    let (_, current_hard) = resource.get()?;
    let hard = hard.min(current_hard);
    resource.set(soft.min(hard), hard)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_arguments_read_back_as_the_limits() {
        let limits = OsLimits::for_deadline(Duration::from_millis(5_200), 512 << 20);
        assert_eq!(limits.cpu_seconds, 7);
        let text = limits.to_args();
        let back = OsLimits::from_args(text.iter().map(OsString::from)).expect("parsed");
        assert_eq!(back, limits);
        assert_eq!(OsLimits::from_args([]), Ok(OsLimits::default()));
        let at_servers_priority = OsLimits::from_args(args(&["--niceness", "0"]));
        assert_eq!(at_servers_priority.map(|l| l.niceness), Ok(0));
    }

    #[test]
    fn bad_arguments_are_refused() {
        for bad in [
            &["--cpu-seconds"][..],
            &["--cpu-seconds", "0"],
            &["--cpu-seconds", "-1"],
            &["--file-size", "lots"],
            &["--niceness", "20"],
            &["--niceness", "-5"],
            &["--verbose"],
        ] {
            assert!(OsLimits::from_args(args(bad)).is_err(), "{bad:?}");
        }
    }
}
