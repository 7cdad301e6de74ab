//! The key rotation binary: Secrets Manager invokes it once per rotation step. The logic lives
//! in the library (lib.rs).

use std::time::{SystemTime, UNIX_EPOCH};

use auth_aws::{KeySetSecret, PublicKeysParameter};
use key_rotation::{
    PUBLIC_KEYS_VARIABLE, RotationEvent, handle, public_keys_param, settings_from_env,
};
use lambda_runtime::{LambdaEvent, service_fn};
use telemetry::{Invocation, Logging};

/// The `service` of every log line.
const SERVICE: &str = "key_rotation";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    // A failed step is logged below with its step and secret: lambda_runtime's own line would
    // only repeat it.
    Logging::new(SERVICE).without_handler_error_lines().init();
    let settings = match settings_from_env() {
        Ok(settings) => settings,
        Err(err) => {
            tracing::error!(error = %err, "configuration is invalid");
            return Err(err.into());
        }
    };
    tracing::info!(
        algorithm = settings.algorithm.name(),
        retire_after_secs = settings.retire_after_secs,
        "key rotation ready"
    );
    // The SDK's standard configuration: region, credentials, and AWS_ENDPOINT_URL for emulators.
    let sdk = auth_aws::sdk_config().await;
    let secret = KeySetSecret::new(&sdk);
    let public_keys = public_keys_param(|name| std::env::var(name).ok())
        .map(|name| PublicKeysParameter::new(&sdk, name));
    match &public_keys {
        Some(public_keys) => {
            tracing::info!(
                parameter = public_keys.name(),
                "public keys are published to SSM"
            )
        }
        None => tracing::warn!(
            variable = PUBLIC_KEYS_VARIABLE,
            "not set: the public keys are not published, so a verifier reading them would miss \
             every new key"
        ),
    }
    let (secret, public_keys, settings) = (&secret, public_keys.as_ref(), &settings);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<RotationEvent>| async move {
            let context = &event.context;
            let _invocation =
                Invocation::start(&context.request_id, context.xray_trace_id.as_deref());
            let result = handle(secret, public_keys, settings, &event.payload, unix_now()).await;
            if let Err(err) = &result {
                tracing::error!(
                    step = event.payload.step.name(),
                    secret = %event.payload.secret_id,
                    version = %event.payload.client_request_token,
                    error = %err,
                    "rotation step failed"
                );
            }
            result
        },
    ))
    .await
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
