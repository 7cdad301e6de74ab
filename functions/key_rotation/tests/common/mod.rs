//! Secrets Manager rotations against moto_server, played as Secrets Manager plays them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use std::collections::HashMap;

use auth_aws::{KeySetSecret, PublicKeysParameter};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::RotationRulesType;
use key_rotation::{AWSCURRENT, AWSPENDING, RotationError, RotationEvent, Step, StepOutcome};
use serde_json::{Value, json};

pub use auth_core::RotationSettings;

/// When the rotations of these tests start (2030-03-17), in seconds since the epoch.
pub const T0: u64 = 1_900_000_000;
/// A day, in seconds.
pub const DAY: u64 = 86_400;

/// A client of the test process's moto_server, playing Secrets Manager.
pub async fn client() -> Client {
    let endpoint = &test_support::moto::moto().endpoint;
    Client::new(&auth_aws::emulator_sdk_config(endpoint).await)
}

/// The function's own Secrets Manager calls, on the test process's moto_server.
pub async fn key_set_secret() -> KeySetSecret {
    let endpoint = &test_support::moto::moto().endpoint;
    KeySetSecret::new(&auth_aws::emulator_sdk_config(endpoint).await)
}

/// A new secret holding `value` (the template creates it with `{"keys":[]}`).
pub async fn secret(client: &Client, value: &str) -> String {
    let name = test_support::unique("/test/auth/signing-keys");
    client
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    name
}

/// The versions and their labels.
pub async fn versions(client: &Client, name: &str) -> HashMap<String, Vec<String>> {
    let described = client
        .describe_secret()
        .secret_id(name)
        .send()
        .await
        .unwrap();
    described
        .version_ids_to_stages()
        .cloned()
        .unwrap_or_default()
}

/// The version holding `label`, if one does.
pub async fn labelled(client: &Client, name: &str, label: &str) -> Option<String> {
    versions(client, name)
        .await
        .into_iter()
        .find(|(_, stages)| stages.iter().any(|s| s == label))
        .map(|(id, _)| id)
}

/// What Secrets Manager does when a rotation starts, before it calls the function: enables
/// rotation, and labels a new version id AWSPENDING, without a value. Returns that id.
///
/// moto_server cannot invoke a rotation function (that needs Docker), and without one its
/// RotateSecret moves AWSCURRENT to the new, empty version at once; the labels are put back where
/// Secrets Manager keeps them during a rotation: AWSCURRENT on the old version, AWSPENDING alone
/// on the new one.
pub async fn begin_rotation(client: &Client, name: &str) -> String {
    let current = labelled(client, name, AWSCURRENT).await.unwrap();
    let started = client
        .rotate_secret()
        .secret_id(name)
        .rotation_rules(
            RotationRulesType::builder()
                .automatically_after_days(30)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let token = started.version_id().unwrap().to_owned();
    let stage = |label: &'static str| {
        client
            .update_secret_version_stage()
            .secret_id(name)
            .version_stage(label)
    };
    stage(AWSCURRENT)
        .move_to_version_id(&current)
        .remove_from_version_id(&token)
        .send()
        .await
        .unwrap();
    stage("AWSPREVIOUS")
        .remove_from_version_id(&token)
        .send()
        .await
        .unwrap();
    stage(AWSPENDING)
        .move_to_version_id(&token)
        .send()
        .await
        .unwrap();
    let labels = versions(client, name).await;
    assert_eq!(labels[&token], [AWSPENDING]);
    assert_eq!(labels[&current], [AWSCURRENT]);
    token
}

/// The event Secrets Manager sends for `step`.
pub fn event(name: &str, token: &str, step: Step) -> RotationEvent {
    serde_json::from_value(json!({
        "Step": step.name(), "SecretId": name, "ClientRequestToken": token,
    }))
    .unwrap()
}

/// Runs one step through the function's handler, publishing no public keys.
pub async fn step(
    settings: &RotationSettings,
    name: &str,
    token: &str,
    step: Step,
    now: u64,
) -> Result<StepOutcome, RotationError> {
    let secret = key_set_secret().await;
    key_rotation::handle(&secret, None, settings, &event(name, token, step), now).await
}

/// Runs one step through the function's handler, publishing to `public_keys`.
pub async fn publishing_step(
    public_keys: &PublicKeysParameter,
    settings: &RotationSettings,
    name: &str,
    token: &str,
    step: Step,
    now: u64,
) -> Result<StepOutcome, RotationError> {
    let (secret, event) = (key_set_secret().await, event(name, token, step));
    key_rotation::handle(&secret, Some(public_keys), settings, &event, now).await
}

/// A whole rotation at `now`: the four steps, each expected to succeed. The new version's id.
pub async fn rotate(client: &Client, settings: &RotationSettings, name: &str, now: u64) -> String {
    let token = begin_rotation(client, name).await;
    for s in [Step::Create, Step::Set, Step::Test, Step::Finish] {
        step(settings, name, &token, s, now)
            .await
            .unwrap_or_else(|err| panic!("{s}: {err}"));
    }
    token
}

/// A client of the test process's moto_server's SSM.
pub async fn ssm_client() -> aws_sdk_ssm::Client {
    let endpoint = &test_support::moto::moto().endpoint;
    aws_sdk_ssm::Client::new(&auth_aws::emulator_sdk_config(endpoint).await)
}

/// A new String parameter holding `{"keys":[]}`, as template.yaml creates it, and a publisher
/// to it.
pub async fn public_keys_parameter(ssm: &aws_sdk_ssm::Client) -> (String, PublicKeysParameter) {
    let name = test_support::unique("/test/auth/public-keys");
    let sdk = auth_aws::emulator_sdk_config(&test_support::moto::moto().endpoint).await;
    ssm.put_parameter()
        .name(&name)
        .value(r#"{"keys":[]}"#)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    (name.clone(), PublicKeysParameter::new(&sdk, name))
}

/// The parameter's value, as JSON.
pub async fn parameter(ssm: &aws_sdk_ssm::Client, name: &str) -> Value {
    let output = ssm.get_parameter().name(name).send().await.unwrap();
    serde_json::from_str(output.parameter().unwrap().value().unwrap()).unwrap()
}

/// The public JWK set of a private key set, as the authorizer should see it.
pub fn public_of(set: &Value) -> Value {
    auth_core::KeySet::from_json(&set.to_string())
        .unwrap()
        .public_jwks()
}

/// The text of the version labelled `label`.
pub async fn value(client: &Client, name: &str, label: &str) -> String {
    client
        .get_secret_value()
        .secret_id(name)
        .version_stage(label)
        .send()
        .await
        .unwrap()
        .secret_string()
        .unwrap()
        .to_owned()
}

/// The AWSCURRENT key set, checked to load.
pub async fn current_set(client: &Client, name: &str) -> Value {
    let text = value(client, name, AWSCURRENT).await;
    auth_core::KeySet::from_json(&text).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `(kid, status)` of every key of a set.
pub fn keys(set: &Value) -> Vec<(String, String)> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_owned(),
                k["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The statuses of a set's keys, in order.
pub fn statuses(set: &Value) -> Vec<String> {
    keys(set).into_iter().map(|(_, status)| status).collect()
}
