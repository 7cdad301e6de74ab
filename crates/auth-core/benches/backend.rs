//! jsonwebtoken's crypto backends side by side (build once with each of the `aws_lc_rs` and
//! `rust_crypto` features on jsonwebtoken in the workspace Cargo.toml, run, compare): HS256 and
//! ES256 verification of the same kind of token. This is how the backend was chosen.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::json;

/// A P-256 test key (generated for this benchmark only).
const ES256_PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7AezPJqp+VgCKg00Wg6BmUAcJXVayVo7AMQPRPkhHDqhRANCAASdeN7K5R5MocpQxD1ofaHv83e51iMipd97ebfCRKZgeP5YkpniEGyyjn6z+AI6gnJv0O7Vk++Z7MGlvmzY36ix";
const ES256_X: &str = "nXjeyuUeTKHKUMQ9aH2h7_N3udYjIqXfe3m3wkSmYHg";
const ES256_Y: &str = "_liSmeIQbLKOfrP4AjqCcm_Q7tWT75nswaW-bNjfqLE";

fn bench(c: &mut Criterion) {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"iss": "lambda-api", "sub": "alice@example.com", "iat": now,
                        "exp": now + 3600, "jti": "AAAAAAAAAAAAAAAAAAAAAA", "type": "access"});
    let secret = b"bench-secret-0123456789abcdef-0123456789";
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(ES256_PKCS8)
        .unwrap();
    let es = jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        &claims,
        &EncodingKey::from_ec_der(&der),
    )
    .unwrap();

    let hs_key = DecodingKey::from_secret(secret);
    let es_key = DecodingKey::from_ec_components(ES256_X, ES256_Y).unwrap();
    let mut hs_validation = Validation::new(Algorithm::HS256);
    hs_validation.validate_aud = false;
    let mut es_validation = Validation::new(Algorithm::ES256);
    es_validation.validate_aud = false;

    let mut group = c.benchmark_group("backend");
    group.bench_function("hs256_verify", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&hs), &hs_key, &hs_validation)
                .unwrap()
        })
    });
    group.bench_function("es256_verify", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&es), &es_key, &es_validation)
                .unwrap()
        })
    });
    group.bench_function("hs256_sign", |b| {
        let key = EncodingKey::from_secret(secret);
        b.iter(|| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), black_box(&claims), &key).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
