//! The built `authorizer` binary under the Lambda Runtime API harness, with the events in
//! events/authorizer: every flavour, every rejection, and what it logs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::TcpListener;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use test_support::event;
use test_support::requests::with_token;
use test_support::runtime_api::{Function, Outcome};
use test_support::tokens::{access_claims, now, sign_with_secret};

const SECRET: &str = "e2e-authorizer-secret-0123456789abcdef";
const STAGE_WILDCARD: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/*";

fn claims() -> Value {
    access_claims("alice@example.com", "jti-1")
}

fn sign(claims: &Value) -> String {
    sign_with_secret(claims, Algorithm::HS256, SECRET)
}

fn patched(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn authorizer(extra: &[(&str, &str)]) -> Function {
    let mut env = vec![("JWT_SECRET", SECRET)];
    env.extend_from_slice(extra);
    Function::start("authorizer", &env)
}

fn assert_allow(response: &Value) {
    assert_eq!(response["principalId"], "alice@example.com");
    let statement = &response["policyDocument"]["Statement"][0];
    assert_eq!(response["policyDocument"]["Version"], "2012-10-17");
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(statement["Action"], "execute-api:Invoke");
    assert_eq!(statement["Resource"], json!([STAGE_WILDCARD]));
    assert_eq!(response["context"]["sub"], "alice@example.com");
}

#[test]
fn rest_token_event_with_valid_token_is_allowed_for_the_whole_stage() {
    let function = authorizer(&[]);
    let response = function
        .invoke(&with_token("authorizer/rest-token.json", &sign(&claims())))
        .response();
    assert_allow(&response);
}

#[test]
fn rest_request_events_find_the_header_in_any_case() {
    let function = authorizer(&[]);
    for name in [
        "authorizer/rest-request.json",
        "authorizer/rest-request-lowercase-header.json",
    ] {
        let response = function
            .invoke(&with_token(name, &sign(&claims())))
            .response();
        assert_allow(&response);
    }
}

#[test]
fn http_api_event_gets_a_simple_response_by_default() {
    let function = authorizer(&[]);
    let response = function
        .invoke(&with_token("authorizer/http-api-v2.json", &sign(&claims())))
        .response();
    assert_eq!(
        response,
        json!({"isAuthorized": true, "context": {"sub": "alice@example.com", "iss": "lambda-api"}})
    );
}

#[test]
fn http_api_event_gets_a_policy_in_iam_mode() {
    let function = authorizer(&[("AUTHORIZER_RESPONSE", "iam")]);
    let response = function
        .invoke(&with_token("authorizer/http-api-v2.json", &sign(&claims())))
        .response();
    assert_eq!(
        response["policyDocument"]["Statement"][0]["Resource"],
        json!(["arn:aws:execute-api:us-east-1:123456789012:abc123defg/$default/*"])
    );
    let refused = function.invoke(&event("authorizer/http-api-v2-no-header.json"));
    assert!(refused.is_unauthorized(), "{refused:?}");
}

#[test]
fn hostile_rest_events_are_unauthorized() {
    let function = authorizer(&[]);
    for name in [
        "rest-token-missing-bearer.json",
        "rest-token-empty.json",
        "rest-token-basic-scheme.json",
        "rest-token-alg-none.json",
        "rest-token-garbage.json",
        "rest-token-truncated.json",
        "rest-token-oversized.json",
        "rest-token-no-method-arn.json",
        "rest-request-no-header.json",
        "not-an-event.json",
    ] {
        let outcome = function.invoke(&event(&format!("authorizer/{name}")));
        assert_eq!(
            outcome,
            Outcome::Error {
                error_type: "Unauthorized".into(),
                error_message: "Unauthorized".into()
            },
            "{name}"
        );
    }
}

#[test]
fn malformed_events_are_unauthorized_not_a_runtime_error() {
    let function = authorizer(&[]);
    for payload in [
        json!(null),
        json!([]),
        json!("TOKEN"),
        json!({"type": "TOKEN"}),
        json!({"type": "TOKEN", "authorizationToken": 5, "methodArn": 7}),
        json!({"type": "REQUEST", "headers": "Authorization"}),
    ] {
        assert!(function.invoke(&payload).is_unauthorized(), "{payload}");
    }
    // Bytes that are not JSON, or an event with a valid token cut short, get the same answer,
    // not the runtime's parse error.
    let valid = with_token("authorizer/rest-token.json", &sign(&claims())).to_string();
    assert_allow(&function.invoke_raw(valid.as_bytes()).response());
    let cut = valid.get(..valid.len() - 1).unwrap();
    for payload in [&b"not json"[..], b"{", b"\xff\xfe{}", cut.as_bytes()] {
        let outcome = function.invoke_raw(payload);
        assert!(
            outcome.is_unauthorized(),
            "{}: {outcome:?}",
            String::from_utf8_lossy(payload)
        );
    }
    let logs = function.logs_containing("not_json");
    assert!(logs.contains("not_json"), "{logs}");
}

#[test]
fn http_api_without_token_is_not_authorized() {
    let function = authorizer(&[]);
    let response = function
        .invoke(&event("authorizer/http-api-v2-no-header.json"))
        .response();
    assert_eq!(response, json!({"isAuthorized": false}));
    let response = function
        .invoke(&with_token("authorizer/http-api-v2.json", "not.a.jwt"))
        .response();
    assert_eq!(response, json!({"isAuthorized": false}));
}

#[test]
fn invalid_tokens_are_unauthorized() {
    let function = authorizer(&[("TOKEN_AUDIENCE", "orders-api")]);
    let good = patched(claims(), "aud", json!("orders-api"));
    assert_allow(
        &function
            .invoke(&with_token("authorizer/rest-token.json", &sign(&good)))
            .response(),
    );
    let other_secret = sign_with_secret(
        &good,
        Algorithm::HS256,
        "another-secret-0123456789abcdef-xyz",
    );
    let hs512 = sign_with_secret(&good, Algorithm::HS512, SECRET);
    let tampered = {
        let token = sign(&good);
        let parts: Vec<&str> = token.split('.').collect();
        let forged = sign(&patched(good.clone(), "sub", json!("admin")));
        format!(
            "{}.{}.{}",
            parts[0],
            forged.split('.').nth(1).unwrap(),
            parts[2]
        )
    };
    for (case, token) in [
        (
            "expired",
            sign(&patched(good.clone(), "exp", json!(now() - 3600))),
        ),
        (
            "not yet valid",
            sign(&patched(good.clone(), "nbf", json!(now() + 3600))),
        ),
        (
            "wrong issuer",
            sign(&patched(good.clone(), "iss", json!("evil"))),
        ),
        (
            "wrong audience",
            sign(&patched(good.clone(), "aud", json!("other-api"))),
        ),
        ("no audience", {
            let mut bare = good.clone();
            bare.as_object_mut().unwrap().remove("aud");
            sign(&bare)
        }),
        (
            "refresh token",
            sign(&patched(good.clone(), "type", json!("refresh"))),
        ),
        ("other secret", other_secret),
        ("HS512", hs512),
        ("tampered", tampered),
    ] {
        let outcome = function.invoke(&with_token("authorizer/rest-token.json", &token));
        assert!(outcome.is_unauthorized(), "{case}: {outcome:?}");
    }
}

#[test]
fn logs_name_the_reason_but_never_the_token_or_secret() {
    let function = authorizer(&[]);
    let token = sign(&claims());
    let expired = sign(&patched(claims(), "exp", json!(now() - 3600)));
    function
        .invoke(&with_token("authorizer/rest-token.json", &token))
        .response();
    assert!(
        function
            .invoke(&with_token("authorizer/rest-token.json", &expired))
            .is_unauthorized()
    );
    let logs = function.logs_containing("expired");
    assert!(logs.contains("expired"), "{logs}");
    // A denial is bad input, not an error: one INFO line, no ERROR from the runtime.
    assert!(!logs.contains("ERROR"), "{logs}");
    for secret in [token.as_str(), expired.as_str(), SECRET] {
        assert!(!logs.contains(secret));
        // Not even the signature part on its own.
        assert!(!logs.contains(secret.rsplit('.').next().unwrap()));
    }
}

#[test]
fn short_secret_fails_the_cold_start_with_a_clear_message() {
    let function = Function::start("authorizer", &[("JWT_SECRET", "too-short")]);
    let status = function.wait_exit().expect("the process should exit");
    assert!(!status.success());
    let logs = function.logs_containing("JWT_SECRET is 9 bytes");
    assert!(
        logs.contains("JWT_SECRET is 9 bytes; at least 32 are required"),
        "{logs}"
    );
}

#[test]
fn cold_start_with_inline_secret_makes_no_network_call() {
    // Any AWS call would go to this listener; none may arrive.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let function = authorizer(&[
        ("AWS_ENDPOINT_URL", &endpoint),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]);
    assert_allow(
        &function
            .invoke(&with_token("authorizer/rest-token.json", &sign(&claims())))
            .response(),
    );
    assert!(function.api().first_poll().is_some());
    assert!(
        listener.accept().is_err(),
        "the authorizer connected to the AWS endpoint"
    );
}

/// The EMF lines the function wrote, parsed.
fn emf_lines(function: &Function, needle: &str) -> Vec<Value> {
    function
        .logs_containing(needle)
        .lines()
        .filter(|line| line.contains("\"_aws\""))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn every_invocation_writes_its_metrics_and_only_error_refusals_are_rolled_up() {
    let function = authorizer(&[]);
    let allow = function.invoke(&with_token("authorizer/rest-token.json", &sign(&claims())));
    assert_allow(&allow.response());
    assert!(
        function
            .invoke(&with_token("authorizer/rest-token.json", "not.a.token"))
            .is_unauthorized()
    );
    let lines = emf_lines(&function, "AuthorizerDeny");
    let allow = lines
        .iter()
        .find(|l| l.get("AuthorizerAllow").is_some())
        .unwrap();
    assert_eq!(allow["Service"], "authorizer");
    assert_eq!(allow["Reason"], "token");
    assert!(allow["AuthorizerLatency"].as_f64().unwrap() >= 0.0);
    let deny = lines
        .iter()
        .find(|l| l.get("AuthorizerDeny").is_some())
        .unwrap();
    assert_eq!(deny["Reason"], "malformed");
    let directive = &deny["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "JwtAuth");
    assert_eq!(
        directive["Dimensions"],
        json!([["Service", "Reason"], ["Service"]]),
        "an error answer (401) is rolled up: the errors alarm subtracts it"
    );

    // HTTP API simple mode refuses with isAuthorized: false, no Lambda error: not rolled up.
    let simple = authorizer(&[]);
    let response = simple
        .invoke(&event("authorizer/http-api-v2-no-header.json"))
        .response();
    assert_eq!(response["isAuthorized"], false);
    let lines = emf_lines(&simple, "AuthorizerDeny");
    let deny = lines
        .iter()
        .find(|l| l.get("AuthorizerDeny").is_some())
        .unwrap();
    assert_eq!(deny["Reason"], "missing_token");
    assert_eq!(
        deny["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Service", "Reason"]])
    );
}

#[test]
fn deployed_metrics_carry_the_environment_and_failures_are_not_denials() {
    // As template.yaml deploys it: ENVIRONMENT is the Environment dimension of every metric.
    let function = authorizer(&[("ENVIRONMENT", "staging")]);
    assert!(
        function
            .invoke(&with_token("authorizer/rest-token.json", "not.a.token"))
            .is_unauthorized()
    );
    // Not an event API Gateway builds: a failure of ours (wiring), not the caller's.
    assert!(
        function
            .invoke(&json!({"hello": "world"}))
            .is_unauthorized()
    );
    let lines = emf_lines(&function, "AuthorizerFailure");
    let deny = lines
        .iter()
        .find(|l| l.get("AuthorizerDeny").is_some())
        .unwrap();
    assert_eq!(deny["Environment"], "staging");
    assert_eq!(
        deny["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([
            ["Service", "Environment", "Reason"],
            ["Service", "Environment"]
        ])
    );
    let failure = lines
        .iter()
        .find(|l| l.get("AuthorizerFailure").is_some())
        .unwrap();
    assert_eq!(failure["Reason"], "not_an_authorizer_event");
    assert_eq!(failure["Environment"], "staging");
    assert!(
        failure.get("AuthorizerDeny").is_none(),
        "a failure is never in the denials the errors alarm subtracts"
    );
    let directive = &failure["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Metrics"][0]["Name"], "AuthorizerFailure");
    assert_eq!(
        directive["Dimensions"],
        json!([
            ["Service", "Environment", "Reason"],
            ["Service", "Environment"]
        ])
    );
}
