//! What can go wrong while benchmarking a function binary, as one operator-facing error.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Every failure of the driver; each message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Bad command line; the message says which argument.
    #[error("{0} (see --help)")]
    Usage(String),
    /// An input file could not be read.
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    /// The log file for the function's stdout/stderr could not be opened.
    #[error("cannot open the log file {path}: {source}")]
    Log { path: PathBuf, source: io::Error },
    /// The function binary could not be started.
    #[error("cannot start {binary}: {source}")]
    Spawn { binary: PathBuf, source: io::Error },
    /// The loopback Runtime API server could not be started.
    #[error("cannot start the runtime api server: {0}")]
    Server(#[source] io::Error),
    /// The function posted to /runtime/init/error.
    #[error("the function reported an init error: {0}")]
    InitFailed(String),
    /// The function process ended while we waited for it.
    #[error("the function exited ({status}) while {waiting_for}; see its log {log}")]
    Exited {
        status: ExitStatus,
        waiting_for: &'static str,
        log: PathBuf,
    },
    /// The function is alive but did not do what we waited for.
    #[error("the function did not answer within {secs} s while {waiting_for}; see its log {log}")]
    Timeout {
        secs: u64,
        waiting_for: &'static str,
        log: PathBuf,
    },
    /// `--expect` was not met: the event or the function's configuration is probably wrong.
    #[error(
        "expected every invocation to answer with {expected}, got {responses} responses and {errors} errors"
    )]
    Unexpected {
        expected: &'static str,
        responses: u64,
        errors: u64,
    },
    /// A /proc file was missing or not in the expected shape.
    #[error("cannot read {path}: {detail}")]
    Proc { path: String, detail: String },
}
