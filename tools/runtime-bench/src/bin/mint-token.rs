//! Prints an HS256 access token for benchmarks: the claims the authorizer accepts with its
//! benchmark settings (issuer `lambda-api`, audience `https://api.example.test`, `type` access),
//! signed with the given secret.
//!
//! `mint-token <secret> [--expired]`: valid for a day from now, or expired an hour ago.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

fn main() -> ExitCode {
    let mut secret = None;
    let mut expired = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--expired" => expired = true,
            _ if secret.is_none() && !arg.starts_with("--") => secret = Some(arg),
            _ => return usage(),
        }
    }
    let Some(secret) = secret else { return usage() };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // An expired token is one issued in the past: a day long, ended an hour ago.
    let iat = if expired { now - 86_400 - 3_600 } else { now };
    let claims = json!({
        "iss": "lambda-api",
        "aud": "https://api.example.test",
        "sub": "bench-user",
        "iat": iat,
        "exp": iat + 86_400,
        "jti": "bench",
        "type": "access",
    });
    let key = EncodingKey::from_secret(secret.as_bytes());
    match jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("mint-token: cannot sign: {err}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: mint-token <secret> [--expired]");
    ExitCode::FAILURE
}
