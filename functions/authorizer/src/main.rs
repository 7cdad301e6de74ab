//! The API Gateway Lambda authorizer binary: REST TOKEN and REQUEST, WebSocket `$connect`, and
//! HTTP API payload 2.0 events. The logic lives in the library (lib.rs).
//!
//! The runtime loop is tuned for the hot path: a current-thread tokio runtime (one invocation at
//! a time, no worker threads to wake), and no per-invocation tracing span.

use auth_aws::ConfigLoader;
use authorizer::{Answer, AuthorizerEvent, Denied, authorize};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // With JWT_SECRET set this makes no network call at all.
    let loader = match ConfigLoader::from_env().await {
        Ok(loader) => loader,
        Err(err) => {
            tracing::error!(error = %err, "configuration is invalid");
            return Err(err.into());
        }
    };
    let loader = &loader;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<AuthorizerEvent>| async move {
        handle(loader, &event.payload).await
    }))
    .await
}

async fn handle(loader: &ConfigLoader, event: &AuthorizerEvent) -> Result<Answer, Denied> {
    let config = loader.current().await;
    authorize(&config, event)
}
