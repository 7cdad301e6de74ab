//! The log level, from `LOG_LEVEL` (then `AWS_LAMBDA_LOG_LEVEL`); anything unknown means info.
//! It applies to this workspace's crates; every other target is capped at
//! [`OTHER_CRATES_MAX_LEVEL`].

use tracing_subscriber::filter::LevelFilter;

/// The crates whose events follow `LOG_LEVEL` all the way to `trace`: ours, which never log a
/// secret at any level. Matched on the target's first path segment (`auth_aws::store`).
pub const OWN_CRATES: [&str; 6] = [
    "authorizer",
    "token_generator",
    "key_rotation",
    "auth_aws",
    "auth_core",
    "telemetry",
];

/// The most detailed level written for any other target (lambda_runtime, lambda_http,
/// aws_smithy_*, aws_sdk_*, aws_config, aws_sigv4, hyper, h2, rustls, tower, ...), whatever
/// `LOG_LEVEL` says: at TRACE, lambda_runtime logs each raw event (passwords in token requests)
/// and aws-smithy every request and response (DynamoDB items with argon2 hashes, SSM values).
/// Their DEBUG lines name operations, retries and endpoints, never a body.
pub const OTHER_CRATES_MAX_LEVEL: LevelFilter = LevelFilter::DEBUG;

/// The level that applies to events of `target` when the configured level is `level`.
pub fn level_for(target: &str, level: LevelFilter) -> LevelFilter {
    let krate = target.split("::").next().unwrap_or_default();
    if OWN_CRATES.contains(&krate) {
        level
    } else {
        level.min(OTHER_CRATES_MAX_LEVEL)
    }
}

/// The variables read for the level, in order; the first one set (and not empty) decides.
/// `AWS_LAMBDA_LOG_LEVEL` is what Lambda sets from the function's
/// `LoggingConfig.ApplicationLogLevel`.
pub const LEVEL_VARIABLES: [&str; 2] = ["LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"];

/// The level to log at, and what was wrong with the configured value, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelChoice {
    /// The level events must have to be written; `info` unless configured.
    pub level: LevelFilter,
    /// A value that was set but not understood (the level is then `info`), to be logged once.
    pub invalid: Option<InvalidLevel>,
}

/// A level variable whose value is not one of `error`, `warn`, `info`, `debug`, `trace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidLevel {
    /// The variable's name.
    pub variable: &'static str,
    /// Its value, as set.
    pub value: String,
}

impl LevelChoice {
    /// Reads the level through `lookup` (`|name| std::env::var(name).ok()` in a function), so
    /// tests never touch the process environment. An empty variable counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let set = LEVEL_VARIABLES.iter().find_map(|&variable| {
            lookup(variable)
                .filter(|value| !value.trim().is_empty())
                .map(|value| (variable, value))
        });
        match set {
            None => Self {
                level: LevelFilter::INFO,
                invalid: None,
            },
            Some((variable, value)) => match parse_level(&value) {
                Some(level) => Self {
                    level,
                    invalid: None,
                },
                None => Self {
                    level: LevelFilter::INFO,
                    invalid: Some(InvalidLevel { variable, value }),
                },
            },
        }
    }
}

/// `error`, `warn`, `info`, `debug` or `trace`, in any case and with surrounding blanks; also
/// Lambda's `FATAL` (as `error`) and `WARNING`. `off` is not accepted: errors are always logged.
pub fn parse_level(value: &str) -> Option<LevelFilter> {
    let value = value.trim();
    let is = |name: &str| value.eq_ignore_ascii_case(name);
    if is("error") || is("fatal") {
        Some(LevelFilter::ERROR)
    } else if is("warn") || is("warning") {
        Some(LevelFilter::WARN)
    } else if is("info") {
        Some(LevelFilter::INFO)
    } else if is("debug") {
        Some(LevelFilter::DEBUG)
    } else if is("trace") {
        Some(LevelFilter::TRACE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn choice(vars: &[(&str, &str)]) -> LevelChoice {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LevelChoice::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn every_documented_level_is_understood_in_any_case() {
        for (value, level) in [
            ("error", LevelFilter::ERROR),
            ("WARN", LevelFilter::WARN),
            ("Info", LevelFilter::INFO),
            (" debug ", LevelFilter::DEBUG),
            ("trace", LevelFilter::TRACE),
        ] {
            assert_eq!(parse_level(value), Some(level), "{value}");
        }
    }

    #[test]
    fn level_defaults_to_info() {
        assert_eq!(
            choice(&[]),
            LevelChoice {
                level: LevelFilter::INFO,
                invalid: None
            }
        );
    }

    #[test]
    fn empty_log_level_counts_as_unset() {
        let choice = choice(&[("LOG_LEVEL", ""), ("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]);
        assert_eq!(choice.level, LevelFilter::DEBUG);
        assert_eq!(choice.invalid, None);
    }

    #[test]
    fn log_level_wins_over_lambdas_level() {
        let choice = choice(&[("LOG_LEVEL", "warn"), ("AWS_LAMBDA_LOG_LEVEL", "TRACE")]);
        assert_eq!(choice.level, LevelFilter::WARN);
    }

    #[test]
    fn lambdas_fatal_level_means_error() {
        assert_eq!(
            choice(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")]).level,
            LevelFilter::ERROR
        );
    }

    #[test]
    fn invalid_level_falls_back_to_info_and_names_the_variable() {
        let choice = choice(&[("LOG_LEVEL", "verbose"), ("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]);
        assert_eq!(choice.level, LevelFilter::INFO);
        assert_eq!(
            choice.invalid,
            Some(InvalidLevel {
                variable: "LOG_LEVEL",
                value: "verbose".to_owned()
            })
        );
    }

    #[test]
    fn other_crates_never_log_at_trace() {
        for target in [
            "lambda_runtime::layers::api_response",
            "lambda_runtime_api_client",
            "lambda_http::request",
            "aws_smithy_runtime::client::orchestrator",
            "aws_sdk_dynamodb::operation::get_item",
            "aws_config::meta::credentials::chain",
            "aws_sigv4::http_request::sign",
            "hyper_util::client::legacy::pool",
            "h2::codec",
            "rustls::client::hs",
            "tower::buffer",
            "log",
        ] {
            assert_eq!(
                level_for(target, LevelFilter::TRACE),
                LevelFilter::DEBUG,
                "{target}"
            );
            // The cap never makes another crate more detailed than configured.
            assert_eq!(
                level_for(target, LevelFilter::WARN),
                LevelFilter::WARN,
                "{target}"
            );
        }
    }

    #[test]
    fn our_crates_follow_the_configured_level() {
        for target in [
            "authorizer::response",
            "token_generator",
            "auth_aws::store",
            "auth_core::verify",
        ] {
            assert_eq!(
                level_for(target, LevelFilter::TRACE),
                LevelFilter::TRACE,
                "{target}"
            );
        }
        // A crate whose name merely starts like ours is not ours.
        assert_eq!(
            level_for("authorizer_extras::x", LevelFilter::TRACE),
            LevelFilter::DEBUG
        );
    }

    #[test]
    fn off_is_not_a_level() {
        assert_eq!(parse_level("off"), None);
    }
}
