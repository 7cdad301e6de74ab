//! The command line (clap's builder API, as tools/authctl and tools/local-gateway).

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};

use crate::error::BenchError;
use crate::server::Answer;

/// The command line.
pub fn command() -> Command {
    let number =
        |name: &'static str, value: &'static str, default: &'static str, help: &'static str| {
            Arg::new(name)
                .long(name)
                .value_name(value)
                .value_parser(whole_number)
                .default_value(default)
                .help(help)
        };
    Command::new("runtime-bench")
        .about("Runs a Lambda function binary under a loopback Runtime API and measures it")
        .override_usage(
            "runtime-bench --binary <path> [--event <file>] [options]\n       \
             runtime-bench --summary <file>",
        )
        // As before clap: a flag given twice keeps its last value (--env accumulates).
        .args_override_self(true)
        .arg(
            Arg::new("summary")
                .long("summary")
                .value_name("file")
                .value_parser(value_parser!(PathBuf))
                .help("Print a table of the RESULT lines in <file>"),
        )
        .arg(
            Arg::new("binary")
                .long("binary")
                .value_name("path")
                .value_parser(value_parser!(PathBuf))
                .required_unless_present("summary")
                .help("The function binary (bootstrap)"),
        )
        .arg(
            Arg::new("event")
                .long("event")
                .value_name("file")
                .value_parser(value_parser!(PathBuf))
                .help(
                    "The event JSON (default: {}); REPLACE_WITH_ACCESS_TOKEN is replaced by \
                     --token when given",
                ),
        )
        .arg(
            Arg::new("token")
                .long("token")
                .value_name("jwt")
                .help("The token to patch into the event"),
        )
        .arg(number("invocations", "n", "10000", "Measured invocations"))
        .arg(number(
            "warmup",
            "n",
            "1000",
            "Invocations before measuring",
        ))
        .arg(number(
            "cold-starts",
            "k",
            "20",
            "Fresh processes timed from spawn to first poll (0 skips)",
        ))
        .arg(number(
            "growth-check",
            "n",
            "0",
            "After the run, <n> more invocations comparing VmRSS before/after",
        ))
        .arg(number(
            "pace-secs",
            "s",
            "0",
            "Spread the measured invocations evenly over <s> seconds (0: back to back), e.g. \
             1000 invocations in 60 s",
        ))
        .arg(
            Arg::new("shutdown")
                .long("shutdown")
                .action(ArgAction::SetTrue)
                .help(
                    "End the function with SIGTERM, as Lambda does when an extension is \
                     registered, and count what it writes until it exits (the metrics it held): \
                     log bytes and metrics are then those of the whole process",
                ),
        )
        .arg(
            Arg::new("no-extensions")
                .long("no-extensions")
                .action(ArgAction::SetTrue)
                .help("Answer the Extensions API with 404 (no shutdown signal possible)"),
        )
        .arg(
            Arg::new("env")
                .long("env")
                .value_name("KEY=VALUE")
                .value_parser(parse_env)
                .action(ArgAction::Append)
                .help("Extra environment for the function (repeatable)"),
        )
        .arg(
            Arg::new("label")
                .long("label")
                .value_name("name")
                .help("The name in the report (default: binary and event file names)"),
        )
        .arg(
            Arg::new("log")
                .long("log")
                .value_name("file")
                .value_parser(value_parser!(PathBuf))
                .help("Where the function's stdout/stderr go (default: a file in $TMPDIR)"),
        )
        .arg(number(
            "timeout-secs",
            "s",
            "10",
            "How long one invocation or cold start may take",
        ))
        .arg(
            Arg::new("expect")
                .long("expect")
                .value_name("outcome")
                .value_parser(parse_expect)
                .help(
                    "`response` or `error`: fail (after reporting) if any measured invocation \
                     answered otherwise",
                ),
        )
}

/// What to do.
#[derive(Debug)]
pub enum Mode {
    /// Benchmark one binary with one event.
    Bench(Options),
    /// Print a summary table of the RESULT lines in a file.
    Summary(PathBuf),
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
    pub expect: Option<Answer>,
}

impl Mode {
    /// What the parsed command line asks for.
    pub fn from_matches(matches: &ArgMatches) -> Result<Self, BenchError> {
        if let Some(path) = matches.get_one::<PathBuf>("summary") {
            return Ok(Self::Summary(path.clone()));
        }
        let binary = matches
            .get_one::<PathBuf>("binary")
            .cloned()
            .ok_or_else(|| BenchError::Usage("--binary is required".into()))?;
        let event = matches.get_one::<PathBuf>("event").cloned();
        let count = |id: &str| -> Result<usize, BenchError> {
            matches
                .get_one::<usize>(id)
                .copied()
                .ok_or_else(|| BenchError::Usage(format!("--{id} has no value")))
        };
        let secs = |id: &str| count(id).map(|n| u64::try_from(n).unwrap_or(u64::MAX));
        let invocations = count("invocations")?;
        if invocations == 0 {
            return Err(BenchError::Usage("--invocations must be at least 1".into()));
        }
        let label = matches
            .get_one::<String>("label")
            .cloned()
            .unwrap_or_else(|| default_label(&binary, event.as_ref()));
        let log = matches
            .get_one::<PathBuf>("log")
            .cloned()
            .unwrap_or_else(|| {
                std::env::temp_dir().join(format!("runtime-bench-{}.log", file_safe(&label)))
            });
        Ok(Self::Bench(Options {
            token: matches.get_one::<String>("token").cloned(),
            invocations,
            warmup: count("warmup")?,
            cold_starts: count("cold-starts")?,
            growth_check: count("growth-check")?,
            pace_secs: secs("pace-secs")?,
            shutdown: matches.get_flag("shutdown"),
            extensions: !matches.get_flag("no-extensions"),
            env: matches
                .get_many::<(String, String)>("env")
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            label,
            log,
            timeout_secs: secs("timeout-secs")?,
            expect: matches.get_one::<Answer>("expect").copied(),
            binary,
            event,
        }))
    }
}

/// A count, `_` allowed as a digit separator (`--invocations 100_000`).
fn whole_number(value: &str) -> Result<usize, String> {
    value
        .replace('_', "")
        .parse()
        .map_err(|_| "expected a whole number".to_owned())
}

/// `KEY=VALUE`, split at the first `=`.
fn parse_env(pair: &str) -> Result<(String, String), String> {
    pair.split_once('=')
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| "expected KEY=VALUE".to_owned())
}

fn parse_expect(value: &str) -> Result<Answer, String> {
    match value {
        "response" => Ok(Answer::Response),
        "error" => Ok(Answer::Error),
        _ => Err("expected `response` or `error`".to_owned()),
    }
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
        let matches = command()
            .try_get_matches_from(std::iter::once("runtime-bench").chain(args.iter().copied()))
            .map_err(|err| BenchError::Usage(err.to_string()))?;
        Mode::from_matches(&matches)
    }

    fn bench(args: &[&str]) -> Options {
        match parse(args).unwrap() {
            Mode::Bench(options) => options,
            Mode::Summary(_) => panic!("expected a bench"),
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        command().debug_assert();
    }

    #[test]
    fn defaults_apply_when_only_the_binary_is_given() {
        let options = bench(&["--binary", "target/release/authorizer"]);
        assert_eq!(options.invocations, 10_000);
        assert_eq!(options.warmup, 1_000);
        assert_eq!(options.cold_starts, 20);
        assert_eq!(options.growth_check, 0);
        assert_eq!(options.pace_secs, 0);
        assert_eq!(options.timeout_secs, 10);
        assert!(options.extensions && !options.shutdown);
        assert_eq!(options.expect, None);
        assert_eq!(options.label, "authorizer");
    }

    #[test]
    fn env_pairs_split_at_the_first_equals_sign() {
        let options = bench(&["--binary", "b", "--env", "A=x=y", "--env", "B="]);
        assert_eq!(
            options.env,
            vec![("A".into(), "x=y".into()), ("B".into(), String::new())]
        );
    }

    #[test]
    fn run_sh_flags_are_understood() {
        let options = bench(&[
            "--invocations",
            "1_000",
            "--warmup",
            "0",
            "--cold-starts",
            "0",
            "--pace-secs",
            "60",
            "--label",
            "authorizer:paced",
            "--binary",
            "b",
            "--event",
            "e.json",
            "--token",
            "t",
            "--expect",
            "error",
            "--shutdown",
            "--growth-check",
            "5",
            "--no-extensions",
            "--timeout-secs",
            "3",
            "--log",
            "l.log",
        ]);
        assert_eq!(options.invocations, 1_000);
        assert_eq!(
            (options.warmup, options.cold_starts, options.pace_secs),
            (0, 0, 60)
        );
        assert_eq!(options.label, "authorizer:paced");
        assert_eq!(options.expect, Some(Answer::Error));
        assert_eq!(options.growth_check, 5);
        assert!(options.shutdown && !options.extensions);
        assert_eq!(options.log, PathBuf::from("l.log"));
    }

    #[test]
    fn summary_needs_no_binary() {
        assert!(matches!(
            parse(&["--summary", "r.txt"]),
            Ok(Mode::Summary(_))
        ));
    }

    #[test]
    fn missing_binary_is_a_usage_error() {
        assert!(matches!(
            parse(&["--event", "e.json"]),
            Err(BenchError::Usage(_))
        ));
    }

    #[test]
    fn zero_invocations_is_a_usage_error() {
        assert!(matches!(
            parse(&["--binary", "b", "--invocations", "0"]),
            Err(BenchError::Usage(_))
        ));
    }
}
