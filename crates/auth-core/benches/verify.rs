//! HS256 issue and verify: our `Verifier` next to a bare jsonwebtoken decode of the same token
//! (the crypto floor), so the cost of our extra checks is visible.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use auth_core::{Secret, TokenIssuer, TokenSettings, TokenType, Verifier};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::hint::black_box;

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn bench(c: &mut Criterion) {
    let secret = Secret::new("bench-secret-0123456789abcdef-0123456789").unwrap();
    let settings = TokenSettings::default();
    let issuer = TokenIssuer::new(&secret, &settings);
    let verifier = Verifier::new(&secret, &settings);
    let token = issuer
        .issue(
            "alice@example.com",
            TokenType::Access,
            now(),
            "jti-1".into(),
        )
        .unwrap()
        .token;

    let key = DecodingKey::from_secret(b"bench-secret-0123456789abcdef-0123456789");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&["lambda-api"]);
    validation.aud = None;
    validation.validate_aud = false;

    let mut group = c.benchmark_group("hs256");
    group.bench_function("jsonwebtoken_decode_floor", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation).unwrap()
        })
    });
    group.bench_function("verifier_verify_access", |b| {
        b.iter(|| verifier.verify_access(black_box(&token)).unwrap())
    });
    group.bench_function("issuer_issue", |b| {
        b.iter(|| {
            issuer
                .issue(
                    black_box("alice@example.com"),
                    TokenType::Access,
                    1_700_000_000,
                    "j".into(),
                )
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
