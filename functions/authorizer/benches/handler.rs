//! The whole authorizer in process, from event JSON bytes to response JSON bytes, for each event
//! flavour, next to a bare jsonwebtoken decode + verify of the same token (the crypto floor).
//! `make bench` prints the overhead beyond the floor from these results.
//!
//! The `algorithms` group is the whole handler (REST TOKEN event) with a token signed by a key
//! set of one key of each algorithm (HS256, ES256, EdDSA, RS256), issued by our own issuer: the
//! cost of each algorithm in the authorizer, the rest being equal.
//!
//! The `checks` group is the path with the optional checks (`authorize_with`, driven through a
//! current-thread runtime as in the binary): none, the revocation check answered from its cache,
//! trusted issuers configured (our token, and a trusted RS256 token with its JWKS already
//! fetched from a loopback server). With `BENCH_MOTO_ENDPOINT=http://127.0.0.1:<port>` (a running
//! moto_server) it also measures a revocation cache miss: one BatchGetItem per invocation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use auth_aws::{ConfigLoader, Store};
use auth_core::{Grant, KeyAlgorithm, KeySet, KeyStatus, generate_jwk};
use authorizer::Checks;
use authorizer::revocation::RevocationCheck;
use authorizer::trusted::TrustedIssuers;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::json;

const SECRET: &str = "bench-secret-0123456789abcdef-0123456789";
/// The audience the authorizer is configured with.
const AUDIENCE: &str = "https://api.example.test";

fn loader(extra: &[(&str, &str)]) -> ConfigLoader {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("JWT_SECRET".into(), SECRET.into()),
        ("TOKEN_AUDIENCE".into(), AUDIENCE.into()),
    ]);
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
    let claims = json!({"iss": "lambda-api", "aud": AUDIENCE, "sub": "bench-user", "iat": now, "exp": now + 86_400,
                        "jti": "AAAAAAAAAAAAAAAAAAAAAA", "type": "access", "scope": "pets:read"});
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let expired_claims = json!({"iss": "lambda-api", "aud": AUDIENCE, "sub": "bench-user", "iat": now - 7200, "exp": now - 3600,
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
        b.iter(|| authorizer::AuthorizerEvent::from_slice(black_box(&request)))
    });
    group.bench_function("parse_and_header_rest_request", |b| {
        b.iter(|| {
            let e = authorizer::AuthorizerEvent::from_slice(black_box(&request));
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

/// Serves `body` as JSON to every request, on a free loopback port; returns the URL.
fn jwks_server(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn algorithms(c: &mut Criterion) {
    let now = jsonwebtoken::get_current_timestamp();
    let mut group = c.benchmark_group("algorithms");
    for alg in [
        KeyAlgorithm::HS256,
        KeyAlgorithm::ES256,
        KeyAlgorithm::EdDSA,
        KeyAlgorithm::RS256,
    ] {
        let set = json!({ "keys": [generate_jwk(alg, KeyStatus::Active).unwrap()] }).to_string();
        let config = loader(&[("SIGNING_KEYS", &set)]).config();
        let grant = Grant {
            sub: "bench-user",
            client_id: "public",
            scope: Some("pets:read"),
            audience: None,
        };
        let token = config
            .issuer
            .as_ref()
            .unwrap()
            .issue_access(&grant, now)
            .unwrap()
            .token;
        let bytes = event("rest-token.json", &token);
        assert!(authorizer::handle_bytes(&config, &bytes).is_ok());
        group.bench_function(format!("rest_token_{}", alg.name()), |b| {
            b.iter(|| authorizer::handle_bytes(&config, black_box(&bytes)).unwrap())
        });
    }
    group.finish();
}

fn checks(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let jti = "AAAAAAAAAAAAAAAAAAAAAA";
    let claims = json!({"iss": "lambda-api", "aud": AUDIENCE, "sub": "bench-user", "iat": now, "exp": now + 86_400,
                        "jti": jti, "type": "access", "scope": "pets:read"});
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let own = event("rest-token.json", &token);

    // A trusted issuer with an RS256 key, its JWKS on loopback.
    let idp_issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench";
    let jwk = generate_jwk(KeyAlgorithm::RS256, KeyStatus::Active).unwrap();
    let idp = KeySet::from_json(&json!({ "keys": [jwk] }).to_string()).unwrap();
    let url = jwks_server(idp.public_jwks().to_string());
    let trusted_list = json!([{"issuer": idp_issuer, "jwks_uri": url, "client_ids": ["c1"],
                               "required_claims": {"token_use": "access"}}])
    .to_string();
    let idp_key = idp.active().unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = idp_key.kid().map(str::to_owned);
    let idp_claims = json!({"iss": idp_issuer, "sub": "7d1f-user", "client_id": "c1",
                            "token_use": "access", "scope": "pets:read", "iat": now,
                            "exp": now + 86_400, "jti": "cognito-jti"});
    let idp_token =
        jsonwebtoken::encode(&header, &idp_claims, idp_key.encoding_key().unwrap()).unwrap();
    let foreign = event("rest-token.json", &idp_token);

    let plain = loader(&[]).config();
    let none = Checks::none();
    let store = |endpoint: &str, table: &str| {
        let sdk = runtime.block_on(auth_aws::emulator_sdk_config(endpoint));
        Store::new(&sdk, table)
    };
    // Nothing listens on port 9: a cache miss would fail, so the bench proves it never misses.
    let cached = Checks {
        trusted: None,
        revocation: Some(RevocationCheck::new(
            store("http://127.0.0.1:9", "users"),
            Duration::from_secs(3600),
        )),
        token_cache: None,
    };
    if let Some(revocation) = &cached.revocation {
        revocation.remember(jti, false, Instant::now());
    }
    let trusted = Checks {
        trusted: Some(TrustedIssuers::parse(&trusted_list, "lambda-api", 30).unwrap()),
        revocation: None,
        token_cache: None,
    };
    // The first trusted token fetches the JWKS; every later one uses the keys held.
    runtime
        .block_on(authorizer::handle_bytes_with(&plain, &trusted, &foreign))
        .unwrap();

    let mut group = c.benchmark_group("checks");
    let cases = [
        ("rest_token_no_checks", &none, &own),
        ("rest_token_revocation_cache_hit", &cached, &own),
        ("rest_token_trusted_issuers_configured", &trusted, &own),
        ("rest_token_trusted_issuer_rs256", &trusted, &foreign),
    ];
    for (name, checks, bytes) in cases {
        runtime
            .block_on(authorizer::handle_bytes_with(&plain, checks, bytes))
            .unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime
                    .block_on(authorizer::handle_bytes_with(
                        &plain,
                        checks,
                        black_box(bytes),
                    ))
                    .unwrap()
            })
        });
    }
    if let Ok(endpoint) = std::env::var("BENCH_MOTO_ENDPOINT") {
        let table = format!("bench-users-{}", std::process::id());
        let store = store(&endpoint, &table);
        runtime.block_on(store.create_table()).unwrap();
        let missing = Checks {
            trusted: None,
            revocation: Some(RevocationCheck::new(store, Duration::ZERO)),
            token_cache: None,
        };
        group.bench_function("rest_token_revocation_cache_miss_moto", |b| {
            b.iter(|| {
                runtime
                    .block_on(authorizer::handle_bytes_with(
                        &plain,
                        &missing,
                        black_box(&own),
                    ))
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench, algorithms, checks);
criterion_main!(benches);
