//! The API Gateway Lambda authorizer binary: REST TOKEN and REQUEST, WebSocket `$connect`, and
//! HTTP API payload 2.0 events. The logic lives in the library (lib.rs).
//!
//! The runtime is set up for the hot path (figures in docs/performance.md):
//! - a current-thread tokio runtime: one invocation at a time, no worker threads to wake;
//! - no per-invocation tracing span (`Runtime::new(..).run()`, not `lambda_runtime::run`): a
//!   `telemetry::Invocation` guard carries the request id and trace id to the log lines, and
//!   nothing is formatted for logging on the Allow path;
//! - lambda_runtime's ERROR line per handler error is filtered out (a denial is not an error: it
//!   is logged at DEBUG and counted by reason); panics are logged by a hook;
//! - the metrics ([`Recorder`]) are summed in memory and written as EMF lines once
//!   `METRICS_FLUSH_SECONDS` (60; 0 for every invocation) have passed, and at shutdown.

use std::cell::RefCell;

use auth_aws::{ConfigLoader, Shutdown};
use authorizer::{Answer, AuthorizerEvent, Checks, Outcome, decide_with};
use lambda_runtime::{LambdaEvent, Runtime, service_fn};
use serde_json::Value;
use telemetry::names::{
    AUTHORIZER_ALLOW, AUTHORIZER_DENY, AUTHORIZER_FAILURE, AUTHORIZER_LATENCY,
    AUTHORIZER_TOKEN_CACHE_HITS, AUTHORIZER_TOKEN_CACHE_MISSES, NAMESPACE, REASON,
};
use telemetry::{FlushInterval, Invocation, Logging, Metrics};

/// The `service` of every log line and the `Service` dimension of every metric (the alarms in
/// template.yaml name it). The `Environment` dimension comes from `ENVIRONMENT`.
const SERVICE: &str = "authorizer";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    Logging::new(SERVICE).without_handler_error_lines().init();
    let flush = match FlushInterval::from_env() {
        Ok(flush) => flush.duration(),
        Err(err) => {
            tracing::error!(error = %err, "configuration is invalid");
            return Err(err.into());
        }
    };
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
    let checks = match Checks::from_config(&loader.config())
        .await
        .and_then(|checks| checks.with_token_cache(|name| std::env::var(name).ok()))
    {
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
    // Metrics held between flushes are written when Lambda shuts the instance down; flushed
    // every invocation, there is nothing to hold and no extension is registered.
    let shutdown = if flush.is_zero() {
        None
    } else {
        Shutdown::register("authorizer-metrics").await
    };
    let metrics = &metrics;
    let run = Runtime::new(service_fn(
        move |event: LambdaEvent<AuthorizerEvent>| async move {
            let context = &event.context;
            let invocation =
                Invocation::start(&context.request_id, context.xray_trace_id.as_deref());
            let outcome = handle(loader, checks, &event.payload).await;
            record(metrics, checks, &invocation, &outcome, flush);
            outcome.answer
        },
    ))
    .run();
    let Some(mut shutdown) = shutdown else {
        return run.await;
    };
    tokio::select! {
        result = run => result,
        () = shutdown.signalled() => {
            // Between invocations: Lambda sends the signal to an idle instance.
            if let Ok(mut recorder) = metrics.try_borrow_mut() {
                recorder.flush();
            }
            Ok(())
        }
    }
}

async fn handle(loader: &ConfigLoader, checks: &Checks, event: &AuthorizerEvent) -> Outcome {
    let config = loader.current().await;
    decide_with(&config, checks, event).await
}

/// The invocation metrics. A refusal answered with an error (REST, WebSocket, HTTP API in IAM
/// mode: API Gateway's 401) is a Lambda error too, so its AuthorizerDeny is also published with
/// the base dimensions alone (`main`), the roll-up the errors alarm subtracts from Lambda's
/// Errors; a refusal answered `isAuthorized: false` is no Lambda error and stays out of that
/// roll-up (`refusals`). A failure of ours ([`authorizer::DenyReason::is_failure`]: the
/// revocation check or a JWKS unavailable, a policy too large, ...) is never an AuthorizerDeny,
/// whatever the answer: it is an AuthorizerFailure, with its own roll-up for its alarms, so the
/// errors alarm keeps counting it when it was answered with an error.
struct Recorder {
    main: Metrics,
    refusals: Metrics,
}

impl Recorder {
    /// Writes what both hold to stdout (a write for each), and forgets it.
    fn flush(&mut self) {
        let mut out = std::io::stdout().lock();
        self.refusals.flush(&mut out);
        self.main.flush(&mut out);
    }
}

/// Records the invocation (the decision with its reason, and the handler's latency), then
/// writes the metrics when they have waited `flush` since the oldest of them.
fn record(
    metrics: &RefCell<Recorder>,
    checks: &Checks,
    invocation: &Invocation<'_>,
    outcome: &Outcome,
    flush: std::time::Duration,
) {
    // Invocations run one at a time and nothing else borrows it: never busy, but if it were,
    // losing a line beats failing the invocation.
    let Ok(mut recorder) = metrics.try_borrow_mut() else {
        return;
    };
    // No document spans two minutes (see Metrics::is_from_an_earlier_minute).
    let now_ms = telemetry::now_ms();
    if !flush.is_zero()
        && (recorder.main.is_from_an_earlier_minute(now_ms)
            || recorder.refusals.is_from_an_earlier_minute(now_ms))
    {
        recorder.flush();
    }
    let Recorder { main, refusals } = &mut *recorder;
    match (&outcome.answer, outcome.refused) {
        (_, Some(reason)) if reason.is_failure() => {
            main.count(AUTHORIZER_FAILURE, &[(REASON, reason.code())], 1);
        }
        (Err(denied), _) => main.count(AUTHORIZER_DENY, &[(REASON, denied.reason.code())], 1),
        (Ok(_), Some(reason)) => refusals.count(AUTHORIZER_DENY, &[(REASON, reason.code())], 1),
        (Ok(answer), None) => main.count(AUTHORIZER_ALLOW, &[(REASON, allow_reason(answer))], 1),
    }
    main.milliseconds(AUTHORIZER_LATENCY, &[], invocation.elapsed_ms());
    if let Some(cache) = &checks.token_cache
        && let Ok(mut cache) = cache.lock()
    {
        match cache.take_counts() {
            (0, 0) => {}
            (hits, misses) => {
                main.count(AUTHORIZER_TOKEN_CACHE_HITS, &[], hits);
                main.count(AUTHORIZER_TOKEN_CACHE_MISSES, &[], misses);
            }
        }
    }
    if main.is_due(flush) || refusals.is_due(flush) {
        recorder.flush();
    }
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
