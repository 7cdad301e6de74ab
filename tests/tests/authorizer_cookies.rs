//! The built `authorizer` with a cookie as the token source: one cookie of the name is the
//! token; the name twice (`access_token=<attacker>; access_token=<victim>`) is ambiguous and
//! refused, in a REST REQUEST event's `Cookie` header and in a payload 2.0 event's header or
//! `cookies` array alike.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{Value, json};
use test_support::event;
use test_support::runtime_api::Function;
use test_support::tokens::{access_claims, sign_hs256};

const SECRET: &str = "e2e-cookie-secret-0123456789abcdef-0123";

fn token(sub: &str) -> String {
    sign_hs256(&access_claims(sub, &format!("j-{sub}")), SECRET)
}

fn authorizer() -> Function {
    Function::start(
        "authorizer",
        &[
            ("JWT_SECRET", SECRET),
            ("TOKEN_SOURCES", "cookie:access_token"),
            // A refusal's line (with its reason) is written at DEBUG.
            ("LOG_LEVEL", "debug"),
        ],
    )
}

/// The REST REQUEST sample with `cookie` as its `Cookie` header (in both header maps, as API
/// Gateway sends it).
fn rest(cookie: &str) -> Value {
    let mut event = event("authorizer/rest-request-cookie.json");
    event["headers"]["Cookie"] = json!(cookie);
    event["multiValueHeaders"]["Cookie"] = json!([cookie]);
    event
}

/// The payload 2.0 sample with `cookie` as its `cookie` header and `cookies` as its array
/// (`None`: no array).
fn http(cookie: &str, cookies: Option<&[&str]>) -> Value {
    let mut event = event("authorizer/http-api-v2-cookie.json");
    event["headers"]["cookie"] = json!(cookie);
    match cookies {
        Some(cookies) => event["cookies"] = json!(cookies),
        None => {
            event.as_object_mut().unwrap().remove("cookies");
        }
    }
    event
}

#[test]
fn one_access_token_cookie_is_the_token() {
    let function = authorizer();
    let victim = token("victim");
    let cookie = format!("theme=dark; access_token={victim}");
    let response = function.invoke(&rest(&cookie)).response();
    assert_eq!(response["principalId"], "victim");
    let pair = format!("access_token={victim}");
    let response = function
        .invoke(&http(&cookie, Some(&["theme=dark", &pair])))
        .response();
    assert_eq!(response["isAuthorized"], true, "{response}");
    assert_eq!(response["context"]["sub"], "victim");
}

#[test]
fn the_cookie_name_twice_in_one_header_is_refused() {
    let function = authorizer();
    let (attacker, victim) = (token("attacker"), token("victim"));
    let cookie = format!("access_token={attacker}; theme=dark; access_token={victim}");
    assert!(function.invoke(&rest(&cookie)).is_unauthorized());
    // The same value twice is refused too, as in the `cookies` array.
    let twice = format!("access_token={victim}; access_token={victim}");
    assert!(function.invoke(&rest(&twice)).is_unauthorized());

    // Payload 2.0 (simple responses): the header alone, and with the array API Gateway builds.
    let refused = json!({"isAuthorized": false});
    assert_eq!(function.invoke(&http(&cookie, None)).response(), refused);
    let (a, v) = (
        format!("access_token={attacker}"),
        format!("access_token={victim}"),
    );
    assert_eq!(
        function
            .invoke(&http(&cookie, Some(&[&a, "theme=dark", &v])))
            .response(),
        refused
    );
    // Each refusal is logged with its reason and counted as a denial with it.
    let logs = function.logs_containing("ambiguous_token");
    let denials = |logs: &str| {
        logs.matches(r#""Reason":"ambiguous_token","AuthorizerDeny":1"#)
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut logs = logs;
    while denials(&logs) < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        logs = function.logs();
    }
    assert_eq!(denials(&logs), 4, "{logs}");
    assert_eq!(
        logs.matches(r#""reason":"ambiguous_token""#).count(),
        4,
        "{logs}"
    );
}
