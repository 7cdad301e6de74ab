//! The API Gateway Lambda authorizer binary: REST TOKEN and REQUEST, WebSocket `$connect`, and
//! HTTP API payload 2.0 events. The logic lives in the library (lib.rs).
//!
//! The runtime is set up for the hot path, each choice measured with tools/runtime-bench:
//! - a current-thread tokio runtime: one invocation at a time, no worker threads to wake
//!   (the default multi-thread runtime costs ~2.5x the CPU per invocation);
//! - no per-invocation tracing span (`lambda_runtime::run` adds one; `Runtime::new(..).run()`
//!   does not): the request id and trace id reach the log lines through a
//!   `telemetry::Invocation` guard instead (0.04 µs, where such a span costs 0.75 µs), and
//!   nothing is formatted or allocated for logging on the Allow path;
//! - lambda_runtime logs every handler error at ERROR; a denial is not an error (we log it once,
//!   at INFO, with its reason), so that line is filtered out and panics are logged by a hook;
//! - one EMF line per invocation on stdout (AuthorizerAllow or AuthorizerDeny by reason, and
//!   AuthorizerLatency), from a `Metrics` kept across invocations: 0.38 µs and a `write`, no
//!   allocation (the figures in this list without a multiple: `cargo bench -p telemetry`).

use std::cell::RefCell;

use auth_aws::ConfigLoader;
use authorizer::{Answer, AuthorizerEvent, Checks, Denied, authorize_with};
use lambda_runtime::{LambdaEvent, Runtime, service_fn};
use serde_json::Value;
use telemetry::names::{AUTHORIZER_ALLOW, AUTHORIZER_DENY, AUTHORIZER_LATENCY, NAMESPACE, REASON};
use telemetry::{Invocation, Logging, Metrics};

/// The `service` of every log line and the `Service` dimension of every metric.
const SERVICE: &str = "authorizer";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    Logging::new(SERVICE).without_handler_error_lines().init();
    // With JWT_SECRET set this makes no network call at all.
    let loader = match ConfigLoader::from_env().await {
        Ok(loader) => loader,
        Err(err) => {
            tracing::error!(error = %err, "configuration is invalid");
            return Err(err.into());
        }
    };
    // Trusted issuers and the revocation check: parsed and set up now, still without a network
    // call (JWKS are fetched on the first token of their issuer).
    let checks = match Checks::from_config(&loader.config()).await {
        Ok(checks) => checks,
        Err(err) => {
            tracing::error!(error = %err, "configuration is invalid");
            return Err(err.into());
        }
    };
    let checks = &checks;
    let loader = &loader;
    let metrics = RefCell::new(Metrics::new(NAMESPACE, SERVICE));
    let metrics = &metrics;
    Runtime::new(service_fn(
        move |event: LambdaEvent<AuthorizerEvent>| async move {
            let context = &event.context;
            let invocation =
                Invocation::start(&context.request_id, context.xray_trace_id.as_deref());
            let result = handle(loader, checks, &event.payload).await;
            record(metrics, &invocation, &result);
            result
        },
    ))
    .run()
    .await
}

async fn handle(
    loader: &ConfigLoader,
    checks: &Checks,
    event: &AuthorizerEvent,
) -> Result<Answer, Denied> {
    let config = loader.current().await;
    authorize_with(&config, checks, event).await
}

/// Writes the invocation's EMF line: the decision with its reason, and the handler's latency.
fn record(
    metrics: &RefCell<Metrics>,
    invocation: &Invocation<'_>,
    result: &Result<Answer, Denied>,
) {
    // Invocations run one at a time and nothing else borrows it: never busy, but if it were,
    // losing a line beats failing the invocation.
    let Ok(mut metrics) = metrics.try_borrow_mut() else {
        return;
    };
    match result {
        Ok(answer) if answer.allows_request() => {
            metrics.count(AUTHORIZER_ALLOW, &[(REASON, allow_reason(answer))], 1);
        }
        // An HTTP API simple response `isAuthorized: false`: the library folds the denial into
        // the answer and its reason is not visible from here.
        Ok(_) => metrics.count(AUTHORIZER_DENY, &[(REASON, "unknown")], 1),
        Err(denied) => metrics.count(AUTHORIZER_DENY, &[(REASON, denied.reason)], 1),
    }
    metrics.milliseconds(AUTHORIZER_LATENCY, &[], invocation.elapsed_ms());
    metrics.flush(&mut std::io::stdout().lock());
}

/// `anonymous` for a public route reached without a token (its context is `anonymous: true`
/// and has no `sub`, which every token's context has), `token` otherwise.
fn allow_reason(answer: &Answer) -> &'static str {
    let context = match answer {
        Answer::Iam(iam) => &iam.context,
        Answer::Simple(simple) => &simple.context,
    };
    if context.get("anonymous") == Some(&Value::Bool(true)) && !context.contains_key("sub") {
        "anonymous"
    } else {
        "token"
    }
}
