//! `LOG_LEVEL=trace` on both built binaries, against moto_server, through every kind of request
//! they serve (register, login, the password, refresh and client_credentials grants,
//! introspect, revoke, logout, the authorizer's allow and deny with the revocation check on):
//! no log line holds a password, a client secret, an argon2 hash, the signing key's private
//! member or a whole token. At TRACE, lambda_runtime would log every raw event and aws-smithy
//! every DynamoDB item; crates other than ours are capped at DEBUG (telemetry's level.rs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use auth_aws::{ClientRecord, Store};
use auth_core::{KeyAlgorithm, KeySet, KeyStatus, PasswordHasher, generate_jwk};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use e2e::http::{aws_env, body, status, with_body};
use e2e::moto::moto;
use e2e::runtime_api::Function;
use e2e::secrets::Secrets;
use e2e::{event, unique};
use serde_json::{Value, json};

/// Neither form nor JSON encoding changes these, so each appears as is wherever it leaks.
const PASSWORD: &str = "trace-check-Passphrase-4921";
const CLIENT_SECRET: &str = "trace-check-client-secret-0123456789";

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn table() -> String {
    let table = unique("trace");
    block_on(async {
        let sdk = auth_aws::emulator_sdk_config(&moto().endpoint).await;
        let store = Store::new(&sdk, &table);
        store.create_table().await.unwrap();
        let record = ClientRecord {
            client_id: "billing".to_owned(),
            secret_hash: PasswordHasher::new().hash(CLIENT_SECRET).unwrap(),
            scopes: vec!["orders:read".to_owned()],
            name: "billing".to_owned(),
            created_at: 1,
        };
        store.create_client(&record).await.unwrap();
    });
    table
}

/// `name` started at `LOG_LEVEL=trace` with the table, `SIGNING_KEYS` and `extra`.
fn start(name: &str, table: &str, keys: &str, extra: &[(&'static str, &str)]) -> Function {
    let mut env = aws_env();
    env.push(("LOG_LEVEL", "trace".to_owned()));
    env.push(("USERS_TABLE", table.to_owned()));
    env.push(("SIGNING_KEYS", keys.to_owned()));
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Function::start(name, &env)
}

/// A sample event with its placeholders filled in.
fn filled(name: &str, replacements: &[(&str, &str)]) -> Value {
    let mut text = event(name).to_string();
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap()
}

fn ok(function: &Function, event: &Value, expected: u16) -> Value {
    let response = function.invoke(event).response();
    assert_eq!(status(&response), expected, "{response}");
    body(&response)
}

fn string(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
        .to_owned()
}

#[test]
fn no_log_line_at_trace_holds_a_secret() {
    let table = table();
    let keys = json!({ "keys": [generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap()] });
    let public = KeySet::from_json(&keys.to_string())
        .unwrap()
        .public_jwks()
        .to_string();
    let issuer = start("token_generator", &table, &keys.to_string(), &[]);
    let authorizer = start(
        "authorizer",
        &table,
        &public,
        &[("REVOCATION_CHECK", "true"), ("REVOCATION_CACHE_TTL", "0")],
    );
    let user = unique("user");
    let basic = STANDARD.encode(format!("billing:{CLIENT_SECRET}"));
    let mut secrets = Secrets::new();
    secrets
        .add("the password", PASSWORD)
        .add("the client secret", CLIENT_SECRET)
        .add("the client's Basic credentials", &basic)
        .add_private_jwk("the signing key", &keys);

    let account = json!({"username": user, "password": PASSWORD}).to_string();
    ok(
        &issuer,
        &with_body(event("token_generator/register.json"), &account),
        201,
    );
    let login = json!({"email": user, "password": PASSWORD}).to_string();
    let first = ok(
        &issuer,
        &with_body(event("token_generator/login.json"), &login),
        200,
    );
    let grant = format!("grant_type=password&username={user}&password={PASSWORD}");
    let second = ok(
        &issuer,
        &with_body(event("token_generator/token-password-form.json"), &grant),
        200,
    );
    let refreshed = ok(
        &issuer,
        &filled(
            "token_generator/token-refresh-form.json",
            &[(
                "REPLACE_WITH_REFRESH_TOKEN",
                &string(&second, "refresh_token"),
            )],
        ),
        200,
    );
    let client = ok(
        &issuer,
        &filled(
            "token_generator/token-client-credentials-basic.json",
            &[("REPLACE_WITH_BASIC", &basic)],
        ),
        200,
    );
    for tokens in [&first, &second, &refreshed, &client] {
        for key in ["access_token", "refresh_token"] {
            if let Some(token) = tokens[key].as_str() {
                secrets.add_token(key, token);
            }
        }
    }
    let access = string(&refreshed, "access_token");
    let introspected = ok(
        &issuer,
        &filled(
            "token_generator/introspect.json",
            &[
                ("REPLACE_WITH_BASIC", &basic),
                ("REPLACE_WITH_TOKEN", &access),
            ],
        ),
        200,
    );
    assert_eq!(introspected["active"], true, "{introspected}");

    // The authorizer allows a live token, then refuses it once revoked, and refuses a refresh
    // token and a token cut short.
    let bearer = |token: &str| {
        filled(
            "authorizer/rest-token.json",
            &[("REPLACE_WITH_ACCESS_TOKEN", token)],
        )
    };
    let allowed = authorizer.invoke(&bearer(&access)).response();
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
    ok(
        &issuer,
        &filled(
            "token_generator/revoke.json",
            &[
                ("REPLACE_WITH_TOKEN", &access),
                (
                    "token_type_hint=refresh_token",
                    "token_type_hint=access_token",
                ),
            ],
        ),
        200,
    );
    assert!(authorizer.invoke(&bearer(&access)).is_unauthorized());
    assert!(
        authorizer
            .invoke(&bearer(&string(&first, "refresh_token")))
            .is_unauthorized()
    );
    let cut = &access[..access.len() - 10];
    assert!(authorizer.invoke(&bearer(cut)).is_unauthorized());
    ok(
        &issuer,
        &filled(
            "token_generator/logout.json",
            &[("REPLACE_WITH_ACCESS_TOKEN", &string(&first, "access_token"))],
        ),
        200,
    );

    let issuer_logs = issuer.logs_containing("logged out");
    let authorizer_logs = authorizer.logs_containing("revoked");
    for logs in [&issuer_logs, &authorizer_logs] {
        secrets.assert_absent(logs);
        // The level really was lowered: DEBUG lines of the SDK are there, TRACE ones are not.
        assert!(logs.contains(r#""level":"DEBUG""#), "{logs}");
        assert!(!logs.contains("raw JSON event received from Lambda"));
    }
    assert!(
        authorizer_logs.contains(r#""reason":"revoked""#),
        "{authorizer_logs}"
    );
}
