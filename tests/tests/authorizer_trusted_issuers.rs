//! The built `authorizer` with `TRUSTED_ISSUERS`: tokens of another issuer (shaped like Cognito
//! access tokens) verified with the keys a loopback JWKS server publishes, how often that server
//! is asked, what happens when it is down, and what is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use auth_core::{Grant, KeyAlgorithm, KeySet, TokenIssuer};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use test_support::authorizer::{allows, answer};
use test_support::jwks_server::{JwksServer, closed_url};
use test_support::key_sets;
use test_support::runtime_api::Function;
use test_support::tokens::{access_token, issuer, now, sign, sign_with_kid};

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_e2eTest";
const CLIENT_ID: &str = "client-e2e";

/// A key set of one private key (the other issuer's), and its public JWKS.
fn idp_keys(alg: KeyAlgorithm) -> (KeySet, String) {
    let set = key_sets::active(alg);
    (
        key_sets::load(&set),
        key_sets::public_jwks(&set).to_string(),
    )
}

/// The claims of a Cognito access token.
fn cognito_claims() -> Value {
    json!({"iss": ISSUER, "sub": "7d1f-4a2b-user", "client_id": CLIENT_ID,
           "token_use": "access", "scope": "orders/read", "username": "alice",
           "auth_time": now(), "iat": now(), "exp": now() + 600, "jti": "cognito-jti-1"})
}

fn patched(key: &str, value: Value) -> Value {
    let mut claims = cognito_claims();
    claims[key] = value;
    claims
}

fn trusted(jwks_uri: &str) -> String {
    json!([{
        "issuer": ISSUER,
        "jwks_uri": jwks_uri,
        "client_ids": [CLIENT_ID],
        "required_claims": {"token_use": "access"}
    }])
    .to_string()
}

/// Our own key set and an issuer of our own tokens.
fn own_keys() -> (String, TokenIssuer) {
    let set = key_sets::active(KeyAlgorithm::ES256);
    (set.to_string(), issuer(Arc::new(key_sets::load(&set))))
}

fn own_token(issuer: &TokenIssuer) -> String {
    let grant = Grant {
        sub: "bob",
        client_id: "public",
        scope: None,
        audience: None,
    };
    access_token(issuer, &grant)
}

fn authorizer(own_keys: &str, trusted_issuers: &str) -> Function {
    Function::start(
        "authorizer",
        &[
            ("SIGNING_KEYS", own_keys),
            ("TRUSTED_ISSUERS", trusted_issuers),
            ("CONTEXT_CLAIMS", "username,token_use"),
        ],
    )
}

/// The authorizer's policy for `token`, which must allow; `None` when it refused.
fn invoke(function: &Function, token: &str) -> Option<Value> {
    answer(function, token).inspect(|response| assert!(allows(response), "{response}"))
}

#[test]
fn a_trusted_issuers_token_is_allowed_with_its_jwks_fetched_once() {
    let (idp, jwks) = idp_keys(KeyAlgorithm::RS256);
    let server = JwksServer::start(jwks);
    let (keys, ours) = own_keys();
    let function = authorizer(&keys, &trusted(&server.url));
    // Our own tokens verify as before, and nothing is fetched for them or at cold start.
    let response = invoke(&function, &own_token(&ours)).expect("own token allowed");
    assert_eq!(response["principalId"], "bob");
    assert_eq!(server.requests(), 0);

    let response = invoke(&function, &sign(&idp, &cognito_claims())).expect("trusted token");
    // Namespaced by the issuer; its scopes map to none of ours (its entry maps none).
    let principal = "cognito-idp.us-east-1.amazonaws.com/us-east-1_e2eTest|7d1f-4a2b-user";
    assert_eq!(response["principalId"], principal);
    assert_eq!(
        response["context"],
        json!({"sub": principal, "iss": ISSUER, "username": "alice", "token_use": "access"})
    );
    for _ in 0..5 {
        assert!(invoke(&function, &sign(&idp, &cognito_claims())).is_some());
    }
    assert_eq!(server.requests(), 1, "the JWKS is fetched once");
    assert!(
        function
            .logs_containing("jwks fetched")
            .contains("jwks fetched")
    );
}

#[test]
fn unknown_kids_cause_at_most_one_extra_fetch() {
    let (idp, jwks) = idp_keys(KeyAlgorithm::ES256);
    let server = JwksServer::start(jwks);
    let (keys, _) = own_keys();
    let function = authorizer(&keys, &trusted(&server.url));
    // The first token names a kid the JWKS lacks: one fetch, then refused.
    assert!(
        invoke(
            &function,
            &sign_with_kid(&idp, "not-published", &cognito_claims())
        )
        .is_none()
    );
    assert_eq!(server.requests(), 1);
    for i in 0..50 {
        let token = sign_with_kid(&idp, &format!("random-{i}-{}", now()), &cognito_claims());
        assert!(invoke(&function, &token).is_none(), "kid {i}");
    }
    assert!(
        server.requests() <= 2,
        "50 unknown kids made {} fetches",
        server.requests()
    );
    // The published key still works, from the keys held.
    let before = server.requests();
    assert!(invoke(&function, &sign(&idp, &cognito_claims())).is_some());
    assert_eq!(server.requests(), before);
    // A token signed by another key under the published kid is refused.
    let (other, _) = idp_keys(KeyAlgorithm::ES256);
    let forged = sign_with_kid(
        &other,
        idp.active().unwrap().kid().unwrap(),
        &cognito_claims(),
    );
    assert!(invoke(&function, &forged).is_none());
    let logs = function.logs_containing("bad_signature");
    assert!(logs.contains("unknown_kid"), "{logs}");
    assert!(logs.contains("bad_signature"), "{logs}");
}

#[test]
fn a_jwks_server_that_is_down_or_broken_means_deny_not_a_crash() {
    let (idp, jwks) = idp_keys(KeyAlgorithm::RS256);
    let (keys, ours) = own_keys();
    let function = authorizer(&keys, &trusted(&closed_url()));
    for _ in 0..5 {
        assert!(invoke(&function, &sign(&idp, &cognito_claims())).is_none());
    }
    let logs = function.logs_containing("jwks_unavailable");
    assert!(logs.contains("jwks fetch failed"), "{logs}");
    assert_eq!(
        logs.matches("jwks fetch failed").count(),
        1,
        "one attempt per penalty period: {logs}"
    );
    assert!(invoke(&function, &own_token(&ours)).is_some());

    // A server answering something other than a JSON JWKS.
    let server = JwksServer::start(String::new());
    server.answer(200, "text/html", "<html>sign in</html>");
    let function = authorizer(&keys, &trusted(&server.url));
    assert!(invoke(&function, &sign(&idp, &cognito_claims())).is_none());
    server.answer(500, "application/json", "{}");
    let other = authorizer(&keys, &trusted(&server.url));
    assert!(invoke(&other, &sign(&idp, &cognito_claims())).is_none());
    server.answer(200, "application/json", &jwks);
    let good = authorizer(&keys, &trusted(&server.url));
    assert!(invoke(&good, &sign(&idp, &cognito_claims())).is_some());
    let logs = function.logs_containing("not JSON");
    assert!(logs.contains("not JSON"), "{logs}");
}

#[test]
fn other_issuers_and_mismatched_claims_are_refused() {
    let (idp, jwks) = idp_keys(KeyAlgorithm::RS256);
    let server = JwksServer::start(jwks.clone());
    let (keys, _) = own_keys();
    let function = authorizer(&keys, &trusted(&server.url));
    // An issuer not in the list: refused without fetching anything.
    let stranger = sign(&idp, &patched("iss", json!("https://idp.attacker.example")));
    assert!(invoke(&function, &stranger).is_none());
    assert_eq!(server.requests(), 0);
    assert!(
        function
            .logs_containing("untrusted_issuer")
            .contains("untrusted_issuer")
    );
    // Our own issuer with the other issuer's key: our key set does not know it.
    assert!(invoke(&function, &sign(&idp, &patched("iss", json!("lambda-api")))).is_none());
    assert_eq!(server.requests(), 0);

    let public: Value = serde_json::from_str(&jwks).unwrap();
    let n = public["keys"][0]["n"].as_str().unwrap();
    let mut confused = Header::new(Algorithm::HS256);
    confused.kid = idp.active().unwrap().kid().map(str::to_owned);
    let hs256 = jsonwebtoken::encode(
        &confused,
        &cognito_claims(),
        &EncodingKey::from_secret(n.as_bytes()),
    )
    .unwrap();
    let mut no_sub = cognito_claims();
    no_sub.as_object_mut().unwrap().remove("sub");
    for (case, token) in [
        ("id token", sign(&idp, &patched("token_use", json!("id")))),
        (
            "other client",
            sign(&idp, &patched("client_id", json!("other"))),
        ),
        ("expired", sign(&idp, &patched("exp", json!(now() - 3600)))),
        (
            "not yet valid",
            sign(&idp, &patched("nbf", json!(now() + 3600))),
        ),
        ("no sub", sign(&idp, &no_sub)),
        ("HS256 with the public key", hs256),
    ] {
        assert!(invoke(&function, &token).is_none(), "{case}");
    }
    assert_eq!(server.requests(), 1);
    assert!(invoke(&function, &sign(&idp, &cognito_claims())).is_some());
}

#[test]
fn a_bad_trusted_issuer_list_fails_the_cold_start() {
    let (keys, _) = own_keys();
    let entry =
        |issuer: &str, uri: &str| json!({"issuer": issuer, "jwks_uri": uri, "audience": "api"});
    for (case, value, message) in [
        ("not JSON", "[{".to_owned(), "must be a JSON array"),
        (
            "plain http to another host",
            json!([entry(ISSUER, "http://idp.example/jwks.json")]).to_string(),
            "must be an https:// URL",
        ),
        (
            "listed twice",
            json!([entry(ISSUER, "https://a/j"), entry(ISSUER, "https://b/j")]).to_string(),
            "is listed twice",
        ),
        (
            "our own issuer",
            json!([entry("lambda-api", "https://a/j")]).to_string(),
            "is our own TOKEN_ISSUER",
        ),
        (
            "HS256",
            json!([{"issuer": ISSUER, "jwks_uri": "https://a/j", "audience": "api",
                    "algorithms": ["HS256"]}])
            .to_string(),
            "lists the algorithm",
        ),
    ] {
        let function = authorizer(&keys, &value);
        let status = function.wait_exit().expect("the process should exit");
        assert!(!status.success(), "{case}");
        let logs = function.logs_containing("TRUSTED_ISSUERS is invalid");
        assert!(
            logs.contains("TRUSTED_ISSUERS is invalid"),
            "{case}: {logs}"
        );
        assert!(logs.contains(message), "{case}: {logs}");
    }
}
