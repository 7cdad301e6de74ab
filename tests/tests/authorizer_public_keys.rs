//! The built `authorizer` verifying with the public keys key_rotation publishes to SSM
//! (`SIGNING_KEYS_PUBLIC_PARAM`), against moto_server: it accepts the tokens of the private set,
//! reads no private key set even when one is named too, and refuses to start when the parameter
//! holds a private member (or no key at all).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{Grant, KeyAlgorithm, KeySet, KeyStatus, TokenIssuer, TokenSettings, generate_jwk};
use e2e::http::aws_env;
use e2e::moto::moto;
use e2e::runtime_api::Function;
use e2e::{event, unique};
use serde_json::{Value, json};

const GRANT: Grant<'static> = Grant {
    sub: "carol",
    client_id: "public",
    scope: Some("read"),
    audience: None,
};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A new SSM String parameter holding `value`.
fn parameter(value: &str) -> String {
    let name = unique("/test/auth/public-keys");
    block_on(async {
        let sdk = auth_aws::emulator_sdk_config(&moto().endpoint).await;
        aws_sdk_ssm::Client::new(&sdk)
            .put_parameter()
            .name(&name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .unwrap();
    });
    name
}

/// A private set: an active key of `alg` and a pending one, as a rotation leaves it.
fn private_set(alg: KeyAlgorithm) -> Value {
    json!({ "keys": [
        generate_jwk(alg, KeyStatus::Active).unwrap(),
        generate_jwk(alg, KeyStatus::Pending).unwrap(),
    ] })
}

fn public(set: &Value) -> String {
    KeySet::from_json(&set.to_string())
        .unwrap()
        .public_jwks()
        .to_string()
}

fn issue(set: &Value) -> String {
    let keys = Arc::new(KeySet::from_json(&set.to_string()).unwrap());
    let settings = TokenSettings {
        audience: e2e::AUDIENCE.to_owned(),
        ..TokenSettings::default()
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    TokenIssuer::new(keys, &settings)
        .unwrap()
        .issue_access(&GRANT, now)
        .unwrap()
        .token
}

fn authorizer(extra: &[(&'static str, &str)]) -> Function {
    let mut env = aws_env();
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Function::start("authorizer", &env)
}

fn allowed(authorizer: &Function, token: &str) -> bool {
    let text = event("authorizer/rest-token.json")
        .to_string()
        .replace("REPLACE_WITH_ACCESS_TOKEN", token);
    let outcome = authorizer.invoke(&serde_json::from_str(&text).unwrap());
    if outcome.is_unauthorized() {
        return false;
    }
    outcome.response()["policyDocument"]["Statement"][0]["Effect"] == "Allow"
}

/// The log line of a failed cold start, which must mention `needle`.
fn cold_start_failure(function: &Function, needle: &str) -> String {
    let status = function.wait_exit().expect("the cold start must fail");
    assert!(!status.success());
    let logs = function.logs_containing(needle);
    assert!(logs.contains("configuration is invalid"), "{logs}");
    logs
}

#[test]
fn the_authorizer_verifies_with_the_published_public_keys_only() {
    for alg in [
        KeyAlgorithm::ES256,
        KeyAlgorithm::EdDSA,
        KeyAlgorithm::RS256,
    ] {
        let set = private_set(alg);
        let param = parameter(&public(&set));
        // A secret that does not exist: reading it would fail the cold start.
        let function = authorizer(&[
            ("SIGNING_KEYS_PUBLIC_PARAM", &param),
            ("SIGNING_KEYS_SECRET_ID", "/no/such/secret"),
        ]);
        assert!(
            allowed(&function, &issue(&set)),
            "{alg:?}: {}",
            function.logs()
        );
        // A token of a key outside the published set is refused.
        assert!(!allowed(&function, &issue(&private_set(alg))), "{alg:?}");
    }
}

#[test]
fn a_parameter_holding_a_private_member_stops_the_cold_start() {
    for alg in [
        KeyAlgorithm::ES256,
        KeyAlgorithm::RS256,
        KeyAlgorithm::HS256,
    ] {
        let set = json!({ "keys": [generate_jwk(alg, KeyStatus::Active).unwrap()] });
        let param = parameter(&set.to_string());
        let function = authorizer(&[("SIGNING_KEYS_PUBLIC_PARAM", &param)]);
        let error = cold_start_failure(&function, "private member");
        assert!(error.contains(&param), "{alg:?}: {error}");
        let secret = set["keys"][0]
            .get("d")
            .or_else(|| set["keys"][0].get("k"))
            .unwrap()
            .as_str()
            .unwrap();
        assert!(!error.contains(secret));
        assert!(!function.logs().contains(secret));
    }
}

#[test]
fn a_parameter_without_keys_stops_the_cold_start() {
    // As the template creates it, before the first rotation has published a key.
    let param = parameter(r#"{"keys":[]}"#);
    let function = authorizer(&[("SIGNING_KEYS_PUBLIC_PARAM", &param)]);
    let error = cold_start_failure(&function, "is not a usable key set");
    assert!(error.contains(&param), "{error}");
}

#[test]
fn the_token_generator_ignores_the_public_parameter() {
    // `make dev` gives both functions one environment: token_generator signs with the private
    // set and never takes the public one for its keys.
    let set = private_set(KeyAlgorithm::ES256);
    let param = parameter(&public(&private_set(KeyAlgorithm::ES256)));
    let mut env = aws_env();
    env.push(("USERS_TABLE", "unused".to_owned()));
    env.push(("SIGNING_KEYS", set.to_string()));
    env.push(("SIGNING_KEYS_PUBLIC_PARAM", param));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let function = Function::start("token_generator", &env);
    let response = function
        .invoke(&event("token_generator/jwks.json"))
        .response();
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body.to_string(), public(&set));
}
