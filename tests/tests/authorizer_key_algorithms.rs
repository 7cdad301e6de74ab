//! The built `authorizer` with an inline key set (`SIGNING_KEYS`) holding a key of every
//! algorithm: a token signed with each is accepted, a token signed by a key outside the set is
//! not, whether its `kid` is unknown or borrowed from a key of the set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{Grant, KeyAlgorithm, KeySet, KeyStatus, TokenIssuer, TokenSettings, generate_jwk};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e::event;
use e2e::runtime_api::Function;
use jsonwebtoken::Header;
use serde_json::{Value, json};

const ALGORITHMS: [KeyAlgorithm; 4] = [
    KeyAlgorithm::ES256,
    KeyAlgorithm::EdDSA,
    KeyAlgorithm::RS256,
    KeyAlgorithm::HS256,
];

const GRANT: Grant<'static> = Grant {
    sub: "carol",
    client_id: "public",
    scope: Some("read"),
    audience: None,
};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A set of one private key of `alg`.
fn private_set(alg: KeyAlgorithm) -> (Value, Arc<KeySet>) {
    let jwk = generate_jwk(alg, KeyStatus::Active).unwrap();
    let set = KeySet::from_json(&json!({ "keys": [jwk.clone()] }).to_string()).unwrap();
    (jwk, Arc::new(set))
}

fn issue(set: &Arc<KeySet>) -> String {
    TokenIssuer::new(
        Arc::clone(set),
        &TokenSettings {
            audience: e2e::AUDIENCE.to_owned(),
            ..TokenSettings::default()
        },
    )
    .unwrap()
    .issue_access(&GRANT, now())
    .unwrap()
    .token
}

fn allowed(authorizer: &Function, token: &str) -> bool {
    let text = event("authorizer/rest-token.json")
        .to_string()
        .replace("REPLACE_WITH_ACCESS_TOKEN", token);
    let outcome = authorizer.invoke(&serde_json::from_str(&text).unwrap());
    if outcome.is_unauthorized() {
        return false;
    }
    let response = outcome.response();
    assert_eq!(response["principalId"], "carol");
    response["policyDocument"]["Statement"][0]["Effect"] == "Allow"
}

#[test]
fn a_token_of_every_algorithm_is_accepted_and_one_of_a_key_outside_the_set_is_not() {
    // The authorizer's set: the public half of each asymmetric key, the HS256 key itself (a
    // shared secret has no public half). Without `status` members the first key is the active one.
    let issuers: Vec<(KeyAlgorithm, Value, Arc<KeySet>)> = ALGORITHMS
        .iter()
        .map(|alg| {
            let (jwk, set) = private_set(*alg);
            (*alg, jwk, set)
        })
        .collect();
    let verify_keys: Vec<Value> = issuers
        .iter()
        .map(|(alg, jwk, set)| {
            if *alg == KeyAlgorithm::HS256 {
                let mut secret = jwk.clone();
                secret.as_object_mut().unwrap().remove("status");
                secret
            } else {
                set.public_jwks()["keys"][0].clone()
            }
        })
        .collect();
    let keys = json!({ "keys": verify_keys }).to_string();
    assert!(
        !keys.contains("\"d\""),
        "no private asymmetric key is given"
    );
    let authorizer = Function::start("authorizer", &[("SIGNING_KEYS", &keys)]);

    for (alg, jwk, set) in &issuers {
        let token = issue(set);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, alg.jwt());
        assert!(allowed(&authorizer, &token), "{alg:?}");

        // Another key of the same algorithm, outside the set: its own kid is unknown...
        let (_, stranger) = private_set(*alg);
        assert!(
            !allowed(&authorizer, &issue(&stranger)),
            "{alg:?}: unknown kid"
        );
        // ...and borrowing the kid of a key in the set does not help.
        let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap());
        let claims: Value = serde_json::from_slice(&payload.unwrap()).unwrap();
        let mut borrowed = Header::new(alg.jwt());
        borrowed.kid = jwk["kid"].as_str().map(str::to_owned);
        let key = stranger.active().unwrap().encoding_key().unwrap();
        let forged = jsonwebtoken::encode(&borrowed, &claims, key).unwrap();
        assert!(!allowed(&authorizer, &forged), "{alg:?}: borrowed kid");
    }
    let logs = authorizer.logs_containing("bad_signature");
    assert!(logs.contains("unknown_kid"), "{logs}");
    assert!(logs.contains("bad_signature"), "{logs}");
}
