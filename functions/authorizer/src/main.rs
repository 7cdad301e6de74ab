//! The API Gateway Lambda authorizer: REST TOKEN and REQUEST events, HTTP API payload 2.0.
//!
//! It takes the raw event JSON and classifies it itself: with a strict event type the runtime
//! would answer a malformed event with its own parse error, and API Gateway would turn that into
//! a 500 instead of the 401 every bad request deserves.

mod error;
mod event;
mod response;

use auth_aws::ConfigLoader;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use crate::error::Denied;
use crate::response::Answer;

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
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(loader, &event.payload).await
    }))
    .await
}

async fn handle(loader: &ConfigLoader, payload: &Value) -> Result<Answer, Denied> {
    let config = loader.current().await;
    response::authorize(&config, payload)
}
