//! The command line, parsed by hand (std only).

use std::path::PathBuf;

use crate::error::BenchError;
use crate::server::Outcome;

/// The usage text for `--help`.
pub const USAGE: &str = "\
runtime-bench: run a Lambda function binary under a loopback Runtime API and measure it

USAGE:
  runtime-bench --binary <path> [--event <file>] [options]
  runtime-bench --summary <file>       print a table of the RESULT lines in <file>

OPTIONS:
  --binary <path>        the function binary (bootstrap)
  --event <file>         the event JSON (default: {}); REPLACE_WITH_ACCESS_TOKEN is replaced
                         by --token when given
  --token <jwt>          the token to patch into the event
  --invocations <n>      measured invocations (default 10000)
  --warmup <n>           invocations before measuring (default 1000)
  --cold-starts <k>      fresh processes timed from spawn to first poll (default 20; 0 skips)
  --growth-check <n>     after the run, <n> more invocations comparing VmRSS before/after
  --pace-secs <s>        spread the measured invocations evenly over <s> seconds (default 0:
                         back to back), e.g. 1000 invocations in 60 s
  --shutdown             end the function with SIGTERM, as Lambda does when an extension is
                         registered, and count what it writes until it exits (the metrics it
                         held): log bytes and metrics are then those of the whole process
  --no-extensions        answer the Extensions API with 404 (no shutdown signal possible)
  --env KEY=VALUE        extra environment for the function (repeatable)
  --label <name>         the name in the report (default: binary and event file names)
  --log <file>           where the function's stdout/stderr go (default: a file in $TMPDIR)
  --timeout-secs <s>     how long one invocation or cold start may take (default 10)
  --expect <outcome>     `response` or `error`: fail (after reporting) if any measured
                         invocation answered otherwise
";

/// What to do.
#[derive(Debug)]
pub enum Mode {
    /// Benchmark one binary with one event.
    Bench(Options),
    /// Print a summary table of the RESULT lines in a file.
    Summary(PathBuf),
    /// Print the usage.
    Help,
}

/// The settings of one benchmark run.
#[derive(Debug)]
pub struct Options {
    /// `--binary`.
    pub binary: PathBuf,
    /// `--event`; `None` sends `{}`.
    pub event: Option<PathBuf>,
    /// `--token`.
    pub token: Option<String>,
    /// `--invocations`, default 10000.
    pub invocations: usize,
    /// `--warmup`, default 1000.
    pub warmup: usize,
    /// `--cold-starts`, default 20.
    pub cold_starts: usize,
    /// `--growth-check`, default 0 (off).
    pub growth_check: usize,
    /// `--pace-secs`, default 0 (back to back).
    pub pace_secs: u64,
    /// `--shutdown`: SIGTERM at the end, and wait for the exit.
    pub shutdown: bool,
    /// Whether the Extensions API is served (`--no-extensions` turns it off).
    pub extensions: bool,
    /// `--env` pairs in order.
    pub env: Vec<(String, String)>,
    /// `--label`.
    pub label: String,
    /// `--log`.
    pub log: PathBuf,
    /// `--timeout-secs`, default 10.
    pub timeout_secs: u64,
    /// `--expect`: what every measured invocation must answer.
    pub expect: Option<Outcome>,
}

impl Mode {
    /// Parses the arguments after the program name.
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, BenchError> {
        let mut binary = None;
        let mut event = None;
        let mut token = None;
        let mut invocations = 10_000;
        let mut warmup = 1_000;
        let mut cold_starts = 20;
        let mut growth_check = 0;
        let mut pace_secs = 0;
        let mut shutdown = false;
        let mut extensions = true;
        let mut env = Vec::new();
        let mut label = None;
        let mut log = None;
        let mut timeout_secs = 10;
        let mut expect = None;
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| BenchError::Usage(format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "-h" | "--help" => return Ok(Self::Help),
                "--summary" => return Ok(Self::Summary(value()?.into())),
                "--binary" => binary = Some(PathBuf::from(value()?)),
                "--event" => event = Some(PathBuf::from(value()?)),
                "--token" => token = Some(value()?),
                "--invocations" => invocations = number(&flag, &value()?)?,
                "--warmup" => warmup = number(&flag, &value()?)?,
                "--cold-starts" => cold_starts = number(&flag, &value()?)?,
                "--growth-check" => growth_check = number(&flag, &value()?)?,
                "--pace-secs" => pace_secs = number(&flag, &value()?)?,
                "--shutdown" => shutdown = true,
                "--no-extensions" => extensions = false,
                "--timeout-secs" => timeout_secs = number(&flag, &value()?)?,
                "--label" => label = Some(value()?),
                "--log" => log = Some(PathBuf::from(value()?)),
                "--expect" => {
                    expect = Some(match value()?.as_str() {
                        "response" => Outcome::Response,
                        "error" => Outcome::Error,
                        other => {
                            return Err(BenchError::Usage(format!(
                                "--expect {other}: expected `response` or `error`"
                            )));
                        }
                    });
                }
                "--env" => {
                    let pair = value()?;
                    let Some((key, val)) = pair.split_once('=') else {
                        return Err(BenchError::Usage(format!(
                            "--env {pair}: expected KEY=VALUE"
                        )));
                    };
                    env.push((key.to_owned(), val.to_owned()));
                }
                other => return Err(BenchError::Usage(format!("unknown argument {other}"))),
            }
        }
        let binary = binary.ok_or_else(|| BenchError::Usage("--binary is required".into()))?;
        if invocations == 0 {
            return Err(BenchError::Usage("--invocations must be at least 1".into()));
        }
        let label = label.unwrap_or_else(|| default_label(&binary, event.as_ref()));
        let log = log.unwrap_or_else(|| {
            std::env::temp_dir().join(format!("runtime-bench-{}.log", file_safe(&label)))
        });
        Ok(Self::Bench(Options {
            binary,
            event,
            token,
            invocations,
            warmup,
            cold_starts,
            growth_check,
            pace_secs: u64::try_from(pace_secs).unwrap_or(u64::MAX),
            shutdown,
            extensions,
            env,
            label,
            log,
            timeout_secs: u64::try_from(timeout_secs).unwrap_or(u64::MAX),
            expect,
        }))
    }
}

fn number(flag: &str, value: &str) -> Result<usize, BenchError> {
    value
        .replace('_', "")
        .parse()
        .map_err(|_| BenchError::Usage(format!("{flag} {value}: expected a whole number")))
}

fn default_label(binary: &std::path::Path, event: Option<&PathBuf>) -> String {
    let stem = |p: &std::path::Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    match event {
        Some(event) => format!("{}:{}", stem(binary), stem(event)),
        None => stem(binary),
    }
}

fn file_safe(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Mode, BenchError> {
        Mode::parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_apply_when_only_the_binary_is_given() {
        let Mode::Bench(options) = parse(&["--binary", "target/release/authorizer"]).unwrap()
        else {
            panic!("expected a bench");
        };
        assert_eq!(options.invocations, 10_000);
        assert_eq!(options.warmup, 1_000);
        assert_eq!(options.cold_starts, 20);
        assert_eq!(options.label, "authorizer");
    }

    #[test]
    fn env_pairs_split_at_the_first_equals_sign() {
        let Mode::Bench(options) =
            parse(&["--binary", "b", "--env", "A=x=y", "--env", "B="]).unwrap()
        else {
            panic!("expected a bench");
        };
        assert_eq!(
            options.env,
            vec![("A".into(), "x=y".into()), ("B".into(), String::new())]
        );
    }

    #[test]
    fn missing_binary_is_a_usage_error() {
        assert!(matches!(
            parse(&["--event", "e.json"]),
            Err(BenchError::Usage(_))
        ));
    }
}
