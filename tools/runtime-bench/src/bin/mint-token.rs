//! Prints an access token for benchmarks: the claims the authorizer accepts with its benchmark
//! settings (issuer `lambda-api`, audience `https://api.example.test`, `type` access).
//!
//! - `mint-token <secret> [--expired]`: HS256 with that secret, no `kid` (the `JWT_SECRET` path);
//! - `mint-token --alg <ES256|EdDSA|RS256|HS256> --keys-out <file> [--expired]`: a new key set of
//!   one active key of that algorithm is written to `<file>` (a JWK set for `SIGNING_KEYS`) and
//!   the token is signed with it (header `kid` and `alg` of that key).
//!
//! Valid for a day from now, or expired an hour ago.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{KeyAlgorithm, KeySet, KeyStatus, generate_jwk};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

enum Signer {
    Secret(String),
    KeySet { alg: KeyAlgorithm, out: PathBuf },
}

fn main() -> ExitCode {
    let mut secret = None;
    let mut alg = None;
    let mut out = None;
    let mut expired = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--expired" => expired = true,
            "--alg" => match args.next().as_deref().and_then(KeyAlgorithm::parse) {
                Some(parsed) => alg = Some(parsed),
                None => return usage(),
            },
            "--keys-out" => match args.next() {
                Some(path) => out = Some(PathBuf::from(path)),
                None => return usage(),
            },
            _ if secret.is_none() && !arg.starts_with("--") => secret = Some(arg),
            _ => return usage(),
        }
    }
    let signer = match (secret, alg, out) {
        (Some(secret), None, None) => Signer::Secret(secret),
        (None, Some(alg), Some(out)) => Signer::KeySet { alg, out },
        _ => return usage(),
    };
    match mint(&signer, expired) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("mint-token: {err}");
            ExitCode::FAILURE
        }
    }
}

fn mint(signer: &Signer, expired: bool) -> Result<String, String> {
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
    let (header, key) = match signer {
        Signer::Secret(secret) => (
            Header::new(Algorithm::HS256),
            EncodingKey::from_secret(secret.as_bytes()),
        ),
        Signer::KeySet { alg, out } => {
            let jwk = generate_jwk(*alg, KeyStatus::Active).map_err(|e| e.to_string())?;
            let text = json!({ "keys": [jwk] }).to_string();
            let set = KeySet::from_json(&text).map_err(|e| e.to_string())?;
            let active = set.active().ok_or("the new key set has no active key")?;
            let key = active
                .encoding_key()
                .ok_or("the new key set has no private key")?
                .clone();
            let mut header = Header::new(alg.jwt());
            header.kid = active.kid().map(str::to_owned);
            std::fs::write(out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
            (header, key)
        }
    };
    jsonwebtoken::encode(&header, &claims, &key).map_err(|err| format!("cannot sign: {err}"))
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: mint-token <secret> [--expired]\n       mint-token --alg <ES256|EdDSA|RS256|HS256> --keys-out <file> [--expired]"
    );
    ExitCode::FAILURE
}
