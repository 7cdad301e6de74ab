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

use auth_core::KeyAlgorithm;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use test_support::functions::on_table;
use test_support::requests::{filled, with_body};
use test_support::responses::{body, status};
use test_support::runtime_api::Function;
use test_support::secrets::Secrets;
use test_support::{event, key_sets, tables, unique};

/// Neither form nor JSON encoding changes these, so each appears as is wherever it leaks.
const PASSWORD: &str = "trace-check-Passphrase-4921";
const CLIENT_SECRET: &str = "trace-check-client-secret-0123456789";

/// A fresh table holding the confidential client `billing`.
fn table() -> String {
    let table = tables::create("trace");
    tables::create_client(&table, "billing", CLIENT_SECRET, &["orders:read"]);
    table
}

/// `name` started at `LOG_LEVEL=trace` with the table, `SIGNING_KEYS` and `extra`.
fn start(name: &str, table: &str, keys: &str, extra: &[(&str, &str)]) -> Function {
    on_table(
        name,
        table,
        keys,
        &[&[("LOG_LEVEL", "trace")], extra].concat(),
    )
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
    let keys = key_sets::active(KeyAlgorithm::ES256);
    let public = key_sets::public_jwks(&keys).to_string();
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
