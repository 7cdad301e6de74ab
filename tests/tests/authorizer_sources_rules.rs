//! The built `authorizer` with token sources, route rules, WebSocket `$connect`, context claims
//! and usage-plan keys: cache-correct policies end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aws_sdk_ssm::types::ParameterType;
use serde_json::{Value, json};
use test_support::authorizer::resources;
use test_support::functions::on_moto;
use test_support::requests::with_token;
use test_support::runtime_api::Function;
use test_support::tokens::{access_claims, sign_hs256};
use test_support::{event, parameters, unique, workspace_root};

const SECRET: &str = "e2e-rules-secret-0123456789abcdef-0123";
const PREFIX: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/";

fn rules() -> String {
    std::fs::read_to_string(workspace_root().join("docs/route-rules.example.json")).unwrap()
}

fn token(scope: Option<&str>, extra: Value) -> String {
    let mut claims = access_claims("carol", "j");
    if let Some(scope) = scope {
        claims["scope"] = json!(scope);
    }
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    sign_hs256(&claims, SECRET)
}

fn authorizer(env: &[(&str, &str)]) -> Function {
    let mut all = vec![("JWT_SECRET", SECRET)];
    all.extend_from_slice(env);
    Function::start("authorizer", &all)
}

#[test]
fn one_cached_policy_is_right_for_every_route() {
    let rules = rules();
    let function = authorizer(&[("ROUTE_RULES", &rules)]);
    let reader = token(Some("pets:read"), json!({}));
    // Asked about GET /pets/42 (covered) and DELETE /admin/users/7 (not covered): the same
    // policy both times, since API Gateway caches it per token for every route.
    let pets = function
        .invoke(&with_token("authorizer/rest-request.json", &reader))
        .response();
    let admin = function
        .invoke(&with_token("authorizer/rest-request-admin.json", &reader))
        .response();
    assert_eq!(pets["policyDocument"], admin["policyDocument"]);
    assert_eq!(pets["principalId"], "carol");
    let allow = resources(&pets, "Allow");
    for route in ["GET/health", "GET/me", "GET/pets", "GET/pets/*"] {
        assert!(
            allow.contains(&format!("{PREFIX}{route}")),
            "{route} missing from {allow:?}"
        );
    }
    let deny = resources(&pets, "Deny");
    assert!(deny.contains(&format!("{PREFIX}*/admin/*")), "{deny:?}");
    assert!(deny.contains(&format!("{PREFIX}POST/pets")), "{deny:?}");
    assert!(
        !allow
            .iter()
            .any(|r| r.ends_with("/*") && r.len() == PREFIX.len() + 1),
        "no stage wildcard with a deny default"
    );
}

#[test]
fn admin_scope_reaches_admin_routes() {
    let rules = rules();
    let function = authorizer(&[("ROUTE_RULES", &rules)]);
    let admin = function
        .invoke(&with_token(
            "authorizer/rest-request-admin.json",
            &token(Some("admin"), json!({})),
        ))
        .response();
    assert!(resources(&admin, "Allow").contains(&format!("{PREFIX}*/admin/*")));
    assert!(!resources(&admin, "Deny").contains(&format!("{PREFIX}*/admin/*")));
}

#[test]
fn public_route_without_a_token_is_allowed_anonymously() {
    let rules = rules();
    let function = authorizer(&[("ROUTE_RULES", &rules)]);
    let response = function
        .invoke(&event("authorizer/rest-request-public-no-token.json"))
        .response();
    assert_eq!(response["principalId"], "anonymous");
    assert_eq!(
        resources(&response, "Allow"),
        vec![format!("{PREFIX}GET/health")]
    );
    // Without a token, a route that is not public is a 401.
    assert!(
        function
            .invoke(&event("authorizer/rest-request-no-header.json"))
            .is_unauthorized()
    );
}

#[test]
fn http_api_simple_answers_follow_the_rules_for_the_route() {
    let rules = r#"{"rules": [{"route": "GET /pets/{id}", "any_of": ["pets:read"]}]}"#;
    let function = authorizer(&[("ROUTE_RULES", rules)]);
    let allowed = function
        .invoke(&with_token(
            "authorizer/http-api-v2.json",
            &token(Some("pets:read"), json!({})),
        ))
        .response();
    assert_eq!(allowed["isAuthorized"], true);
    let refused = function
        .invoke(&with_token(
            "authorizer/http-api-v2.json",
            &token(Some("other"), json!({})),
        ))
        .response();
    assert_eq!(refused, json!({"isAuthorized": false}));
}

#[test]
fn websocket_connect_takes_the_token_from_the_query_string() {
    let rules = rules();
    let function = authorizer(&[
        ("TOKEN_SOURCES", "query:token,header:authorization"),
        ("ROUTE_RULES", &rules),
    ]);
    let response = function
        .invoke(&with_token(
            "authorizer/websocket-connect.json",
            &token(Some("chat"), json!({})),
        ))
        .response();
    let ws = "arn:aws:execute-api:us-east-1:123456789012:ws7890wxyz/dev/$connect";
    assert!(
        resources(&response, "Allow").contains(&ws.to_owned()),
        "{response}"
    );
    let refused = function
        .invoke(&with_token(
            "authorizer/websocket-connect.json",
            &token(Some("pets:read"), json!({})),
        ))
        .response();
    assert!(resources(&refused, "Deny").contains(&ws.to_owned()));
    let malformed = function.invoke(&with_token(
        "authorizer/websocket-connect.json",
        "not a token",
    ));
    assert!(malformed.is_unauthorized());
}

#[test]
fn cookies_and_named_headers_are_token_sources() {
    let function = authorizer(&[("TOKEN_SOURCES", "cookie:access_token,header:x-access-token")]);
    let t = token(None, json!({}));
    for name in [
        "authorizer/rest-request-cookie.json",
        "authorizer/http-api-v2-cookie.json",
        "authorizer/rest-request-x-access-token.json",
    ] {
        let response = function.invoke(&with_token(name, &t)).response();
        assert!(
            response["principalId"] == "carol" || response["isAuthorized"] == true,
            "{name}: {response}"
        );
    }
    // The Authorization header is not a configured source here.
    assert!(
        function
            .invoke(&with_token("authorizer/rest-request.json", &t))
            .is_unauthorized()
    );
}

#[test]
fn first_present_source_wins_and_a_malformed_one_is_not_skipped() {
    let function = authorizer(&[("TOKEN_SOURCES", "cookie:access_token,header:authorization")]);
    let good = token(None, json!({}));
    let mut event = with_token("authorizer/rest-request.json", &good);
    event["headers"]["Cookie"] = json!("access_token=garbage");
    assert!(
        function.invoke(&event).is_unauthorized(),
        "a bad cookie must not fall through to the header"
    );
    event["headers"]["Cookie"] = json!(format!("access_token={good}"));
    assert_eq!(function.invoke(&event).response()["principalId"], "carol");
}

#[test]
fn two_different_authorization_headers_are_refused() {
    let function = authorizer(&[]);
    let event = with_token(
        "authorizer/rest-request-two-authorization-headers.json",
        &token(None, json!({})),
    );
    assert!(function.invoke(&event).is_unauthorized());
}

#[test]
fn context_carries_flattened_claims_and_the_usage_key() {
    let function = authorizer(&[
        (
            "CONTEXT_CLAIMS",
            "email,groups,profile,admin,age,missing,big",
        ),
        ("USAGE_IDENTIFIER_CLAIM", "api_key"),
    ]);
    let t = token(
        Some("pets:read openid"),
        json!({"email": "carol@example.com", "groups": ["a", "b"], "profile": {"tier": "gold"},
               "admin": false, "age": 41, "api_key": "key-123", "big": "x".repeat(3000)}),
    );
    let response = function
        .invoke(&with_token("authorizer/rest-token.json", &t))
        .response();
    assert_eq!(
        response["context"],
        json!({"sub": "carol", "iss": "lambda-api", "scope": "pets:read openid", "email": "carol@example.com", "groups": "a,b",
               "profile": "{\"tier\":\"gold\"}", "admin": false, "age": 41})
    );
    assert_eq!(response["usageIdentifierKey"], "key-123");
}

#[test]
fn route_rules_can_come_from_ssm() {
    let name = format!("/{}/auth/route-rules", unique("app"));
    parameters::put(&name, &rules(), ParameterType::String);
    let function = on_moto(
        "authorizer",
        &[("JWT_SECRET", SECRET), ("ROUTE_RULES_PARAM", &name)],
    );
    let response = function
        .invoke(&with_token(
            "authorizer/rest-request.json",
            &token(Some("pets:read"), json!({})),
        ))
        .response();
    assert!(
        resources(&response, "Deny").contains(&format!("{PREFIX}*/admin/*")),
        "{response}"
    );
}
