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
//! - one EMF line per invocation on stdout (AuthorizerAllow, AuthorizerDeny or AuthorizerFailure
//!   by reason, and AuthorizerLatency; a simple-mode refusal adds a second, see [`Recorder`]),
//!   from `Metrics` kept across invocations: 0.38 µs and a `write`, no allocation (the figures
//!   in this list without a multiple: `cargo bench -p telemetry`).

use std::cell::RefCell;

use auth_aws::ConfigLoader;
use authorizer::error::is_failure;
use authorizer::{Answer, AuthorizerEvent, Checks, Outcome, decide_with};
use lambda_runtime::{LambdaEvent, Runtime, service_fn};
use serde_json::Value;
use telemetry::names::{
    AUTHORIZER_ALLOW, AUTHORIZER_DENY, AUTHORIZER_FAILURE, AUTHORIZER_LATENCY, NAMESPACE, REASON,
};
use telemetry::{Invocation, Logging, Metrics};

/// The `service` of every log line and the `Service` dimension of every metric (the alarms in
/// template.yaml name it). The `Environment` dimension comes from `ENVIRONMENT`.
const SERVICE: &str = "authorizer";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    Logging::new(SERVICE).without_handler_error_lines().init();
    // With JWT_SECRET set this makes no network call at all. As a verifier it reads the public
    // keys (SIGNING_KEYS_PUBLIC_PARAM) when they are named, and no private key set then.
    let loader = match ConfigLoader::verifier_from_env().await {
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
    let metrics = RefCell::new(Recorder {
        main: Metrics::new(NAMESPACE, SERVICE),
        refusals: Metrics::new(NAMESPACE, SERVICE).with_rollups(&[]),
    });
    let metrics = &metrics;
    Runtime::new(service_fn(
        move |event: LambdaEvent<AuthorizerEvent>| async move {
            let context = &event.context;
            let invocation =
                Invocation::start(&context.request_id, context.xray_trace_id.as_deref());
            let outcome = handle(loader, checks, &event.payload).await;
            record(metrics, &invocation, &outcome);
            outcome.answer
        },
    ))
    .run()
    .await
}

async fn handle(loader: &ConfigLoader, checks: &Checks, event: &AuthorizerEvent) -> Outcome {
    let config = loader.current().await;
    decide_with(&config, checks, event).await
}

/// The invocation metrics. A refusal answered with an error (REST, WebSocket, HTTP API in IAM
/// mode: API Gateway's 401) is a Lambda error too, so its AuthorizerDeny is also published with
/// the base dimensions alone (`main`), the roll-up the errors alarm subtracts from Lambda's
/// Errors; a refusal answered `isAuthorized: false` is no Lambda error and stays out of that
/// roll-up (`refusals`). A failure of ours ([`authorizer::error::FAILURE_REASONS`]: the
/// revocation check or a JWKS unavailable, a policy too large, ...) is never an AuthorizerDeny,
/// whatever the answer: it is an AuthorizerFailure, with its own roll-up for its alarms, so the
/// errors alarm keeps counting it when it was answered with an error.
struct Recorder {
    main: Metrics,
    refusals: Metrics,
}

/// Writes the invocation's EMF line: the decision with its reason, and the handler's latency.
fn record(metrics: &RefCell<Recorder>, invocation: &Invocation<'_>, outcome: &Outcome) {
    // Invocations run one at a time and nothing else borrows it: never busy, but if it were,
    // losing a line beats failing the invocation.
    let Ok(mut recorder) = metrics.try_borrow_mut() else {
        return;
    };
    let Recorder { main, refusals } = &mut *recorder;
    match (&outcome.answer, outcome.refused) {
        (_, Some(reason)) if is_failure(reason) => {
            main.count(AUTHORIZER_FAILURE, &[(REASON, reason)], 1);
        }
        (Err(denied), _) => main.count(AUTHORIZER_DENY, &[(REASON, denied.reason)], 1),
        (Ok(_), Some(reason)) => refusals.count(AUTHORIZER_DENY, &[(REASON, reason)], 1),
        (Ok(answer), None) => main.count(AUTHORIZER_ALLOW, &[(REASON, allow_reason(answer))], 1),
    }
    main.milliseconds(AUTHORIZER_LATENCY, &[], invocation.elapsed_ms());
    let mut out = std::io::stdout().lock();
    refusals.flush(&mut out);
    main.flush(&mut out);
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
