//! How often the functions write their metrics: `METRICS_FLUSH_SECONDS`.

use std::time::Duration;

use thiserror::Error;

/// The variable that sets the [`FlushInterval`].
pub const FLUSH_VARIABLE: &str = "METRICS_FLUSH_SECONDS";

/// The longest interval accepted: the period of the paging alarms (5 minutes). Longer, an alarm
/// period could pass with the metrics still in memory.
const MAX_SECS: u64 = 300;

/// How long metrics wait in memory before they are written, at the end of the first invocation
/// after that (and at shutdown, where the function gets the signal). Zero writes them at the end
/// of every invocation. Default 60 seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushInterval(Duration);

/// `METRICS_FLUSH_SECONDS` holds something else than whole seconds from 0 to 300.
#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "METRICS_FLUSH_SECONDS is {value:?}: expected whole seconds from 0 (every invocation) to 300"
)]
pub struct InvalidFlushInterval {
    value: String,
}

impl FlushInterval {
    /// 60 seconds: one document per metric set and minute, the resolution CloudWatch keeps.
    pub const DEFAULT: Self = Self(Duration::from_secs(60));
    /// At the end of every invocation.
    pub const EVERY_INVOCATION: Self = Self(Duration::ZERO);

    /// From `METRICS_FLUSH_SECONDS` as `lookup` gives it; unset or blank is the default.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, InvalidFlushInterval> {
        let Some(value) = lookup(FLUSH_VARIABLE).filter(|v| !v.trim().is_empty()) else {
            return Ok(Self::DEFAULT);
        };
        match value.trim().parse::<u64>() {
            Ok(secs) if secs <= MAX_SECS => Ok(Self(Duration::from_secs(secs))),
            _ => Err(InvalidFlushInterval { value }),
        }
    }

    /// From the process environment.
    pub fn from_env() -> Result<Self, InvalidFlushInterval> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The interval itself.
    pub fn duration(self) -> Duration {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: Option<&str>) -> Result<FlushInterval, InvalidFlushInterval> {
        FlushInterval::from_lookup(|name| {
            assert_eq!(name, FLUSH_VARIABLE);
            value.map(str::to_owned)
        })
    }

    #[test]
    fn unset_or_blank_is_a_minute() {
        assert_eq!(parse(None), Ok(FlushInterval::DEFAULT));
        assert_eq!(parse(Some(" ")), Ok(FlushInterval::DEFAULT));
        assert_eq!(FlushInterval::DEFAULT.duration(), Duration::from_secs(60));
    }

    #[test]
    fn zero_is_every_invocation() {
        assert_eq!(parse(Some("0")), Ok(FlushInterval::EVERY_INVOCATION));
        assert_eq!(
            parse(Some(" 300 ")).map(FlushInterval::duration),
            Ok(Duration::from_secs(300))
        );
    }

    #[test]
    fn anything_else_is_refused_naming_the_variable() {
        for bad in ["301", "-1", "1.5", "60s", "sixty"] {
            let err = parse(Some(bad)).unwrap_err();
            assert!(
                err.to_string().starts_with("METRICS_FLUSH_SECONDS is"),
                "{err}"
            );
        }
    }
}
