//! Hardening from the attack review, through the built binaries against moto_server: attempts are
//! counted before the password is checked (at most LOCKOUT_THRESHOLD checks however many
//! instances guess at once), a locked `invalid_grant` answer costs a (dummy) check too, clients
//! are never locked out, user names and client ids are separate namespaces whose tokens tell
//! them apart, registrations are throttled per source address, and hostile events (a body marked
//! base64 that is not) are 400 answers, also from the release-profile binary (`panic = "abort"`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use auth_core::KeyAlgorithm;
use serde_json::{Value, json};
use test_support::authorizer::allowed;
use test_support::functions::{on_table, table_env};
use test_support::requests::{basic, filled};
use test_support::responses::{assert_oauth_error, body, header, status};
use test_support::runtime_api::{Function, Outcome};
use test_support::token_generator::{
    PASSWORD, client_credentials, login, password_grant, register, register_event,
};
use test_support::tokens::claims_of;
use test_support::{event, key_sets, tables, unique, workspace_root};

const CLIENT_SECRET: &str = "client-secret-for-tests-0123456789";
/// Debug logs, so that every password check shows (`password_checked`).
const DEBUG: (&str, &str) = ("LOG_LEVEL", "debug");

fn keys() -> String {
    key_sets::active(KeyAlgorithm::ES256).to_string()
}

/// `name` over `table` with `keys`, at debug, plus `extra`.
fn start(name: &str, table: &str, keys: &str, extra: &[(&str, &str)]) -> Function {
    on_table(name, table, keys, &[&[DEBUG], extra].concat())
}

fn ev(name: &str) -> Value {
    event(&format!("token_generator/{name}"))
}

/// A client `id` that may have orders:read and orders:write.
fn create_client(table: &str, id: &str) {
    tables::create_client(table, id, CLIENT_SECRET, &["orders:read", "orders:write"]);
}

/// How many password verifications the function logged (`dummy`: only those of the dummy hash).
fn checks(function: &Function, dummy: Option<bool>) -> usize {
    function
        .logs()
        .lines()
        .filter(|line| line.contains("password_checked"))
        .filter(|line| match dummy {
            None => true,
            Some(dummy) => line.contains(&format!("\"dummy\":{dummy}")),
        })
        .count()
}

#[test]
fn concurrent_guesses_from_many_instances_check_at_most_the_threshold() {
    let table = tables::create("hardening");
    let keys = keys();
    let extra = [
        ("LOCKOUT_THRESHOLD", "5"),
        ("LOCKOUT_IP_THRESHOLD", "1000"),
        ("LOCKOUT_BASE_SECONDS", "300"),
    ];
    // Twelve instances, as Lambda would run under a burst of guesses at one account.
    let functions: Vec<Function> = (0..12)
        .map(|_| start("token_generator", &table, &keys, &extra))
        .collect();
    let user = unique("victim");
    register(&functions[0], &user, PASSWORD);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = functions
            .iter()
            .map(|function| {
                scope.spawn(|| {
                    (0..2)
                        .map(|i| {
                            status(&password_grant(
                                function,
                                &user,
                                &format!("guess-{i}!"),
                                None,
                            ))
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    std::thread::sleep(Duration::from_millis(300));
    let checked: usize = functions.iter().map(|f| checks(f, None)).sum();
    assert!(
        (1..=5).contains(&checked),
        "{checked} password checks for a threshold of 5: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        checked,
        "every checked guess is a wrong password, every other one is locked: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 400 || *s == 429),
        "{statuses:?}"
    );
    // The lock holds for the right password too, which is not even checked.
    let right = password_grant(&functions[0], &user, PASSWORD, None);
    assert_oauth_error(&right, 429, "too_many_attempts");
    assert!(header(&right, "retry-after").is_some());
    let after: usize = functions.iter().map(|f| checks(f, None)).sum();
    assert_eq!(after, checked);
}

#[test]
fn a_locked_attempt_answered_invalid_grant_costs_a_dummy_check() {
    let table = tables::create("hardening");
    let function = start(
        "token_generator",
        &table,
        &keys(),
        &[
            ("LOCKOUT_THRESHOLD", "1"),
            ("LOCKOUT_BASE_SECONDS", "300"),
            ("LOCKOUT_RESPONSE", "invalid_grant"),
        ],
    );
    let user = unique("user");
    register(&function, &user, PASSWORD);
    assert_oauth_error(
        &password_grant(&function, &user, "wrong password!", None),
        400,
        "invalid_grant",
    );
    assert_eq!(checks(&function, Some(false)), 1);
    assert_eq!(checks(&function, Some(true)), 0);
    // Locked: the right password gets the wrong-password answer, after a verification of the
    // dummy hash (so it takes as long as a real check), never of the user's hash.
    assert_oauth_error(
        &password_grant(&function, &user, PASSWORD, None),
        400,
        "invalid_grant",
    );
    let logs = function.logs_containing("\"dummy\":true");
    assert_eq!(checks(&function, Some(true)), 1, "{logs}");
    assert_eq!(checks(&function, Some(false)), 1, "{logs}");
    assert!(logs.contains("locked_out"), "{logs}");
}

#[test]
fn client_secret_failures_are_counted_and_alarmed_never_locked() {
    let table = tables::create("hardening");
    let function = start(
        "token_generator",
        &table,
        &keys(),
        &[("LOCKOUT_THRESHOLD", "2"), ("LOCKOUT_IP_THRESHOLD", "2")],
    );
    let client = unique("svc");
    create_client(&table, &client);
    for _ in 0..5 {
        assert_oauth_error(
            &client_credentials(&function, &client, "guess"),
            401,
            "invalid_client",
        );
    }
    // Five failures over a threshold of 2: the client still gets its token.
    let response = client_credentials(&function, &client, CLIENT_SECRET);
    assert_eq!(status(&response), 200, "{response}");
    let logs = function.logs_containing("ClientAuthFailures");
    assert_eq!(logs.matches("client_auth_failed").count(), 5, "{logs}");
    assert!(logs.contains("\"ClientAuthFailures\""), "{logs}");
    assert!(!logs.contains("\"LoginFailures\""), "{logs}");
    assert!(!logs.contains("\"lockout\""), "{logs}");
}

#[test]
fn a_user_and_a_client_may_share_a_name_and_their_tokens_tell_them_apart() {
    let table = tables::create("hardening");
    let keys = keys();
    let function = start("token_generator", &table, &keys, &[]);
    let name = unique("payments");
    create_client(&table, &name);
    // Registering never looks at clients: the name is free for a user, and a second user of it
    // gets a 409 that speaks of users.
    register(&function, &name, PASSWORD);
    let again = function.invoke(&register_event(&name, PASSWORD)).response();
    assert_oauth_error(&again, 409, "user_exists");
    let description = body(&again)["error_description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!description.contains("client"), "{description}");

    let client_token = body(&client_credentials(&function, &name, CLIENT_SECRET))["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let user_tokens = login(&function, &name, PASSWORD);
    let user_token = user_tokens["access_token"].as_str().unwrap();
    // The client's token: sub = client_id = its id, no family. The user's: a family, always.
    let client_claims = claims_of(&client_token);
    assert_eq!(client_claims["sub"], name.as_str());
    assert_eq!(client_claims["client_id"], name.as_str());
    assert!(client_claims.get("fam").is_none(), "{client_claims}");
    let user_claims = claims_of(user_token);
    assert_eq!(user_claims["sub"], name.as_str());
    assert_eq!(user_claims["client_id"], "public");
    assert!(user_claims["fam"].is_string(), "{user_claims}");

    // Introspection names the user only for the user's token.
    let introspect = |token: &str| {
        let event = filled(
            "token_generator/introspect.json",
            &[
                ("REPLACE_WITH_BASIC", &basic(&name, CLIENT_SECRET)),
                ("REPLACE_WITH_TOKEN", token),
            ],
        );
        body(&function.invoke(&event).response())
    };
    let answer = introspect(&client_token);
    assert_eq!(answer["active"], true, "{answer}");
    assert!(answer.get("username").is_none(), "{answer}");
    let answer = introspect(user_token);
    assert_eq!(answer["username"], name.as_str(), "{answer}");

    // The client's token signs no user in: it cannot log the user out.
    let logout = |token: &str| {
        function
            .invoke(&filled(
                "token_generator/logout.json",
                &[("REPLACE_WITH_ACCESS_TOKEN", token)],
            ))
            .response()
    };
    assert_oauth_error(&logout(&client_token), 401, "invalid_token");
    let authorizer = start(
        "authorizer",
        &table,
        &keys,
        &[("REVOCATION_CHECK", "true"), ("REVOCATION_CACHE_TTL", "0")],
    );
    assert!(allowed(&authorizer, user_token));
    // The user's logout ends the user's sessions, not the client's token of the same `sub`.
    std::thread::sleep(Duration::from_millis(1_100));
    assert_eq!(status(&logout(user_token)), 200);
    assert!(!allowed(&authorizer, user_token));
    assert!(allowed(&authorizer, &client_token));
}

#[test]
fn registrations_are_throttled_per_source_address() {
    let table = tables::create("hardening");
    let function = start(
        "token_generator",
        &table,
        &keys(),
        &[
            ("REGISTER_IP_LIMIT", "2"),
            ("REGISTER_WINDOW_SECONDS", "600"),
        ],
    );
    register(&function, &unique("first"), PASSWORD);
    // A refused registration (the name taken) counts too: the limit is on attempts.
    let taken = unique("taken");
    register(&function, &taken, PASSWORD);
    let refused = function
        .invoke(&register_event(&unique("third"), PASSWORD))
        .response();
    assert_oauth_error(&refused, 429, "too_many_requests");
    let retry: u64 = header(&refused, "retry-after").unwrap().parse().unwrap();
    assert!((590..=600).contains(&retry), "{retry}");
    // Counted before the password is hashed: the refusal costs no argon2 and no write.
    let logs = function.logs_containing("register_throttled");
    assert!(logs.contains("register_throttled"), "{logs}");
    // Another address has its own count.
    let mut other = register_event(&unique("elsewhere"), PASSWORD);
    other["requestContext"]["identity"]["sourceIp"] = json!("198.51.100.23");
    assert_eq!(status(&function.invoke(&other).response()), 201);
}

/// Events whose conversion panics inside lambda_http (a body marked base64 that is not, a path
/// or query no URL holds), REST and HTTP API.
fn hostile_events() -> Vec<Value> {
    let mut rest = ev("token-password-form.json");
    rest["isBase64Encoded"] = json!(true);
    rest["body"] = json!("%%% not base64 %%%");
    let mut http = ev("token-password-form-base64.json");
    http["body"] = json!("Z3JhbnRf$$$");
    let mut host = ev("health.json");
    host["headers"]["host"] = json!("bad host:99999");
    host["multiValueHeaders"] = json!({"host": ["bad host:99999"]});
    vec![rest, http, host]
}

fn assert_survives_hostile_events(function: &Function) {
    let [bad_rest, bad_http, bad_host] = <[Value; 3]>::try_from(hostile_events()).unwrap();
    for bad in [bad_rest, bad_http] {
        match function.invoke(&bad) {
            Outcome::Response(response) => {
                assert_oauth_error(&response, 400, "invalid_request");
            }
            other => panic!("{other:?}\n{}", function.logs()),
        }
    }
    // A Host header no URL holds is of no concern to the function: it is answered as usual.
    let response = function.invoke(&bad_host).response();
    assert_eq!(status(&response), 200, "{response}");
    let response = function.invoke(&ev("health.json")).response();
    assert_eq!(status(&response), 200, "{response}");
}

#[test]
fn a_body_marked_base64_that_is_not_is_a_400_and_the_function_lives_on() {
    let table = tables::create("hardening");
    let function = start("token_generator", &table, &keys(), &[]);
    assert_survives_hostile_events(&function);
}

#[test]
fn a_binary_that_aborts_on_panic_survives_hostile_events() {
    // The release profile aborts on a panic; the panic-abort profile (root Cargo.toml, built by
    // `make test`) is the dev build with that panic strategy.
    let path = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("target"))
        .join("panic-abort")
        .join("token_generator");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --profile panic-abort --bin token_generator` (make test does)",
        path.display()
    );
    let table = tables::create("hardening");
    let env = table_env(&table, &keys(), &[DEBUG]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let function = Function::start_binary(&path, "token_generator", &env);
    // Each invocation fails the test if the process has exited: the last health check is
    // answered by the same process that got every hostile event.
    assert_survives_hostile_events(&function);
}
