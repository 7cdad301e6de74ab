//! The whole authorizer in process, from event JSON bytes to response JSON bytes, for each event
//! flavour, next to a bare jsonwebtoken decode + verify of the same token (the crypto floor).
//! `make bench` prints the overhead beyond the floor from these results.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;

use auth_aws::ConfigLoader;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::json;

const SECRET: &str = "bench-secret-0123456789abcdef-0123456789";

fn loader(extra: &[(&str, &str)]) -> ConfigLoader {
    let mut vars: HashMap<String, String> = HashMap::from([("JWT_SECRET".into(), SECRET.into())]);
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime
        .block_on(ConfigLoader::from_lookup(|k| vars.get(k).cloned(), None))
        .unwrap()
}

fn event(name: &str, token: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../events/authorizer/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .replace("REPLACE_WITH_ACCESS_TOKEN", token)
        .into_bytes()
}

fn bench(c: &mut Criterion) {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"iss": "lambda-api", "sub": "bench-user", "iat": now, "exp": now + 86_400,
                        "jti": "AAAAAAAAAAAAAAAAAAAAAA", "type": "access", "scope": "pets:read"});
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let expired_claims = json!({"iss": "lambda-api", "sub": "bench-user", "iat": now - 7200, "exp": now - 3600,
                                "jti": "AAAAAAAAAAAAAAAAAAAAAA", "type": "access"});
    let expired = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &expired_claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();

    let key = DecodingKey::from_secret(SECRET.as_bytes());
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_aud = false;
    validation.set_issuer(&["lambda-api"]);

    let plain = loader(&[]).config();
    let iam = loader(&[("AUTHORIZER_RESPONSE", "iam")]).config();
    let rules = std::fs::read_to_string(format!(
        "{}/../../docs/route-rules.example.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let ruled = loader(&[
        ("ROUTE_RULES", &rules),
        ("TOKEN_SOURCES", "query:token,header:authorization"),
    ])
    .config();

    let mut group = c.benchmark_group("authorizer");
    group.bench_function("floor_jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation).unwrap()
        })
    });
    let cases = [
        ("rest_token", &plain, event("rest-token.json", &token)),
        ("rest_request", &plain, event("rest-request.json", &token)),
        ("http_api_simple", &plain, event("http-api-v2.json", &token)),
        ("http_api_iam", &iam, event("http-api-v2.json", &token)),
        (
            "rest_request_route_rules",
            &ruled,
            event("rest-request.json", &token),
        ),
        (
            "websocket_route_rules",
            &ruled,
            event("websocket-connect.json", &token),
        ),
    ];
    for (name, config, bytes) in &cases {
        assert!(
            authorizer::handle_bytes(config, bytes).is_ok(),
            "{name} must be allowed"
        );
        group.bench_function(*name, |b| {
            b.iter(|| authorizer::handle_bytes(config, black_box(bytes)).unwrap())
        });
    }
    let request = event("rest-request.json", &token);
    group.bench_function("parse_only_rest_request", |b| {
        b.iter(|| authorizer::AuthorizerEvent::from_slice(black_box(&request)).unwrap())
    });
    group.bench_function("parse_and_header_rest_request", |b| {
        b.iter(|| {
            let e = authorizer::AuthorizerEvent::from_slice(black_box(&request)).unwrap();
            e.header("authorization").unwrap().len()
        })
    });
    group.bench_function("parse_value_rest_request", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&request)).unwrap())
    });
    let denied = event("rest-token.json", &expired);
    group.bench_function("rest_token_expired_denied", |b| {
        b.iter(|| authorizer::handle_bytes(&plain, black_box(&denied)).unwrap_err())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
