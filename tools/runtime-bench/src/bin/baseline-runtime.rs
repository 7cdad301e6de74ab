//! Baseline (b): a lambda_runtime function with default settings, as in the runtime's own
//! examples: the default multi-thread tokio runtime, the default tracing subscriber, and a
//! handler that returns a constant JSON value. What the authorizer costs above this is ours.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<Value, Error>(json!({ "ok": true }))
    }))
    .await
}
