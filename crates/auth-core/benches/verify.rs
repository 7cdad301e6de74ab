//! Issue and verify per algorithm: our `Verifier` (kid lookup, the key's algorithm, every claim
//! check) next to a bare jsonwebtoken decode of the same token with the same key (the crypto
//! floor), so the cost of each algorithm and of our checks is visible.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use auth_core::{
    Grant, KeyAlgorithm, KeySet, KeyStatus, TokenIssuer, TokenSettings, Verifier, generate_jwk,
};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::Validation;

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

const GRANT: Grant<'static> = Grant {
    sub: "alice@example.com",
    client_id: "public",
    scope: Some("read write"),
    audience: None,
};

fn bench(c: &mut Criterion) {
    let settings = TokenSettings::default();
    for alg in [
        KeyAlgorithm::HS256,
        KeyAlgorithm::ES256,
        KeyAlgorithm::EdDSA,
        KeyAlgorithm::RS256,
    ] {
        let jwk = generate_jwk(alg, KeyStatus::Active).unwrap();
        let keys =
            Arc::new(KeySet::from_json(&serde_json::json!({ "keys": [jwk] }).to_string()).unwrap());
        let issuer = TokenIssuer::new(keys.clone(), &settings).unwrap();
        let verifier = Verifier::new(keys.clone(), &settings);
        let token = issuer.issue_access(&GRANT, now()).unwrap().token;
        let key = keys.active().unwrap().decoding_key().clone();
        let mut validation = Validation::new(alg.jwt());
        validation.set_issuer(&["lambda-api"]);
        validation.validate_aud = false;

        let mut group = c.benchmark_group(alg.name());
        group.bench_function("jsonwebtoken_decode_floor", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation)
                    .unwrap()
            })
        });
        group.bench_function("verifier_verify_access", |b| {
            b.iter(|| verifier.verify_access(black_box(&token)).unwrap())
        });
        group.bench_function("issuer_issue_access", |b| {
            b.iter(|| {
                issuer
                    .issue_access(black_box(&GRANT), 1_700_000_000)
                    .unwrap()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
