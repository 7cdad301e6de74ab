//! The built `token_generator` binary under the Lambda Runtime API harness, against moto_server
//! (DynamoDB and SSM through the real SDK), with the events in events/token_generator; and its
//! tokens accepted by the built `authorizer`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aws_sdk_ssm::types::ParameterType;
use serde_json::{Value, json};
use test_support::authorizer::answer;
use test_support::functions::on_moto;
use test_support::requests::with_body;
use test_support::responses::{assert_oauth_error, body, header, status};
use test_support::runtime_api::{Function, Outcome};
use test_support::secrets::Secrets;
use test_support::token_generator::{PASSWORD, logout, refresh};
use test_support::{event, parameters, tables, unique};

const SECRET: &str = "e2e-token-secret-0123456789abcdef-0123456";

/// A table and SSM parameters of its own on the shared moto_server.
struct Setup {
    table: String,
    secret_param: String,
    ttl_param: String,
}

fn setup(ttl: &str) -> Setup {
    let setup = Setup {
        table: tables::create("users"),
        secret_param: format!("/{}/auth/jwt-secret", unique("app")),
        ttl_param: format!("/{}/auth/token/time", unique("app")),
    };
    parameters::put(&setup.secret_param, SECRET, ParameterType::SecureString);
    parameters::put(&setup.ttl_param, ttl, ParameterType::String);
    setup
}

fn start(setup: &Setup, extra: &[(&str, &str)]) -> Function {
    let env = [
        ("JWT_SECRET_PARAM", setup.secret_param.as_str()),
        ("ACCESS_TOKEN_TTL_PARAM", &setup.ttl_param),
        ("USERS_TABLE", &setup.table),
    ];
    on_moto("token_generator", &[&env, extra].concat())
}

/// A sample event for user `user` (in place of alice@example.com).
fn ev(name: &str, user: &str) -> Value {
    let encoded = user.replace('@', "%40");
    let text = event(&format!("token_generator/{name}"))
        .to_string()
        .replace("alice%40example.com", &encoded)
        .replace("alice@example.com", user);
    serde_json::from_str(&text).unwrap()
}

fn user() -> String {
    format!("{}@example.com", unique("user"))
}

fn register(function: &Function, user: &str) {
    let response = function.invoke(&ev("register.json", user)).response();
    assert_eq!(status(&response), 201, "{response}");
}

fn login(function: &Function, user: &str) -> Value {
    let response = function.invoke(&ev("login.json", user)).response();
    assert_eq!(status(&response), 200, "{response}");
    body(&response)
}

#[test]
fn register_login_refresh_logout_and_the_authorizer_accepts_the_token() {
    let setup = setup("900");
    let function = start(&setup, &[]);
    let user = user();
    register(&function, &user);

    // Login and both password-grant encodings give the token response.
    let tokens = login(&function, &user);
    for name in [
        "token-password-json.json",
        "token-password-form.json",
        "token-password-form-base64.json",
    ] {
        let mut event = ev(name, &user);
        if event["isBase64Encoded"] == true {
            // HTTP APIs base64-encode form bodies; re-encode for this test's user.
            use base64::Engine as _;
            let form = format!(
                "grant_type=password&username={}&password=correct+horse+battery+staple",
                user.replace('@', "%40")
            );
            event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(form));
        }
        let response = function.invoke(&event).response();
        assert_eq!(status(&response), 200, "{name}: {response}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-store")
        );
        let body = body(&response);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900, "the token time comes from SSM");
        assert!(body["access_token"].is_string() && body["refresh_token"].is_string());
    }

    // The authorizer, configured with the same secret, accepts the access token.
    let authorizer = Function::start("authorizer", &[("JWT_SECRET", SECRET)]);
    let access = tokens["access_token"].as_str().unwrap();
    let allow = answer(&authorizer, access).expect("the access token is allowed");
    assert_eq!(allow["principalId"], user.as_str());
    // ... but not the refresh token.
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert!(answer(&authorizer, refresh_token).is_none());

    // Refresh rotates: the new pair works, the old refresh token is dead.
    let rotated = refresh(&function, refresh_token, None);
    assert_eq!(status(&rotated), 200, "{rotated}");
    assert_eq!(
        header(&rotated, "cache-control").as_deref(),
        Some("no-store")
    );
    let rotated = body(&rotated);
    assert_ne!(rotated["refresh_token"], tokens["refresh_token"]);
    assert_oauth_error(
        &refresh(&function, refresh_token, None),
        400,
        "invalid_grant",
    );

    // Logout kills every refresh token of the user, including ones from other logins.
    let other_session = login(&function, &user);
    let response = logout(&function, rotated["access_token"].as_str().unwrap());
    assert_eq!(status(&response), 200, "{response}");
    for token in [&rotated["refresh_token"], &other_session["refresh_token"]] {
        assert_oauth_error(
            &refresh(&function, token.as_str().unwrap(), None),
            400,
            "invalid_grant",
        );
    }
    // A fresh login works again.
    let again = login(&function, &user);
    assert_eq!(
        status(&refresh(
            &function,
            again["refresh_token"].as_str().unwrap(),
            None
        )),
        200
    );
}

#[test]
fn duplicate_registration_conflicts_and_weak_password_is_refused() {
    let setup = setup("3600");
    let function = start(&setup, &[]);
    let user = user();
    register(&function, &user);
    let again = function.invoke(&ev("register.json", &user)).response();
    assert_eq!(status(&again), 409, "{again}");
    let weak = function
        .invoke(&ev("register-weak-password.json", &format!("x{user}")))
        .response();
    assert_oauth_error(&weak, 400, "invalid_request");
}

#[test]
fn unknown_user_and_wrong_password_get_the_same_answer() {
    let setup = setup("3600");
    let function = start(&setup, &[]);
    let user = user();
    register(&function, &user);
    let wrong = with_body(
        ev("token-password-form.json", &user),
        &format!(
            "grant_type=password&username={}&password=wrong-password-1",
            user.replace('@', "%40")
        ),
    );
    let unknown = with_body(
        ev("token-password-form.json", &user),
        "grant_type=password&username=nobody%40example.com&password=wrong-password-1",
    );
    let wrong = function.invoke(&wrong).response();
    let unknown = function.invoke(&unknown).response();
    assert_oauth_error(&wrong, 400, "invalid_grant");
    assert_eq!(body(&wrong), body(&unknown));
    assert_eq!(status(&wrong), status(&unknown));
    let login = with_body(
        ev("login.json", &user),
        &json!({"username": user, "password": "nope-nope-nope"}).to_string(),
    );
    assert_oauth_error(&function.invoke(&login).response(), 400, "invalid_grant");
}

#[test]
fn malformed_and_unsupported_requests_get_oauth_errors() {
    let setup = setup("3600");
    let function = start(&setup, &[]);
    let unsupported = function
        .invoke(&ev("token-unsupported-grant.json", "-"))
        .response();
    assert_oauth_error(&unsupported, 400, "unsupported_grant_type");
    let malformed = function
        .invoke(&ev("token-malformed-json.json", "-"))
        .response();
    assert_oauth_error(&malformed, 400, "invalid_request");
    let base = ev("token-password-form.json", "-");
    for body in [
        "",
        "grant_type=password",
        "grant_type=password&username=a",
        "username=a&password=b",
        "grant_type=refresh_token",
        "grant_type=password&grant_type=password&username=a&password=b",
        "%%%",
        "grant_type=password&username=a&password=b&email=c",
    ] {
        let response = function.invoke(&with_body(base.clone(), body)).response();
        assert_oauth_error(&response, 400, "invalid_request");
    }
    let json_event = ev("token-password-json.json", "-");
    for body in [
        "[]",
        "\"x\"",
        "{\"grant_type\":\"password\",\"username\":1,\"password\":\"x\"}",
        "{",
    ] {
        let response = function
            .invoke(&with_body(json_event.clone(), body))
            .response();
        assert_oauth_error(&response, 400, "invalid_request");
    }
}

#[test]
fn bad_refresh_tokens_are_invalid_grants() {
    let setup = setup("3600");
    let function = start(&setup, &[]);
    let user = user();
    register(&function, &user);
    let tokens = login(&function, &user);
    let access_as_refresh = tokens["access_token"].as_str().unwrap();
    for token in [access_as_refresh, "garbage", "a.b.c", &"x".repeat(9_000)] {
        assert_oauth_error(&refresh(&function, token, None), 400, "invalid_grant");
    }
}

#[test]
fn concurrent_refreshes_of_one_token_have_at_most_one_winner() {
    let setup = setup("3600");
    let functions: Vec<Function> = (0..3).map(|_| start(&setup, &[])).collect();
    let user = user();
    register(&functions[0], &user);
    let tokens = login(&functions[0], &user);
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = functions
            .iter()
            .map(|function| scope.spawn(|| status(&refresh(function, &refresh_token, None))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );
}

#[test]
fn concurrent_registrations_of_one_name_have_exactly_one_winner() {
    let setup = setup("3600");
    let functions: Vec<Function> = (0..3).map(|_| start(&setup, &[])).collect();
    let user = user();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = functions
            .iter()
            .map(|function| {
                scope.spawn(|| status(&function.invoke(&ev("register.json", &user)).response()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![201, 409, 409], "{statuses:?}");
}

#[test]
fn logout_needs_a_valid_access_token() {
    let setup = setup("3600");
    let function = start(&setup, &[]);
    let mut no_header = ev("logout.json", "-");
    no_header["headers"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| !k.eq_ignore_ascii_case("authorization"));
    no_header["multiValueHeaders"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| !k.eq_ignore_ascii_case("authorization"));
    let response = function.invoke(&no_header).response();
    assert_oauth_error(&response, 401, "invalid_token");
    assert!(
        header(&response, "www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    assert_oauth_error(&logout(&function, "not.a.token"), 401, "invalid_token");
}

#[test]
fn health_routes_cors_and_errors() {
    let setup = setup("3600");
    let function = start(
        &setup,
        &[(
            "CORS_ALLOWED_ORIGINS",
            "https://app.example.com,https://admin.example.com",
        )],
    );
    for name in ["health.json", "health-stage-prefix.json"] {
        let response = function.invoke(&ev(name, "-")).response();
        assert_eq!(status(&response), 200, "{name}: {response}");
        assert_eq!(body(&response), json!({"status": "ok"}));
    }
    let preflight = function.invoke(&ev("preflight.json", "-")).response();
    assert_eq!(status(&preflight), 204, "{preflight}");
    assert_eq!(
        header(&preflight, "access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    assert!(
        header(&preflight, "access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    let missing = function.invoke(&ev("not-found.json", "-")).response();
    assert_eq!(status(&missing), 404);
    let mut get_token = ev("token-password-form.json", "-");
    get_token["httpMethod"] = json!("GET");
    let response = function.invoke(&get_token).response();
    assert_eq!(status(&response), 405);
    assert!(header(&response, "allow").unwrap().contains("POST"));
}

#[test]
fn payloads_that_are_no_http_event_are_function_errors_and_the_function_lives_on() {
    // API Gateway never sends these; whoever wires the function to something else gets the
    // runtime's error naming what it expects, never a panic or a made-up HTTP answer.
    let setup = setup("3600");
    let function = start(&setup, &[]);
    for payload in [
        &b"not json"[..],
        b"{}",
        b"[]",
        b"null",
        br#"{"httpMethod":5,"path":{}}"#,
        br#"{"version":"2.0","rawPath":"/token""#,
    ] {
        let outcome = function.invoke_raw(payload);
        let shown = String::from_utf8_lossy(payload);
        match outcome {
            Outcome::Error { error_message, .. } => {
                assert!(
                    error_message.contains("deserialize"),
                    "{shown}: {error_message}"
                );
            }
            other => panic!("{shown}: {other:?}"),
        }
    }
    let response = function.invoke(&ev("health.json", "-")).response();
    assert_eq!(status(&response), 200, "{response}");
}

#[test]
fn every_response_carries_the_cors_origin() {
    let setup = setup("3600");
    let function = start(&setup, &[]);
    for name in [
        "health.json",
        "not-found.json",
        "token-unsupported-grant.json",
        "token-malformed-json.json",
        "preflight.json",
    ] {
        let response = function.invoke(&ev(name, "-")).response();
        assert_eq!(
            header(&response, "access-control-allow-origin").as_deref(),
            Some("*"),
            "{name}"
        );
    }
}

#[test]
fn logs_never_contain_passwords_or_tokens() {
    let setup = setup("3600");
    let function = start(&setup, &[]);
    let user = user();
    register(&function, &user);
    let tokens = login(&function, &user);
    let rotated = body(&refresh(
        &function,
        tokens["refresh_token"].as_str().unwrap(),
        None,
    ));
    logout(&function, rotated["access_token"].as_str().unwrap());
    let logs = function.logs_containing("logged out");
    let mut secrets = Secrets::new();
    secrets
        .add("the password", PASSWORD)
        .add("the signing secret", SECRET);
    for pair in [&tokens, &rotated] {
        for key in ["access_token", "refresh_token"] {
            secrets.add_token(key, pair[key].as_str().unwrap());
        }
    }
    // Also every argon2id hash (tests/tests/logs_at_trace.rs does the same at LOG_LEVEL=trace).
    secrets.assert_absent(&logs);
    assert!(logs.contains("request handled"));
}

#[test]
fn missing_table_configuration_fails_the_cold_start() {
    let env = [("JWT_SECRET", SECRET)];
    let function = Function::start("token_generator", &env);
    assert!(function.wait_exit().is_some_and(|s| !s.success()));
    let logs = function.logs_containing("USERS_TABLE");
    assert!(logs.contains("USERS_TABLE"), "{logs}");
}
