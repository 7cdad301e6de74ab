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

use auth_core::KeyAlgorithm;
use test_support::authorizer::allowed;
use test_support::functions::on_table;
use test_support::responses::status;
use test_support::runtime_api::Function;
use test_support::token_generator::{self, PASSWORD, register};
use test_support::{key_sets, tables, unique};

/// Long enough for a revoke or a logout to finish inside it, so the cache is visible.
const CACHE_TTL_SECS: u64 = 3;

fn keys() -> String {
    key_sets::active(KeyAlgorithm::ES256).to_string()
}

fn checking_authorizer(table: &str, keys: &str) -> Function {
    let ttl = CACHE_TTL_SECS.to_string();
    on_table(
        "authorizer",
        table,
        keys,
        &[("REVOCATION_CHECK", "true"), ("REVOCATION_CACHE_TTL", &ttl)],
    )
}

/// A fresh access token of `user`.
fn login(issuer: &Function, user: &str) -> String {
    let tokens = token_generator::login(issuer, user, PASSWORD);
    tokens["access_token"].as_str().unwrap().to_owned()
}

fn revoke(issuer: &Function, token: &str) {
    let response = token_generator::revoke(issuer, token);
    assert_eq!(status(&response), 200, "{response}");
}

fn logout(issuer: &Function, token: &str) {
    let response = token_generator::logout(issuer, token);
    assert_eq!(status(&response), 200, "{response}");
}

fn past_the_cache_ttl() {
    std::thread::sleep(Duration::from_millis(CACHE_TTL_SECS * 1000 + 200));
}

#[test]
fn a_revoked_access_token_is_refused_once_the_cache_ttl_has_passed() {
    let table = tables::create("revocation");
    let keys = keys();
    let issuer = on_table("token_generator", &table, &keys, &[]);
    let user = unique("user");
    register(&issuer, &user, PASSWORD);
    let token = login(&issuer, &user);
    let authorizer = checking_authorizer(&table, &keys);
    let plain = on_table("authorizer", &table, &keys, &[]);

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
    let table = tables::create("revocation");
    let keys = keys();
    let issuer = on_table("token_generator", &table, &keys, &[]);
    let user = unique("user");
    register(&issuer, &user, PASSWORD);
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
    let table = tables::create("revocation");
    let issuer = on_table("token_generator", &table, &keys, &[]);
    let user = unique("user");
    register(&issuer, &user, PASSWORD);
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
