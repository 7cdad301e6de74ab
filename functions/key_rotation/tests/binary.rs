//! The built `key_rotation` binary under the loopback Lambda Runtime API, invoked with the
//! events in events/key_rotation/ against moto_server's Secrets Manager.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use key_rotation::{AWSCURRENT, AWSPENDING, RotationEvent};
use serde_json::{Value, json};
use test_support::functions::on_moto;
use test_support::runtime_api::{Function, Outcome};

fn start(env: &[(&str, &str)]) -> Function {
    on_moto("key_rotation", env)
}

/// The sample event of `step`, for this secret and version.
fn sample(step: &str, name: &str, token: &str) -> Value {
    let mut event = test_support::event(&format!("key_rotation/{step}-secret.json"));
    event["SecretId"] = name.into();
    event["ClientRequestToken"] = token.into();
    event["RotationToken"] = "rotation-token-from-secrets-manager".into();
    event
}

#[test]
fn the_sample_events_are_rotation_events() {
    for step in ["create", "set", "test", "finish"] {
        let value = test_support::event(&format!("key_rotation/{step}-secret.json"));
        let event: RotationEvent = serde_json::from_value(value).unwrap();
        assert_eq!(event.step.name(), format!("{step}Secret"));
    }
}

#[test]
fn the_binary_runs_a_whole_rotation() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = runtime.block_on(client());
    let name = runtime.block_on(secret(&client, r#"{"keys":[]}"#));
    let token = runtime.block_on(begin_rotation(&client, &name));
    let function = start(&[("KEY_ALGORITHM", "ES256"), ("LOG_LEVEL", "info")]);

    let create = function.invoke(&sample("create", &name, &token));
    assert_eq!(
        create,
        Outcome::Response(json!({"step": "createSecret", "outcome": "created"})),
        "{}",
        function.logs()
    );
    // Secrets Manager retries a step whose answer it did not get: nothing changes.
    let pending = runtime.block_on(value(&client, &name, AWSPENDING));
    let again = function.invoke(&sample("create", &name, &token)).response();
    assert_eq!(again["outcome"], "already_created");
    assert_eq!(runtime.block_on(value(&client, &name, AWSPENDING)), pending);
    for (step, outcome) in [
        ("set", "nothing_to_set"),
        ("test", "tested"),
        ("finish", "finished"),
        ("finish", "already_current"),
    ] {
        let answer = function.invoke(&sample(step, &name, &token)).response();
        assert_eq!(answer["outcome"], outcome, "{step}: {}", function.logs());
    }

    let set = runtime.block_on(current_set(&client, &name));
    assert_eq!(statuses(&set), ["active"]);
    assert_eq!(set["keys"][0]["alg"], "ES256");
    let kid = set["keys"][0]["kid"].as_str().unwrap();
    let private = set["keys"][0]["d"].as_str().unwrap();
    // JSON lines with the kid, never the key.
    let logs = function.logs_containing("AWSCURRENT moved");
    assert!(logs.contains("pending key set written"), "{logs}");
    assert!(logs.contains(kid), "{logs}");
    assert!(!logs.contains(private), "key material in the log");
    assert!(!logs.contains("rotation-token-from-secrets-manager"));
    for line in logs
        .lines()
        .filter(|line| line.contains("rotation step done"))
    {
        let line: Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["service"], "key_rotation");
        assert!(line["request_id"].as_str().is_some());
    }
    assert_eq!(
        runtime.block_on(labelled(&client, &name, AWSCURRENT)),
        Some(token)
    );
}

#[test]
fn a_failed_step_is_a_function_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = runtime.block_on(client());
    let name = runtime.block_on(secret(&client, r#"{"keys":[]}"#));
    let token = runtime.block_on(begin_rotation(&client, &name));
    let function = start(&[]);
    // testSecret before createSecret: the pending version has no value yet.
    let outcome = function.invoke(&sample("test", &name, &token));
    let Outcome::Error { error_type, .. } = &outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(error_type, "RotationError");
    let logs = function.logs_containing("rotation step failed");
    assert!(logs.contains("rotation step failed"), "{logs}");
    assert!(logs.contains("testSecret"), "{logs}");
}

#[test]
fn an_hs256_key_algorithm_fails_the_cold_start() {
    let function = start(&[("KEY_ALGORITHM", "HS256")]);
    let status = function.wait_exit().expect("the process should exit");
    assert!(!status.success());
    let logs = function.logs_containing("configuration is invalid");
    assert!(logs.contains("KEY_ALGORITHM is HS256"), "{logs}");
    assert!(
        function.api().first_poll().is_none(),
        "it never asked for an event"
    );
}
