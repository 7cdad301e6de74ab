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

use auth_core::{Grant, KeyAlgorithm, KeySet};
use serde_json::{Value, json};
use test_support::authorizer::{allows, answer};
use test_support::key_sets;
use test_support::runtime_api::Function;
use test_support::tokens::{access_token, claims_of, issuer, sign_with_kid};

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

/// A set of one private key of `alg`.
fn private_set(alg: KeyAlgorithm) -> (Value, Arc<KeySet>) {
    let set = key_sets::active(alg);
    (set["keys"][0].clone(), Arc::new(key_sets::load(&set)))
}

fn issue(set: &Arc<KeySet>) -> String {
    access_token(&issuer(Arc::clone(set)), &GRANT)
}

/// Whether the authorizer allows `token`, as carol.
fn allowed(authorizer: &Function, token: &str) -> bool {
    answer(authorizer, token).is_some_and(|response| {
        assert_eq!(response["principalId"], "carol");
        allows(&response)
    })
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
        let borrowed = jwk["kid"].as_str().unwrap();
        let forged = sign_with_kid(&stranger, borrowed, &claims_of(&token));
        assert!(!allowed(&authorizer, &forged), "{alg:?}: borrowed kid");
    }
    let logs = authorizer.logs_containing("bad_signature");
    assert!(logs.contains("unknown_kid"), "{logs}");
    assert!(logs.contains("bad_signature"), "{logs}");
}
