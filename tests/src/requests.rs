//! Building the requests tests send the built functions: a sample event from `events/` with its
//! placeholders filled in or its body replaced, form-encoded bodies and HTTP Basic credentials.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::event;

/// The event with its body replaced.
pub fn with_body(mut event: Value, body: &str) -> Value {
    event["body"] = json!(body);
    event
}

/// The sample event `name` (as [`crate::event`] names it) with each placeholder replaced, in
/// order, wherever it stands.
pub fn filled(name: &str, replacements: &[(&str, &str)]) -> Value {
    let mut text = event(name).to_string();
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap()
}

/// The sample event `name` with `token` in place of `REPLACE_WITH_ACCESS_TOKEN`.
pub fn with_token(name: &str, token: &str) -> Value {
    filled(name, &[("REPLACE_WITH_ACCESS_TOKEN", token)])
}

/// One value as `application/x-www-form-urlencoded` writes it (enough for the values tests use).
pub fn form_value(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('+', "%2B")
        .replace('&', "%26")
        .replace('=', "%3D")
        .replace(' ', "+")
}

/// A form body of `pairs`, each value encoded.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", form_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// HTTP Basic client credentials as RFC 6749 §2.3.1 has them: id and secret form-encoded, then
/// base64 (the value after `Basic `).
pub fn basic(id: &str, secret: &str) -> String {
    STANDARD.encode(format!("{}:{}", form_value(id), form_value(secret)))
}
