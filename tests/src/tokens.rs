//! Tokens as tests make them (issued with a key set, or signed by hand to be bent) and read them
//! (the header and claims of a JWT, unverified).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{Grant, KeySet, TokenIssuer, TokenSettings};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::AUDIENCE;

/// Seconds since the epoch, as `iat` and `exp` count them.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The decoded JSON of part `index` of a JWT.
fn part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The header of a JWT, unverified.
pub fn header_of(token: &str) -> Value {
    part(token, 0)
}

/// The claims of a JWT, unverified.
pub fn claims_of(token: &str) -> Value {
    part(token, 1)
}

/// An issuer of our tokens with the keys of `set`, for the audience the harness configures.
pub fn issuer(set: Arc<KeySet>) -> TokenIssuer {
    let settings = TokenSettings {
        audience: AUDIENCE.to_owned(),
        ..TokenSettings::default()
    };
    TokenIssuer::new(set, &settings).unwrap()
}

/// An access token of `grant`, issued now.
pub fn access_token(issuer: &TokenIssuer, grant: &Grant) -> String {
    issuer.issue_access(grant, now()).unwrap().token
}

/// The claims of one of our access tokens for `sub`, issued now for ten minutes, as the issuer
/// `lambda-api` writes them (the settings' default issuer).
pub fn access_claims(sub: &str, jti: &str) -> Value {
    let now = now();
    json!({"iss": "lambda-api", "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 600,
           "jti": jti, "type": "access"})
}

/// `claims` signed with the shared secret `secret` by the HMAC algorithm `alg`.
pub fn sign_with_secret(claims: &Value, alg: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// `claims` signed with `secret` by HS256.
pub fn sign_hs256(claims: &Value, secret: &str) -> String {
    sign_with_secret(claims, Algorithm::HS256, secret)
}

/// `claims` signed by the active key of `set`, the header naming `kid` (its own or another's).
pub fn sign_with_kid(set: &KeySet, kid: &str, claims: &Value) -> String {
    let key = set.active().unwrap();
    let mut header = Header::new(key.algorithm().jwt());
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key.encoding_key().unwrap()).unwrap()
}

/// `claims` signed by the active key of `set`, the header naming that key.
pub fn sign(set: &KeySet, claims: &Value) -> String {
    sign_with_kid(set, set.active().unwrap().kid().unwrap(), claims)
}
