//! The built `authorizer` with `REVOCATION_CHECK`, against moto_server: tokens issued by the
//! built `token_generator` are refused once revoked (`POST /revoke`) or once their user logged
//! out, within `REVOCATION_CACHE_TTL`; a table that cannot answer refuses the token.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use auth_aws::Store;
use auth_core::{KeyAlgorithm, KeyStatus, generate_jwk};
use e2e::http::{aws_env, body, status, with_body};
use e2e::moto::moto;
use e2e::runtime_api::Function;
use e2e::{event, unique};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
/// Long enough for a revoke or a logout to finish inside it, so the cache is visible.
const CACHE_TTL_SECS: u64 = 3;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A fresh table on the shared moto_server.
fn table() -> String {
    let table = unique("revocation");
    block_on(async {
        let sdk = auth_aws::emulator_sdk_config(&moto().endpoint).await;
        Store::new(&sdk, &table).create_table().await.unwrap();
    });
    table
}

fn keys() -> String {
    json!({ "keys": [generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap()] }).to_string()
}

fn start(name: &str, table: &str, keys: &str, extra: &[(&'static str, &str)]) -> Function {
    let mut env = aws_env();
    env.push(("USERS_TABLE", table.to_owned()));
    env.push(("SIGNING_KEYS", keys.to_owned()));
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Function::start(name, &env)
}

fn checking_authorizer(table: &str, keys: &str) -> Function {
    let ttl = CACHE_TTL_SECS.to_string();
    start(
        "authorizer",
        table,
        keys,
        &[("REVOCATION_CHECK", "true"), ("REVOCATION_CACHE_TTL", &ttl)],
    )
}

fn filled(name: &str, from: &str, to: &str) -> Value {
    let text = event(&format!("token_generator/{name}"))
        .to_string()
        .replace(from, to);
    serde_json::from_str(&text).unwrap()
}

fn register(issuer: &Function, user: &str) {
    let event = with_body(
        event("token_generator/register.json"),
        &json!({"username": user, "password": PASSWORD}).to_string(),
    );
    let response = issuer.invoke(&event).response();
    assert_eq!(status(&response), 201, "{response}");
}

/// A fresh access token of `user`.
fn login(issuer: &Function, user: &str) -> String {
    let body_text =
        format!("grant_type=password&username={user}&password=correct+horse+battery+staple");
    let response = issuer
        .invoke(&with_body(
            event("token_generator/token-password-form.json"),
            &body_text,
        ))
        .response();
    assert_eq!(status(&response), 200, "{response}");
    body(&response)["access_token"].as_str().unwrap().to_owned()
}

fn revoke(issuer: &Function, token: &str) {
    let response = issuer
        .invoke(&filled("revoke.json", "REPLACE_WITH_TOKEN", token))
        .response();
    assert_eq!(status(&response), 200, "{response}");
}

fn logout(issuer: &Function, token: &str) {
    let response = issuer
        .invoke(&filled("logout.json", "REPLACE_WITH_ACCESS_TOKEN", token))
        .response();
    assert_eq!(status(&response), 200, "{response}");
}

fn allowed(authorizer: &Function, token: &str) -> bool {
    let text = event("authorizer/rest-token.json")
        .to_string()
        .replace("REPLACE_WITH_ACCESS_TOKEN", token);
    let outcome = authorizer.invoke(&serde_json::from_str(&text).unwrap());
    if outcome.is_unauthorized() {
        return false;
    }
    outcome.response()["policyDocument"]["Statement"][0]["Effect"] == "Allow"
}

fn past_the_cache_ttl() {
    std::thread::sleep(Duration::from_millis(CACHE_TTL_SECS * 1000 + 200));
}

#[test]
fn a_revoked_access_token_is_refused_once_the_cache_ttl_has_passed() {
    let table = table();
    let keys = keys();
    let issuer = start("token_generator", &table, &keys, &[]);
    let user = unique("user");
    register(&issuer, &user);
    let token = login(&issuer, &user);
    let authorizer = checking_authorizer(&table, &keys);
    let plain = start("authorizer", &table, &keys, &[]);

    assert!(allowed(&authorizer, &token));
    revoke(&issuer, &token);
    // The answer cached a moment ago still holds...
    assert!(
        allowed(&authorizer, &token),
        "cached for REVOCATION_CACHE_TTL"
    );
    past_the_cache_ttl();
    // ...and once it has expired the table is asked again.
    assert!(!allowed(&authorizer, &token));
    let logs = authorizer.logs_containing("revoked");
    assert!(logs.contains("\"revoked\""), "{logs}");
    // Another token of the same user is not affected.
    assert!(allowed(&authorizer, &login(&issuer, &user)));
    // Without REVOCATION_CHECK the revoked token passes until it expires.
    assert!(allowed(&plain, &token));
}

#[test]
fn a_logout_refuses_every_token_issued_before_it() {
    let table = table();
    let keys = keys();
    let issuer = start("token_generator", &table, &keys, &[]);
    let user = unique("user");
    register(&issuer, &user);
    let first = login(&issuer, &user);
    let second = login(&issuer, &user);
    let authorizer = checking_authorizer(&table, &keys);
    assert!(allowed(&authorizer, &first));
    assert!(allowed(&authorizer, &second));

    logout(&issuer, &first);
    past_the_cache_ttl();
    // The token logged out with and the other one issued before the logout.
    assert!(!allowed(&authorizer, &first));
    assert!(!allowed(&authorizer, &second));
    // A sign-in after the logout (a later second: iat must be past logout_at) is fine.
    std::thread::sleep(Duration::from_millis(1100));
    assert!(allowed(&authorizer, &login(&issuer, &user)));
}

#[test]
fn a_table_that_cannot_answer_refuses_the_token() {
    let keys = keys();
    let table = table();
    let issuer = start("token_generator", &table, &keys, &[]);
    let user = unique("user");
    register(&issuer, &user);
    let token = login(&issuer, &user);
    // A table that does not exist: DynamoDB answers ResourceNotFoundException.
    let authorizer = checking_authorizer(&unique("no-such-table"), &keys);
    assert!(!allowed(&authorizer, &token));
    assert!(!allowed(&authorizer, &token), "failures are not cached");
    let logs = authorizer.logs_containing("revocation_check_failed");
    assert!(logs.contains("revocation check failed"), "{logs}");
    assert!(logs.contains("ERROR"), "{logs}");
    assert!(!logs.contains(&token));
}

#[test]
fn revocation_check_without_users_table_fails_the_cold_start() {
    let keys = keys();
    let function = Function::start(
        "authorizer",
        &[
            ("SIGNING_KEYS", keys.as_str()),
            ("REVOCATION_CHECK", "true"),
        ],
    );
    let status = function.wait_exit().expect("the process should exit");
    assert!(!status.success());
    let logs = function.logs_containing("USERS_TABLE is required");
    assert!(
        logs.contains("USERS_TABLE is required when REVOCATION_CHECK is true"),
        "{logs}"
    );
}
