//! The built `authorizer` with `TRUSTED_ISSUERS` and `ROUTE_RULES`: a trusted issuer's token
//! with our admin's `sub` and scope names is neither our admin nor an admin. Its principal is
//! namespaced by the issuer, the context says whose token it is, and only the scopes its entry
//! maps count.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use auth_core::{Grant, KeyAlgorithm, KeySet, TokenIssuer};
use serde_json::{Value, json};
use test_support::authorizer::resources;
use test_support::jwks_server::JwksServer;
use test_support::requests::with_token;
use test_support::runtime_api::Function;
use test_support::tokens::{access_token, issuer, now, sign};
use test_support::{key_sets, workspace_root};

const ISSUER: &str = "https://idp.example.com/tenant-1";
const CLIENT_ID: &str = "client-e2e";
/// The admin route of `rest-request-admin.json` (DELETE /admin/users/7) is `ANY /admin/*` in
/// docs/route-rules.example.json: `all_of: ["admin"]`.
const ADMIN_PATTERN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/*/admin/*";

/// The other issuer's private key set and the JWKS server publishing its public keys.
fn idp() -> (KeySet, JwksServer) {
    let set = key_sets::active(KeyAlgorithm::ES256);
    let server = JwksServer::start(key_sets::public_jwks(&set).to_string());
    (key_sets::load(&set), server)
}

fn foreign_token(idp: &KeySet, sub: &str, scope: &str) -> String {
    let claims = json!({"iss": ISSUER, "sub": sub, "client_id": CLIENT_ID, "scope": scope,
                        "iat": now(), "exp": now() + 600, "jti": "foreign-1"});
    sign(idp, &claims)
}

/// Our public keys (the authorizer's `SIGNING_KEYS`) and an issuer of our tokens.
fn own() -> (String, TokenIssuer) {
    let set = key_sets::active(KeyAlgorithm::ES256);
    let public = key_sets::public_jwks(&set).to_string();
    (public, issuer(Arc::new(key_sets::load(&set))))
}

fn own_token(issuer: &TokenIssuer, sub: &str, scope: &str) -> String {
    let grant = Grant {
        sub,
        client_id: "public",
        scope: Some(scope),
        audience: None,
    };
    access_token(issuer, &grant)
}

fn authorizer(keys: &str, entry: Value) -> Function {
    let rules =
        std::fs::read_to_string(workspace_root().join("docs/route-rules.example.json")).unwrap();
    Function::start(
        "authorizer",
        &[
            ("SIGNING_KEYS", keys),
            ("TRUSTED_ISSUERS", &json!([entry]).to_string()),
            ("ROUTE_RULES", &rules),
            // Refusals (with their reason) and scope misses are logged at DEBUG.
            ("LOG_LEVEL", "debug"),
        ],
    )
}

fn entry(server: &JwksServer, extra: Value) -> Value {
    let mut entry = json!({"issuer": ISSUER, "jwks_uri": server.url, "client_ids": [CLIENT_ID]});
    for (k, v) in extra.as_object().unwrap() {
        entry[k] = v.clone();
    }
    entry
}

/// The REST REQUEST event for DELETE /admin/users/7 with `token`.
fn admin_request(token: &str) -> Value {
    with_token("authorizer/rest-request-admin.json", token)
}

#[test]
fn a_foreign_alice_with_scope_admin_is_neither_our_alice_nor_an_admin() {
    let (idp, server) = idp();
    let (keys, ours) = own();
    let function = authorizer(&keys, entry(&server, json!({})));

    let own = function
        .invoke(&admin_request(&own_token(&ours, "alice", "admin")))
        .response();
    assert_eq!(own["principalId"], "alice");
    assert_eq!(
        own["context"],
        json!({"sub": "alice", "iss": "lambda-api", "scope": "admin"})
    );
    assert!(resources(&own, "Allow").contains(&ADMIN_PATTERN.to_owned()));

    let foreign = function
        .invoke(&admin_request(&foreign_token(&idp, "alice", "admin")))
        .response();
    let principal = "idp.example.com/tenant-1|alice";
    assert_eq!(foreign["principalId"], principal);
    // No `scope`: the entry maps none of the issuer's scopes, so "admin" is not ours.
    assert_eq!(foreign["context"], json!({"sub": principal, "iss": ISSUER}));
    assert!(resources(&foreign, "Deny").contains(&ADMIN_PATTERN.to_owned()));
    assert!(!resources(&foreign, "Allow").contains(&ADMIN_PATTERN.to_owned()));
    let logs = function.logs_containing("insufficient_scope");
    assert!(logs.contains(principal), "{logs}");
}

#[test]
fn only_the_scopes_an_entry_maps_count_and_under_our_name() {
    let (idp, server) = idp();
    let (keys, _) = own();
    let function = authorizer(
        &keys,
        entry(
            &server,
            json!({"principal_prefix": "corp", "scopes": {"corp/admin": "admin"}}),
        ),
    );
    // Its own scope of our name still counts for nothing.
    let unmapped = function
        .invoke(&admin_request(&foreign_token(&idp, "alice", "admin")))
        .response();
    assert_eq!(unmapped["principalId"], "corp|alice");
    assert!(resources(&unmapped, "Deny").contains(&ADMIN_PATTERN.to_owned()));

    let mapped = function
        .invoke(&admin_request(&foreign_token(
            &idp,
            "alice",
            "openid corp/admin",
        )))
        .response();
    assert_eq!(mapped["principalId"], "corp|alice");
    assert_eq!(
        mapped["context"],
        json!({"sub": "corp|alice", "iss": ISSUER, "scope": "admin"})
    );
    assert!(resources(&mapped, "Allow").contains(&ADMIN_PATTERN.to_owned()));
}

#[test]
fn an_own_sub_in_a_trusted_issuers_namespace_is_refused() {
    let (idp, server) = idp();
    let (keys, ours) = own();
    let function = authorizer(&keys, entry(&server, json!({"principal_prefix": "corp"})));
    // A user of ours named like the other issuer's alice would pass for her.
    let outcome = function.invoke(&admin_request(&own_token(&ours, "corp|alice", "admin")));
    assert!(outcome.is_unauthorized(), "{outcome:?}");
    // A refusal like any other: logged with its reason, counted as a denial with it.
    let logs = function.logs_containing(r#""Reason":"reserved_principal""#);
    assert!(logs.contains(r#""reason":"reserved_principal""#), "{logs}");
    assert!(
        logs.contains(r#""Reason":"reserved_principal","AuthorizerDeny":1"#),
        "{logs}"
    );
    // Anything else of ours is unaffected, and so is the other issuer's alice.
    let fine = function
        .invoke(&admin_request(&own_token(
            &ours,
            "corporate|alice",
            "admin",
        )))
        .response();
    assert_eq!(fine["principalId"], "corporate|alice");
    let foreign = function
        .invoke(&admin_request(&foreign_token(&idp, "alice", "")))
        .response();
    assert_eq!(foreign["principalId"], "corp|alice");
}

#[test]
fn bad_namespaces_and_scope_maps_fail_the_cold_start() {
    let (keys, _) = own();
    let server = JwksServer::start(String::new());
    let second = json!({"issuer": "idp.example.com/tenant-1", "jwks_uri": server.url,
                        "audience": "api"});
    for (case, list, message) in [
        (
            "prefix with the separator",
            json!([entry(&server, json!({"principal_prefix": "a|b"}))]),
            "principal_prefix",
        ),
        (
            "two issuers, one default prefix",
            json!([entry(&server, json!({})), second]),
            "two issuers have the principal prefix",
        ),
        (
            "a mapped scope with a blank",
            json!([entry(
                &server,
                json!({"scopes": {"corp/admin": "admin pets:write"}})
            )]),
            "the scopes of",
        ),
    ] {
        let function = Function::start(
            "authorizer",
            &[
                ("SIGNING_KEYS", &keys),
                ("TRUSTED_ISSUERS", &list.to_string()),
            ],
        );
        let status = function.wait_exit().expect("the process should exit");
        assert!(!status.success(), "{case}");
        let logs = function.logs_containing("TRUSTED_ISSUERS is invalid");
        assert!(logs.contains(message), "{case}: {logs}");
    }
}
