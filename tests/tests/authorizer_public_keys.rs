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

use auth_core::{Grant, KeyAlgorithm, KeyStatus, generate_jwk};
use aws_sdk_ssm::types::ParameterType;
use serde_json::{Value, json};
use test_support::authorizer::allowed;
use test_support::functions::{on_moto, on_table};
use test_support::key_sets::{load, public_jwks};
use test_support::runtime_api::Function;
use test_support::tokens::{access_token, issuer};
use test_support::{event, parameters, unique};

const GRANT: Grant<'static> = Grant {
    sub: "carol",
    client_id: "public",
    scope: Some("read"),
    audience: None,
};

/// A new SSM String parameter holding `value`.
fn parameter(value: &str) -> String {
    let name = unique("/test/auth/public-keys");
    parameters::put(&name, value, ParameterType::String);
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
    public_jwks(set).to_string()
}

fn issue(set: &Value) -> String {
    access_token(&issuer(Arc::new(load(set))), &GRANT)
}

fn authorizer(extra: &[(&str, &str)]) -> Function {
    on_moto("authorizer", extra)
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
    let function = on_table(
        "token_generator",
        "unused",
        &set.to_string(),
        &[("SIGNING_KEYS_PUBLIC_PARAM", &param)],
    );
    let response = function
        .invoke(&event("token_generator/jwks.json"))
        .response();
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body.to_string(), public(&set));
}
