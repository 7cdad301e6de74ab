//! The function under test as a child process, and what /proc says about it: CPU time
//! (`/proc/<pid>/stat` utime + stime, and per-thread `schedstat` for nanosecond resolution) and
//! memory (`VmHWM`, `VmRSS` from `/proc/<pid>/status`).

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::BenchError;

/// How to start the function: the binary, its extra environment and where its output goes.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The function binary.
    pub binary: PathBuf,
    /// `AWS_LAMBDA_FUNCTION_NAME` (and the name in the function ARN).
    pub function_name: String,
    /// `--env KEY=VALUE` pairs, applied after the Lambda variables.
    pub env: Vec<(String, String)>,
    /// The file stdout and stderr are appended to.
    pub log: PathBuf,
}

/// A started function process; killed when dropped.
pub struct Function {
    child: Child,
    /// Taken just before `Command::spawn`.
    pub spawned_at: Instant,
}

impl Function {
    /// Starts the binary with a Lambda-like environment and nothing else: the function sees the
    /// variables Lambda sets, not the shell's (`RUST_LOG`, `HOME` ... would change its behaviour).
    pub fn spawn(launch: &Launch, runtime_api: SocketAddr) -> Result<Self, BenchError> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&launch.log)
            .map_err(|source| BenchError::Log {
                path: launch.log.clone(),
                source,
            })?;
        let log_err = log.try_clone().map_err(|source| BenchError::Log {
            path: launch.log.clone(),
            source,
        })?;
        let mut command = Command::new(&launch.binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &launch.function_name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", launch.function_name),
            )
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2025/11/25/[$LATEST]0123456789abcdef",
            )
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("TZ", ":UTC")
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let spawned_at = Instant::now();
        let child = command.spawn().map_err(|source| BenchError::Spawn {
            binary: launch.binary.clone(),
            source,
        })?;
        Ok(Self { child, spawned_at })
    }

    /// The process id, for /proc.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` when the process has already ended.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends SIGTERM (with kill(1): this crate has no unsafe code) and waits up to `grace` for
    /// the process to exit; `None` if it did not (it is killed when dropped).
    pub fn terminate(&mut self, grace: Duration) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        if !sent {
            return None;
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        None
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time of a process so far.
#[derive(Debug, Clone, Copy)]
pub struct CpuTime {
    /// utime + stime from `/proc/<pid>/stat` (fields 14 and 15), in clock ticks.
    pub ticks: u64,
    /// Sum of the first `schedstat` field over the live threads, in ns (`None` if the kernel has
    /// no schedstat). Threads that ended are not counted, unlike `ticks`.
    pub sched_ns: Option<u64>,
}

/// Reads utime + stime and schedstat for `pid`.
pub fn cpu_time(pid: u32) -> Result<CpuTime, BenchError> {
    let path = format!("/proc/{pid}/stat");
    let stat = read_proc(&path)?;
    // comm (field 2) may hold spaces and parentheses: count fields after its last ')'.
    // After it come state (field 3), ..., utime (14), stime (15): indices 11 and 12.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after.split_ascii_whitespace().collect();
    let field = |index: usize| -> Result<u64, BenchError> {
        fields
            .get(index)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| BenchError::Proc {
                path: path.clone(),
                detail: format!("no numeric field {}", index + 3),
            })
    };
    let ticks = field(11)? + field(12)?;
    Ok(CpuTime {
        ticks,
        sched_ns: sched_ns(pid),
    })
}

fn sched_ns(pid: u32) -> Option<u64> {
    let mut total = 0_u64;
    for task in fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = task.ok()?.path().join("schedstat");
        // A thread may end between read_dir and here: skip it.
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        total += text.split_ascii_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Memory figures from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmHWM`: peak resident set size.
    pub hwm_kib: u64,
    /// `VmRSS`: resident set size now.
    pub rss_kib: u64,
}

/// Reads `VmHWM` and `VmRSS` for `pid`.
pub fn memory(pid: u32) -> Result<Memory, BenchError> {
    let path = format!("/proc/{pid}/status");
    let status = read_proc(&path)?;
    let field = |name: &str| -> Result<u64, BenchError> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| BenchError::Proc {
                path: path.clone(),
                detail: format!("no {name}"),
            })
    };
    Ok(Memory {
        hwm_kib: field("VmHWM:")?,
        rss_kib: field("VmRSS:")?,
    })
}

/// Clock ticks per second for `/proc/<pid>/stat`, from `getconf CLK_TCK`; `(100, false)` when
/// getconf is unavailable (100 is the value on every mainstream Linux).
pub fn clock_ticks_per_sec() -> (u64, bool) {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .map_or((100, false), |ticks| (ticks, true))
}

/// The size of a file in bytes, 0 when it does not exist.
pub fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn read_proc(path: &str) -> Result<String, BenchError> {
    fs::read_to_string(path).map_err(|err| BenchError::Proc {
        path: path.to_owned(),
        detail: err.to_string(),
    })
}
