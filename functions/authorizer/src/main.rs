//! The API Gateway Lambda authorizer binary: REST TOKEN and REQUEST, WebSocket `$connect`, and
//! HTTP API payload 2.0 events. The logic lives in the library (lib.rs).
//!
//! The runtime is set up for the hot path, each choice measured with tools/runtime-bench:
//! - a current-thread tokio runtime: one invocation at a time, no worker threads to wake
//!   (the default multi-thread runtime costs ~2.5x the CPU per invocation);
//! - no per-invocation tracing span (`lambda_runtime::run` adds one; `Runtime::new(..).run()`
//!   does not): nothing is formatted or allocated for logging on the Allow path;
//! - lambda_runtime logs every handler error at ERROR; a denial is not an error (we log it once,
//!   at INFO, with its reason), so that line is filtered out and panics are logged by our hook.

use auth_aws::ConfigLoader;
use authorizer::{Answer, AuthorizerEvent, Denied, authorize};
use lambda_runtime::{LambdaEvent, Runtime, service_fn};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    // With JWT_SECRET set this makes no network call at all.
    let loader = match ConfigLoader::from_env().await {
        Ok(loader) => loader,
        Err(err) => {
            tracing::error!(error = %err, "configuration is invalid");
            return Err(err.into());
        }
    };
    let loader = &loader;
    Runtime::new(service_fn(move |event: LambdaEvent<AuthorizerEvent>| async move {
        handle(loader, &event.payload).await
    }))
    .run()
    .await
}

async fn handle(loader: &ConfigLoader, event: &AuthorizerEvent) -> Result<Answer, Denied> {
    let config = loader.current().await;
    authorize(&config, event)
}

/// Like `lambda_runtime::tracing::init_default_subscriber` (level from `AWS_LAMBDA_LOG_LEVEL`,
/// `LOG_LEVEL` or `RUST_LOG`, JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`), without lambda_runtime's
/// ERROR line per handler error.
fn init_logging() {
    let level = ["AWS_LAMBDA_LOG_LEVEL", "LOG_LEVEL", "RUST_LOG"]
        .iter()
        .find_map(|name| std::env::var(name).ok())
        .and_then(|value| value.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let filter =
        EnvFilter::builder().parse_lossy(format!("{level},lambda_runtime::layers::panic=off"));
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "authorizer panicked");
    }));
}
