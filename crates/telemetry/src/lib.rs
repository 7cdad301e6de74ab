//! Observability for the Lambda functions, on stdout only: JSON log lines (tracing) and
//! CloudWatch embedded-metric-format (EMF) metrics. No AWS API call, nothing on a network.
//!
//! # Logs
//!
//! [`init_logging`] (or [`Logging`]) installs, once per cold start, a subscriber writing each
//! event as one JSON line:
//!
//! ```text
//! {"level":"INFO","timestamp":"2025-11-24T16:00:00.123456Z","message":"request denied","service":"authorizer","cold_start":false,"request_id":"8476a536-...","xray_trace_id":"Root=1-...;Parent=...;Sampled=1","reason":"expired"}
//! ```
//!
//! The level comes from `LOG_LEVEL` (`error`, `warn`, `info`, `debug`, `trace`; then Lambda's
//! `AWS_LAMBDA_LOG_LEVEL`; default `info`; an unknown value means `info` and is reported once).
//! It applies to our own crates ([`OWN_CRATES`]); every other crate is capped at DEBUG
//! ([`OTHER_CRATES_MAX_LEVEL`]), because at TRACE lambda_runtime logs raw events and aws-smithy
//! whole requests and responses, secrets included.
//! The event's fields follow, flattened. `cold_start`, `request_id` and `xray_trace_id` are there
//! while an [`Invocation`] runs: create one at the top of the handler from lambda_runtime's
//! `Context`, and keep it until the answer is ready.
//!
//! ## Why an `Invocation` guard and not a tracing span
//!
//! The authorizer's hot path logs nothing when it allows a request, and must stay that way.
//! A per-invocation span through tracing-subscriber's fmt layer costs a registry slot and the
//! span's fields formatted into a `String` on every invocation, whether or not anything is
//! logged (which is why the authorizer dropped lambda_runtime's `TracingLayer`). Instead:
//!
//! - [`Invocation::start`] copies the request id and trace id into a process-wide slot (two
//!   short copies under an uncontended lock, into buffers reused from the last invocation: no
//!   allocation) and flips the cold-start flag; dropping the guard empties the slot. The
//!   subscriber reads the slot only when it writes a line.
//! - the subscriber ([`JsonLog`]) is not tracing-subscriber's fmt layer: it has no registry and
//!   disables every span at its callsite, so spans made by others (lambda_runtime's `TracingLayer`
//!   under `lambda_http::run`, the AWS SDK's) cost one cached check and nothing else.
//!
//! Measured with `cargo bench -p telemetry --bench emf` (release profile, 2 shared cores,
//! medians): `Invocation::start` and drop 0.035 µs; the same three fields as a span, created
//! and entered under the fmt layer (JSON), 0.75 µs with nothing logged; a span under
//! [`JsonLog`] 0.002 µs; a disabled `debug!` 0.001 µs; the authorizer's `request denied` log
//! line 0.39 µs.
//!
//! The slot assumes one invocation at a time per process, which is what `Runtime::run` and
//! `lambda_http::run` do. Under `Runtime::run_concurrent` (Lambda managed concurrency) the
//! request id would be that of whichever invocation started last: use spans there instead.
//!
//! # Metrics
//!
//! [`Metrics`] collects counts and durations and [`Metrics::flush`] writes them as EMF lines to
//! stdout; CloudWatch Logs extracts the metrics from the log group. The functions keep one
//! `Metrics` for the life of the process and flush it once [`Metrics::is_due`] for the
//! [`FlushInterval`] (`METRICS_FLUSH_SECONDS`, default 60; 0 is every invocation), at the end of
//! an invocation, and at shutdown: counts are summed, durations kept as a histogram of at most
//! 100 values (two significant digits) per document, so a minute of traffic is a few lines
//! whatever the number of invocations. [`emf::extract`] reads a line back by the
//! specification's rules, for tests and tools. The names
//! and dimensions are in [`names`]: namespace `JwtAuth`, dimensions `Service` and `Environment`
//! on every metric (`Environment` from the process variable `ENVIRONMENT`, which template.yaml
//! sets to the stack's environment; unset or blank, as in tests and `make dev`, it is left
//! out), `Grant` on `TokensIssued`, `Reason` on `AuthorizerAllow`/`AuthorizerDeny`/
//! `AuthorizerFailure`; `AuthorizerDeny` and `AuthorizerFailure` are also published with
//! `Service` and `Environment` alone ([`names::ROLLED_UP`]), for the alarms on their totals.
//!
//! ```
//! use telemetry::{Metrics, names::*};
//!
//! // Deployed, ENVIRONMENT=prod gives the same as with_environment(Some("prod")).
//! let mut metrics = Metrics::new(NAMESPACE, "authorizer").with_environment(Some("prod"));
//! metrics.count(AUTHORIZER_DENY, &[(REASON, "expired")], 1);
//! assert_eq!(
//!     metrics.emf_lines(1_764_000_000_000),
//!     [r#"{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":[{"Namespace":"JwtAuth","Dimensions":[["Service","Environment","Reason"],["Service","Environment"]],"Metrics":[{"Name":"AuthorizerDeny","Unit":"Count"}]}]},"Service":"authorizer","Environment":"prod","Reason":"expired","AuthorizerDeny":1}"#]
//! );
//! metrics.flush(&mut std::io::stdout().lock()); // the same line, stamped now, and a newline
//! ```
//!
//! The authorizer's line (a count with its reason, and the latency) costs 0.38 µs to `io::sink`
//! and 0.39 µs to a `Vec` with a `Metrics` kept across invocations, 0.57 µs with a new one each
//! time (its buffers are allocated again); writing it to stdout adds a `write` system call.
//! Held for a minute, recording costs a search among the few entries and at most 100 values,
//! and nothing is written on most invocations.
//!
//! An EMF line has no `level` key, so Lambda's log-level filtering counts it as INFO: with the
//! function's `LoggingConfig.ApplicationLogLevel` above INFO the metrics would be dropped. Leave
//! that at INFO (or unset) and set `LOG_LEVEL` to quieten the functions' own lines.
//!
//! # Wiring a function: token_generator
//!
//! The authorizer's `main.rs` is the other example. For `token_generator`, under
//! `lambda_http::run` (whose per-invocation span costs nothing here, see above):
//!
//! ```ignore
//! use lambda_http::RequestExt as _;
//! use telemetry::{Invocation, Metrics, names};
//!
//! telemetry::init_logging("token_generator"); // in place of lambda_http's default subscriber
//! // ... App::load() as today ...
//! lambda_http::run(service_fn(move |request: Request| async move {
//!     let context = request.lambda_context_ref();
//!     let _invocation = Invocation::start(
//!         context.map_or("", |c| c.request_id.as_str()),
//!         context.and_then(|c| c.xray_trace_id.as_deref()),
//!     );
//!     let mut metrics = Metrics::new(names::NAMESPACE, "token_generator");
//!     let response = routes::handle(app, request, &mut metrics).await;
//!     // Deployed, the Metrics is kept across invocations and flushed when `is_due`.
//!     metrics.flush(&mut std::io::stdout().lock());
//!     Ok::<Response<Body>, Infallible>(response)
//! }))
//! .await
//! ```
//!
//! and where the outcome is known (grants.rs, accounts.rs):
//!
//! ```ignore
//! metrics.count(names::TOKENS_ISSUED, &[(names::GRANT, "password")], 1); // or "refresh_token"
//! metrics.count(names::LOGIN_FAILURES, &[], 1);          // unknown user or wrong password
//! metrics.count(names::REFRESH_REUSE_DETECTED, &[], 1);  // a spent refresh token came back
//! ```
//!
//! Logs from `spawn_blocking` (argon2) carry the request id too: the slot is per process, not
//! per thread.

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
pub use metrics::{Metrics, Unit};
pub use subscriber::JsonLog;
