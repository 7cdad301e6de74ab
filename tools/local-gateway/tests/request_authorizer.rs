//! A REQUEST authorizer (the built `authorizer`) in front of a Lambda proxy route: identity
//! sources, the REQUEST event, the cache key, and the context the backend receives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{LocalInvoker, Running, SECRET, send, start};
use local_gateway::Invocation;
use serde_json::{Value, json};
use test_support::runtime_api::Function;
use test_support::tokens::{access_claims, sign_hs256};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/request-authorizer.yaml")
}

/// Answers with the event it got, as JSON.
fn echo() -> common::Stub {
    Arc::new(|event: &Value| {
        Invocation::Response(json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": event.to_string()
        }))
    })
}

fn token() -> String {
    let mut claims = access_claims("erin", "j1");
    claims["scope"] = json!("pets:read");
    claims["tier"] = json!(3);
    sign_hs256(&claims, SECRET)
}

async fn running() -> Running {
    running_with(&[]).await
}

async fn running_with(parameters: &[(&str, &str)]) -> Running {
    let authorizer = Function::start(
        "authorizer",
        &[("JWT_SECRET", SECRET), ("CONTEXT_CLAIMS", "tier")],
    );
    let invoker = LocalInvoker::default()
        .with_function("authorizer", authorizer)
        .with_stub("echo", echo());
    start(fixture(), parameters, invoker).await
}

#[tokio::test]
async fn with_caching_every_identity_source_is_required() {
    let running = running().await;
    let auth = format!("Bearer {}", token());
    let pet = format!("{}/pets/7", running.base);
    let reply = send("GET", &pet, &[("authorization", &auth)], "").await;
    assert_eq!(reply.status, 401, "no tenant");
    let reply = send("GET", &format!("{pet}?tenant=acme"), &[], "").await;
    assert_eq!(reply.status, 401, "no header");
    assert_eq!(running.authorizer_calls(), 0);

    let open = send("POST", &format!("{}/open", running.base), &[], "hi").await;
    assert_eq!(open.status, 200, "an open route needs no identity");
}

#[tokio::test]
async fn without_caching_the_identity_sources_are_not_required() {
    let running = running_with(&[("CacheTtl", "0")]).await;
    let auth = format!("Bearer {}", token());
    let pet = format!("{}/pets/7", running.base);
    let reply = send("GET", &pet, &[("authorization", &auth)], "").await;
    assert_eq!(reply.status, 200, "no tenant: the authorizer decides");
    let reply = send("GET", &format!("{pet}?tenant=acme"), &[], "").await;
    assert_eq!(
        reply.status, 401,
        "no token: the authorizer says Unauthorized"
    );
    assert_eq!(running.authorizer_calls(), 2);
}

#[tokio::test]
async fn the_backend_receives_the_authorizer_context_as_strings() {
    let running = running().await;
    let auth = format!("Bearer {}", token());
    let url = format!("{}/pets/7?tenant=acme", running.base);
    let reply = send("GET", &url, &[("authorization", &auth)], "").await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);

    let event = reply.json();
    assert_eq!(event["resource"], "/pets/{id}");
    assert_eq!(event["pathParameters"], json!({"id": "7"}));
    assert_eq!(event["queryStringParameters"], json!({"tenant": "acme"}));
    let context = &event["requestContext"];
    assert_eq!(context["stage"], "test");
    assert_eq!(context["path"], "/test/pets/7");
    let authorizer = &context["authorizer"];
    assert_eq!(authorizer["principalId"], "erin");
    assert_eq!(authorizer["sub"], "erin");
    assert_eq!(authorizer["scope"], "pets:read");
    assert_eq!(
        authorizer["tier"], "3",
        "context values reach the backend as strings"
    );
    assert!(authorizer["integrationLatency"].is_u64());

    // The authorizer got a REST REQUEST event (payload 1.0) for this method.
    let (request, _) = running.invoker().last("authorizer");
    assert_eq!(request["type"], "REQUEST");
    assert_eq!(
        request["methodArn"],
        "arn:aws:execute-api:us-east-1:123456789012:local0000a/test/GET/pets/7"
    );
    assert_eq!(request["headers"]["authorization"], auth);
    assert_eq!(request["queryStringParameters"]["tenant"], "acme");
}

#[tokio::test]
async fn the_cache_key_is_every_identity_source() {
    let running = running().await;
    let auth = format!("Bearer {}", token());
    let headers = [("authorization", auth.as_str())];
    for (tenant, calls) in [("acme", 1), ("acme", 1), ("globex", 2), ("acme", 2)] {
        let url = format!("{}/pets/1?tenant={tenant}", running.base);
        assert_eq!(send("GET", &url, &headers, "").await.status, 200);
        assert_eq!(running.authorizer_calls(), calls, "tenant {tenant}");
    }
}
