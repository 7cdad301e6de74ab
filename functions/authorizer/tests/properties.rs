//! Property tests over the authorizer's whole input: arbitrary bytes and arbitrary events never
//! panic, and nothing is ever allowed without a validly signed token.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::OnceLock;

use auth_aws::{Config, ConfigLoader};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proptest::prelude::*;
use serde_json::{Value, json};

const SECRET: &str = "property-secret-0123456789abcdef-012345";

fn config(response: &str) -> std::sync::Arc<Config> {
    let vars: HashMap<&str, &str> = HashMap::from([
        ("JWT_SECRET", SECRET),
        ("TOKEN_AUDIENCE", "https://api.example.test"),
        ("AUTHORIZER_RESPONSE", response),
        (
            "TOKEN_SOURCES",
            "header:authorization,query:token,cookie:access_token",
        ),
        (
            "ROUTE_RULES",
            r#"{"default": "authenticated", "rules": [{"route": "ANY /admin/*", "all_of": ["admin"]}]}"#,
        ),
    ]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let loader = runtime
        .block_on(ConfigLoader::from_lookup(
            |k| vars.get(k).map(|v| (*v).to_owned()),
            None,
        ))
        .unwrap();
    loader.config()
}

fn configs() -> &'static [std::sync::Arc<Config>; 2] {
    static CONFIGS: OnceLock<[std::sync::Arc<Config>; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| [config("simple"), config("iam")])
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A token signed with the right secret, valid now.
fn valid_token(sub: &str, scope: &str) -> String {
    let claims = json!({"iss": "lambda-api", "aud": "https://api.example.test", "sub": sub, "iat": now(), "exp": now() + 600,
                        "jti": "p", "type": "access", "scope": scope});
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// Tokens that must never be accepted, built from a valid one.
fn hostile_token() -> impl Strategy<Value = String> {
    let base = valid_token("mallory", "admin");
    let len = base.len();
    prop_oneof![
        // One byte changed anywhere.
        (0..len, any::<u8>()).prop_map({
            let base = base.clone();
            move |(i, b)| {
                let mut bytes = base.clone().into_bytes();
                let replacement = if bytes[i] == b { b.wrapping_add(1) } else { b };
                bytes[i] = replacement;
                String::from_utf8_lossy(&bytes).into_owned()
            }
        }),
        // Truncated.
        (0..len).prop_map({
            let base = base.clone();
            move |n| base[..n].to_owned()
        }),
        // Signed with another secret, or another algorithm, or unsigned.
        Just(
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &json!({"iss": "lambda-api", "aud": "https://api.example.test", "sub": "mallory",
            "iat": now(), "exp": now() + 600, "jti": "p", "type": "access"}),
                &EncodingKey::from_secret(b"another-secret-0123456789abcdef-0123456")
            )
            .unwrap()
        ),
        Just(
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS512),
                &json!({"iss": "lambda-api", "aud": "https://api.example.test", "sub": "mallory",
            "iat": now(), "exp": now() + 600, "jti": "p", "type": "access"}),
                &EncodingKey::from_secret(SECRET.as_bytes())
            )
            .unwrap()
        ),
        Just(format!(
            "eyJhbGciOiJub25lIn0.{}.",
            base.split('.').nth(1).unwrap()
        )),
        "[A-Za-z0-9._~+/=-]{0,400}",
        ".{0,200}",
    ]
}

fn arn() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("arn:aws:execute-api:us-east-1:123456789012:api1/dev/GET/pets/1".to_owned()),
        Just("arn:aws:execute-api:us-east-1:123456789012:api1/dev/DELETE/admin/x".to_owned()),
        Just("arn:aws:execute-api:us-east-1:123456789012:ws1/dev/$connect".to_owned()),
        ".{0,80}",
    ]
}

/// An event of any flavour (or none) carrying `token` in some place.
fn event(token: String) -> impl Strategy<Value = Value> {
    let t = token;
    (0..8u8, arn(), any::<bool>(), "[a-zA-Z-]{1,20}").prop_map(move |(shape, arn, bearer, noise)| {
        let value = if bearer { format!("Bearer {t}") } else { t.clone() };
        match shape {
            0 => json!({"type": "TOKEN", "authorizationToken": value, "methodArn": arn}),
            1 => json!({"type": "REQUEST", "methodArn": arn, "headers": {"Authorization": value, noise: "x"}}),
            2 => json!({"type": "REQUEST", "methodArn": arn, "queryStringParameters": {"token": t}}),
            3 => json!({"version": "2.0", "type": "REQUEST", "routeArn": arn, "headers": {"authorization": value}}),
            4 => json!({"version": "2.0", "type": "REQUEST", "routeArn": arn, "cookies": [format!("access_token={t}")]}),
            5 => json!({"type": "REQUEST", "methodArn": arn, "multiValueHeaders": {"authorization": [value, noise]}}),
            6 => json!({"type": noise, "authorizationToken": value, "methodArn": arn}),
            _ => json!([value, arn]),
        }
    })
}

/// Whether a response lets a request through.
fn allows(response: &[u8]) -> bool {
    let value: Value = serde_json::from_slice(response).unwrap();
    if value["isAuthorized"] == true {
        return true;
    }
    value["policyDocument"]["Statement"]
        .as_array()
        .is_some_and(|statements| statements.iter().any(|s| s["Effect"] == "Allow"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for config in configs() {
            if let Ok(response) = authorizer::handle_bytes(config, &bytes) {
                prop_assert!(!allows(&response), "allowed: {bytes:?}");
            }
        }
    }

    #[test]
    fn arbitrary_json_never_panics(json in any_json()) {
        let bytes = serde_json::to_vec(&json).unwrap();
        for config in configs() {
            if let Ok(response) = authorizer::handle_bytes(config, &bytes) {
                prop_assert!(!allows(&response), "allowed without any token: {json}");
            }
        }
    }

    #[test]
    fn hostile_tokens_are_never_allowed(event in hostile_token().prop_flat_map(event)) {
        let bytes = serde_json::to_vec(&event).unwrap();
        for config in configs() {
            if let Ok(response) = authorizer::handle_bytes(config, &bytes) {
                prop_assert!(!allows(&response), "allowed: {event}");
            }
        }
    }

    #[test]
    fn valid_tokens_in_well_formed_events_are_allowed(shape in 0..5u8, noise in "[a-z-]{1,12}") {
        // Not a tautology: the same generator shapes with a valid token must be let through.
        let token = valid_token("alice", "pets:read");
        let bearer = format!("Bearer {token}");
        let arn = "arn:aws:execute-api:us-east-1:123456789012:api1/dev/GET/pets/1";
        let event = match shape {
            0 => json!({"type": "TOKEN", "authorizationToken": bearer, "methodArn": arn}),
            1 => json!({"type": "REQUEST", "methodArn": arn, "headers": {"Authorization": bearer, noise: "x"}}),
            2 => json!({"type": "REQUEST", "methodArn": arn, "queryStringParameters": {"token": token}}),
            3 => json!({"version": "2.0", "type": "REQUEST", "routeArn": arn, "headers": {"authorization": bearer}}),
            _ => json!({"version": "2.0", "type": "REQUEST", "routeArn": arn, "cookies": [format!("access_token={token}")]}),
        };
        let bytes = serde_json::to_vec(&event).unwrap();
        for config in configs() {
            let response = authorizer::handle_bytes(config, &bytes);
            prop_assert!(response.as_ref().is_ok_and(|r| allows(r)), "refused: {event}");
        }
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("TOKEN".to_owned()),
            Just("REQUEST".to_owned()),
            Just("2.0".to_owned()),
            ".{0,30}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::hash_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("version".to_owned()),
                    Just("authorizationToken".to_owned()),
                    Just("methodArn".to_owned()),
                    Just("routeArn".to_owned()),
                    Just("headers".to_owned()),
                    Just("multiValueHeaders".to_owned()),
                    Just("queryStringParameters".to_owned()),
                    Just("cookies".to_owned()),
                    Just("authorization".to_owned()),
                    ".{0,10}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
