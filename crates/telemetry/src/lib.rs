//! Observability for the Lambda functions, on stdout only: JSON log lines (tracing) and
//! CloudWatch embedded-metric-format (EMF) metrics. No AWS API call, nothing on a network.
//!
//! # Logs
//!
//! [`init_logging`] (or [`Logging`]) installs, once per cold start, a subscriber ([`JsonLog`])
//! writing each event as one JSON line. While an [`Invocation`] guard is held (create it at the
//! top of the handler), lines carry `cold_start`, `request_id` and `xray_trace_id`; it is a
//! process-wide slot rather than a tracing span, so the hot path formats nothing when it logs
//! nothing, and it assumes one invocation at a time per process.
//!
//! The level comes from `LOG_LEVEL` (then `AWS_LAMBDA_LOG_LEVEL`; default `info`) and applies to
//! [`OWN_CRATES`]; every other crate is capped at [`OTHER_CRATES_MAX_LEVEL`] (DEBUG), because at
//! TRACE lambda_runtime and aws-smithy log whole events and requests, secrets included.
//!
//! # Metrics
//!
//! [`Metrics`] sums counts and durations in memory; [`Metrics::flush`] writes them as EMF lines,
//! from which CloudWatch Logs extracts the metrics. The functions keep one `Metrics` per process
//! and flush it once [`Metrics::is_due`] for the [`FlushInterval`] (`METRICS_FLUSH_SECONDS`,
//! default 60, 0 for every invocation) and at shutdown. Namespace, metric and dimension names are
//! in [`names`]; [`emf::extract`] reads a line back, for tests and tools. EMF lines have no
//! `level`, so Lambda counts them as INFO: keep the function's `ApplicationLogLevel` at INFO.
//!
//! ```
//! use telemetry::{Metrics, names::*};
//!
//! let mut metrics = Metrics::new(NAMESPACE, "authorizer").with_environment(Some("prod"));
//! metrics.count(AUTHORIZER_DENY, &[(REASON, "expired")], 1);
//! assert_eq!(
//!     metrics.emf_lines(1_764_000_000_000),
//!     [r#"{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":[{"Namespace":"JwtAuth","Dimensions":[["Service","Environment","Reason"],["Service","Environment"]],"Metrics":[{"Name":"AuthorizerDeny","Unit":"Count"}]}]},"Service":"authorizer","Environment":"prod","Reason":"expired","AuthorizerDeny":1}"#]
//! );
//! ```
//!
//! Costs are measured in docs/performance.md ("Telemetry").

pub mod emf;
mod flush;
mod invocation;
mod level;
mod logging;
mod metrics;
pub mod names;
mod subscriber;

pub use flush::{FLUSH_VARIABLE, FlushInterval, InvalidFlushInterval};

pub use invocation::{Invocation, InvocationFields, Invocations};
pub use level::{
    InvalidLevel, LEVEL_VARIABLES, LevelChoice, OTHER_CRATES_MAX_LEVEL, OWN_CRATES, level_for,
    parse_level,
};
pub use logging::{HANDLER_ERROR_TARGET, Logging, init_logging};
pub use metrics::{Metrics, Unit, now_ms};
pub use subscriber::JsonLog;
