//! The gateway over HTTP, serving the workspace's template.yaml in front of the built
//! `token_generator` and `authorizer` (against moto_server): 401, 403 and 200 as API Gateway
//! gives them, the authorizer cache across routes, the token and discovery endpoints passed
//! through, under the stage prefix too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{
    LocalInvoker, gateway, send, sign_in, start, token_with_scope, user, workspace_template,
};
use local_gateway::Invocation;
use serde_json::{Value, json};

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn no_token_is_401_without_invoking_the_authorizer() {
    let running = gateway(&[]).await;
    let me = format!("{}/me", running.base);

    let reply = send("GET", &me, &[], "").await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json(), json!({"message": "Unauthorized"}));
    // The template's UNAUTHORIZED gateway response.
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("UnauthorizedException")
    );

    // A value the ValidationExpression refuses never reaches the authorizer either.
    for value in [
        "Basic YWxpY2U6cHc=",
        "Bearer",
        "BEARER",
        "Bearer a b",
        "Bearerabc",
        "",
    ] {
        let reply = send("GET", &me, &[("authorization", value)], "").await;
        assert_eq!(reply.status, 401, "{value:?}");
    }
    assert_eq!(running.authorizer_calls(), 0);
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let running = gateway(&[]).await;
    let token = token_with_scope("erin", "read");
    let me = format!("{}/me", running.base);
    // RFC 9110 §11.1: the scheme is case-insensitive; the ValidationExpression lets each of
    // these through to the authorizer, which accepts them too.
    for scheme in ["BEARER", "bearer", "bEaReR"] {
        let value = format!("{scheme} {token}");
        let reply = send("GET", &me, &[("authorization", &value)], "").await;
        assert_eq!(reply.status, 200, "{scheme}: {:?}", reply.body);
        let (event, _) = running.invoker().last("authorizer");
        assert_eq!(event["authorizationToken"], value);
    }
    // The cache key is the header's whole value: each spelling is its own entry.
    assert_eq!(running.authorizer_calls(), 3);
}

#[tokio::test]
async fn a_route_outside_the_tokens_scope_is_403_insufficient_scope() {
    let running = gateway(&[]).await;
    let auth = bearer(&token_with_scope("frank", "read"));
    let reply = send(
        "GET",
        &format!("{}/admin/users", running.base),
        &[("authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("AccessDeniedException")
    );
    // RFC 6750 §3.1, from the template's ACCESS_DENIED gateway response.
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer error="insufficient_scope""#)
    );

    // Neither a missing token (401) nor an unknown route (403 of another kind) claims it.
    let reply = send("GET", &format!("{}/admin/users", running.base), &[], "").await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    let reply = send(
        "GET",
        &format!("{}/nowhere", running.base),
        &[("authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.header("www-authenticate"), None);
}

#[tokio::test]
async fn the_issuers_urls_under_the_stage_reach_the_same_routes() {
    let running = gateway(&[]).await;
    // `make dev`'s issuer is the stage URL, http://<host>:<port>/dev: what the walkthrough and
    // the metadata build on it must reach the routes the gateway serves at its root.
    let issuer = format!("{}/dev", running.base);
    let auth = bearer(&token_with_scope("grace", "read"));
    let reply = send(
        "GET",
        &format!("{issuer}/me"),
        &[("authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.json()["principalId"], "grace");

    // The discovery routes, RFC 8414 §3.1's path-insertion form (the issuer's path after the
    // well-known segment) included, with and without the stage. What the function answers is its
    // own business (it depends on its issuer); the gateway must route each to it, without the
    // authorizer, and pass its answer through.
    let calls = running.authorizer_calls();
    let path_inserted = "/.well-known/oauth-authorization-server/{proxy+}";
    for (path, resource) in [
        (
            "/.well-known/openid-configuration",
            "/.well-known/openid-configuration",
        ),
        ("/.well-known/jwks.json", "/.well-known/jwks.json"),
        (
            "/.well-known/oauth-authorization-server",
            "/.well-known/oauth-authorization-server",
        ),
        ("/.well-known/oauth-authorization-server/dev", path_inserted),
    ] {
        for url in [format!("{}{path}", running.base), format!("{issuer}{path}")] {
            let reply = send("GET", &url, &[], "").await;
            let (event, answer) = running.invoker().last("token_generator");
            let Some(Invocation::Response(response)) = answer else {
                panic!("{url}: {answer:?}");
            };
            assert_eq!(
                u64::from(reply.status),
                response["statusCode"].as_u64().unwrap(),
                "{url}"
            );
            assert_eq!(event["resource"], resource, "{url}");
            assert_eq!(event["path"], path, "{url}");
            assert_eq!(event["requestContext"]["path"], format!("/dev{path}"));
            if resource == path_inserted {
                assert_eq!(event["pathParameters"]["proxy"], "dev");
            }
        }
    }
    assert_eq!(running.authorizer_calls(), calls, "discovery is open");
}

#[tokio::test]
async fn a_forged_token_is_401_from_the_authorizer() {
    let running = gateway(&[]).await;
    let reply = send(
        "GET",
        &format!("{}/me", running.base),
        &[("authorization", "Bearer aaaa.bbbb.cccc")],
        "",
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json(), json!({"message": "Unauthorized"}));
    assert_eq!(running.authorizer_calls(), 1);
}

#[tokio::test]
async fn a_valid_token_is_200_and_the_backend_sees_the_authorizer_context() {
    let running = gateway(&[]).await;
    let user = user();
    let tokens = sign_in(&running, &user).await;
    let access = tokens["access_token"].as_str().unwrap();

    let reply = send(
        "GET",
        &format!("{}/me", running.base),
        &[("authorization", &bearer(access))],
        "",
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    // The MOCK integration renders $context.authorizer.* as the template says.
    assert_eq!(reply.json(), json!({"principalId": user, "sub": user}));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(reply.header("x-amzn-requestid").is_some());

    // The authorizer got a TOKEN event for this method of the local stage.
    let (event, _) = running.invoker().last("authorizer");
    assert_eq!(event["type"], "TOKEN");
    assert_eq!(
        event["methodArn"],
        "arn:aws:execute-api:us-east-1:123456789012:local0000a/dev/GET/me"
    );
    assert_eq!(event["authorizationToken"], bearer(access));
}

#[tokio::test]
async fn one_cached_policy_gives_200_on_me_and_403_on_admin() {
    let running = gateway(&[]).await;
    let user = user();
    let tokens = sign_in(&running, &user).await;
    let auth = bearer(tokens["access_token"].as_str().unwrap());
    let headers = [("authorization", auth.as_str())];

    let me = send("GET", &format!("{}/me", running.base), &headers, "").await;
    assert_eq!(me.status, 200);
    assert_eq!(running.authorizer_calls(), 1);

    // Another route within the TTL: the cached policy decides, the authorizer is not called.
    // The route rules deny /admin/* to a token without the `admin` scope.
    for path in ["/admin/users", "/admin/users/42"] {
        let reply = send("DELETE", &format!("{}{path}", running.base), &headers, "").await;
        assert_eq!(reply.status, 403, "{path}");
        assert_eq!(
            reply.json(),
            json!({"message": "User is not authorized to access this resource with an explicit deny"})
        );
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer error="insufficient_scope""#)
        );
    }
    assert_eq!(running.authorizer_calls(), 1, "answered from the cache");

    // A token that has the scope gets through.
    let admin = bearer(&token_with_scope("root", "admin"));
    let reply = send(
        "POST",
        &format!("{}/admin/users", running.base),
        &[("authorization", &admin)],
        "",
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"admin": true, "principalId": "root", "path": "/dev/admin/users"})
    );
    assert_eq!(running.authorizer_calls(), 2);
}

#[tokio::test]
async fn the_cache_ends_with_its_ttl_and_a_zero_ttl_never_caches() {
    let running = gateway(&[("AuthorizerCacheTtl", "1")]).await;
    let auth = bearer(&token_with_scope("carol", "read"));
    let headers = [("authorization", auth.as_str())];
    let me = format!("{}/me", running.base);

    assert_eq!(send("GET", &me, &headers, "").await.status, 200);
    assert_eq!(send("GET", &me, &headers, "").await.status, 200);
    assert_eq!(running.authorizer_calls(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(send("GET", &me, &headers, "").await.status, 200);
    assert_eq!(running.authorizer_calls(), 2, "invoked again after the TTL");

    let uncached = gateway(&[("AuthorizerCacheTtl", "0")]).await;
    let me = format!("{}/me", uncached.base);
    for _ in 0..3 {
        assert_eq!(send("GET", &me, &headers, "").await.status, 200);
    }
    assert_eq!(uncached.authorizer_calls(), 3);
}

/// The function's proxy response, as HTTP headers (name lower-cased, value).
fn function_headers(response: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, values) in response["multiValueHeaders"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for value in values.as_array().unwrap() {
            out.push((
                name.to_ascii_lowercase(),
                value.as_str().unwrap().to_owned(),
            ));
        }
    }
    for (name, value) in response["headers"].as_object().into_iter().flatten() {
        let name = name.to_ascii_lowercase();
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, value.as_str().unwrap().to_owned()));
        }
    }
    out
}

#[tokio::test]
async fn token_endpoints_are_passed_through_unchanged() {
    let running = gateway(&[]).await;
    let user = user();
    let json_type = ("content-type", "application/json");
    let form_type = ("content-type", "application/x-www-form-urlencoded");
    // (method, path, headers, body, status)
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, String, u16);
    let cases: Vec<Case<'_>> = vec![
        (
            "POST",
            "/auth/register",
            vec![json_type],
            common::credentials(&user),
            201,
        ),
        (
            "POST",
            "/auth/register",
            vec![json_type],
            common::credentials(&user),
            409,
        ),
        (
            "POST",
            "/auth/login",
            vec![json_type],
            common::credentials(&user),
            200,
        ),
        (
            "POST",
            "/token",
            vec![form_type],
            "grant_type=magic".to_owned(),
            400,
        ),
        (
            "POST",
            "/token",
            vec![form_type],
            "grant_type=refresh_token&refresh_token=x".to_owned(),
            400,
        ),
        ("POST", "/auth/logout", vec![], String::new(), 401),
        ("GET", "/health", vec![], String::new(), 200),
        ("GET", "/dev/health", vec![], String::new(), 200),
        // A preflight for a path API Gateway has no CORS mock for goes to the function
        // (through OPTIONS /{proxy+}), which knows no such path.
        (
            "OPTIONS",
            "/v1/token",
            vec![
                ("origin", "https://app.example.com"),
                ("access-control-request-method", "POST"),
            ],
            String::new(),
            404,
        ),
    ];
    for (method, path, headers, body, expected) in cases {
        let reply = send(method, &format!("{}{path}", running.base), &headers, &body).await;
        let (event, answer) = running.invoker().last("token_generator");
        let Some(Invocation::Response(response)) = answer else {
            panic!("{method} {path}: {answer:?}");
        };
        assert_eq!(reply.status, expected, "{method} {path}: {:?}", reply.body);
        assert_eq!(
            u64::from(reply.status),
            response["statusCode"].as_u64().unwrap()
        );
        assert_eq!(
            reply.body,
            response["body"].as_str().unwrap_or_default().as_bytes(),
            "{method} {path}"
        );
        for (name, value) in function_headers(&response) {
            let got: Vec<_> = reply
                .headers
                .get_all(&name)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect();
            assert!(
                got.contains(&value.as_str()),
                "{method} {path}: {name}: {got:?} != {value}"
            );
        }
        // The event is a REST (v1) proxy event of the local stage.
        assert_eq!(event["httpMethod"], method);
        assert_eq!(event["requestContext"]["stage"], "dev");
        assert!(event["requestContext"].get("authorizer").is_none());
        if path == "/v1/token" {
            assert_eq!(event["resource"], "/{proxy+}");
            assert_eq!(event["pathParameters"]["proxy"], "v1/token");
        }
    }
    assert_eq!(running.authorizer_calls(), 0, "the token routes are open");
}

#[tokio::test]
async fn preflights_of_declared_paths_are_answered_by_the_gateway() {
    let running = gateway(&[]).await;
    for path in ["/token", "/auth/login", "/me", "/admin/users"] {
        let reply = send(
            "OPTIONS",
            &format!("{}{path}", running.base),
            &[
                ("origin", "https://app.example.com"),
                ("access-control-request-method", "POST"),
            ],
            "",
        )
        .await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            reply.header("access-control-allow-methods"),
            Some("GET,POST,OPTIONS")
        );
        assert_eq!(
            reply.header("access-control-allow-headers"),
            Some("Authorization,Content-Type")
        );
        assert_eq!(reply.header("access-control-max-age"), Some("600"));
    }
    assert_eq!(running.invoker().calls("token_generator"), 0);
    assert_eq!(
        running.authorizer_calls(),
        0,
        "preflights do not meet the authorizer"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_403_missing_authentication_token() {
    let running = gateway(&[]).await;
    for (method, path) in [
        ("GET", "/nowhere"),
        ("GET", "/token"),
        ("DELETE", "/me"),
        ("HEAD", "/health"),
    ] {
        let reply = send(method, &format!("{}{path}", running.base), &[], "").await;
        assert_eq!(reply.status, 403, "{method} {path}");
        assert_eq!(
            reply.header("x-amzn-errortype"),
            Some("MissingAuthenticationTokenException")
        );
    }
    assert_eq!(running.invoker().calls("token_generator"), 0);
}

fn stub(answer: Invocation) -> common::Stub {
    Arc::new(move |_| answer.clone())
}

#[tokio::test]
async fn any_other_authorizer_failure_is_500() {
    let auth = bearer(&token_with_scope("carol", ""));
    let answers = [
        Invocation::Error {
            error_type: "Runtime.ExitError".into(),
            error_message: "exit status 101".into(),
        },
        // API Gateway refuses context values that are not strings, numbers or booleans.
        Invocation::Response(json!({
            "principalId": "carol",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]},
            "context": {"nested": {"no": "objects"}}
        })),
        Invocation::Response(json!({"isAuthorized": true})),
    ];
    for answer in answers {
        let running = start(
            workspace_template(),
            &[],
            LocalInvoker::default().with_stub("authorizer", stub(answer.clone())),
        )
        .await;
        let reply = send(
            "GET",
            &format!("{}/me", running.base),
            &[("authorization", &auth)],
            "",
        )
        .await;
        assert_eq!(reply.status, 500, "{answer:?}");
        assert_eq!(reply.json(), json!({"message": null}));
        assert_eq!(
            reply.header("x-amzn-errortype"),
            Some("AuthorizerConfigurationException")
        );
    }

    // No authorizer function at all (cargo lambda watch cannot run it).
    let running = start(workspace_template(), &[], LocalInvoker::default()).await;
    let reply = send(
        "GET",
        &format!("{}/me", running.base),
        &[("authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(reply.status, 500);
}

#[tokio::test]
async fn a_function_error_behind_a_proxy_route_is_502() {
    let running = start(
        workspace_template(),
        &[],
        LocalInvoker::default().with_stub(
            "token_generator",
            stub(Invocation::Error {
                error_type: "Runtime.ExitError".into(),
                error_message: "boom".into(),
            }),
        ),
    )
    .await;
    let reply = send("GET", &format!("{}/health", running.base), &[], "").await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json(), json!({"message": "Internal server error"}));
}

#[tokio::test]
async fn logout_then_refresh_through_the_gateway() {
    let running = gateway(&[]).await;
    let user = user();
    let tokens = sign_in(&running, &user).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let token_url = format!("{}/token", running.base);

    let rotated = send(
        "POST",
        &token_url,
        &form,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    )
    .await;
    assert_eq!(rotated.status, 200);
    let refresh = rotated.json()["refresh_token"].as_str().unwrap().to_owned();

    let logout = send(
        "POST",
        &format!("{}/auth/logout", running.base),
        &[("authorization", &bearer(access))],
        "",
    )
    .await;
    assert_eq!(logout.status, 200);
    let again = send(
        "POST",
        &token_url,
        &form,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    )
    .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["error"], "invalid_grant");
}
