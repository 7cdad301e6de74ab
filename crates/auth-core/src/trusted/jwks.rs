//! An issuer's JWK Set: parsing it into verification keys, the cache of those keys with the
//! penalty box that bounds fetches, and the verification of a token with them.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, Header, Validation};
use serde_json::{Map, Value};
use thiserror::Error;

use super::TrustedIssuer;
use crate::error::VerifyError;
use crate::keyset::KeyAlgorithm;
use crate::settings::MAX_LEEWAY_SECS;
use crate::verify::{map_error, precheck};

/// No two JWKS fetches of one issuer closer together than this (the penalty box).
pub const JWKS_MIN_REFRESH: Duration = Duration::from_secs(60);
/// How long a `kid` found missing from a freshly fetched JWKS is answered without fetching.
pub const UNKNOWN_KID_MEMORY: Duration = Duration::from_secs(300);
/// At most this many unknown `kid`s remembered per issuer (the oldest is forgotten first).
pub const MAX_UNKNOWN_KIDS: usize = 64;
/// At most this many keys kept per issuer (the first usable ones of the JWKS).
pub const MAX_JWKS_KEYS: usize = 32;
/// A JWKS body larger than this is refused.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
const MAX_KID_CHARS: usize = 128;
const MIN_RSA_BITS: usize = 2048;

/// A verification key from an issuer's JWKS.
pub struct JwksKey {
    kid: String,
    alg: KeyAlgorithm,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwksKey {
    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.alg
    }
}

impl fmt::Debug for JwksKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

/// Why a fetched JWKS was not used (the keys held before stay in use).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum JwksError {
    /// Larger than [`MAX_JWKS_BYTES`].
    #[error("the JWK Set is larger than 64 KiB")]
    TooLarge,
    /// Not `{"keys": [...]}`.
    #[error("the body is not a JWK Set document")]
    NotAJwks,
    /// No entry is a usable signing key of an allowed algorithm.
    #[error("the JWK Set has no usable signing key ({0} entries left out)")]
    NoUsableKey(usize),
}

/// The usable keys of a JWKS document (at most [`MAX_JWKS_KEYS`]) and how many entries were left
/// out (other uses or algorithms, private members, bad or duplicate `kid`, weak or invalid keys).
pub fn parse_jwks(
    body: &[u8],
    issuer: &TrustedIssuer,
    leeway_secs: u64,
) -> Result<(Vec<JwksKey>, usize), JwksError> {
    if body.len() > MAX_JWKS_BYTES {
        return Err(JwksError::TooLarge);
    }
    let doc: Value = serde_json::from_slice(body).map_err(|_| JwksError::NotAJwks)?;
    let entries = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwksError::NotAJwks)?;
    let mut keys: Vec<JwksKey> = Vec::new();
    let mut skipped = 0;
    for entry in entries {
        let key = entry
            .as_object()
            .and_then(|jwk| parse_key(jwk, issuer, leeway_secs))
            .filter(|key| keys.len() < MAX_JWKS_KEYS && keys.iter().all(|k| k.kid != key.kid));
        match key {
            Some(key) => keys.push(key),
            None => skipped += 1,
        }
    }
    if keys.is_empty() {
        return Err(JwksError::NoUsableKey(skipped));
    }
    Ok((keys, skipped))
}

fn parse_key(
    jwk: &Map<String, Value>,
    issuer: &TrustedIssuer,
    leeway_secs: u64,
) -> Option<JwksKey> {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    if jwk
        .get("use")
        .is_some_and(|usage| usage.as_str() != Some("sig"))
    {
        return None;
    }
    // Private key material on a public URL: that key is compromised, never trusted.
    if ["d", "p", "q", "k"]
        .iter()
        .any(|name| jwk.contains_key(*name))
    {
        return None;
    }
    let kid = text("kid").filter(|kid| kid_usable(kid))?;
    let inferred = match (text("kty")?, text("crv")) {
        ("RSA", None) => KeyAlgorithm::RS256,
        ("EC", Some("P-256")) => KeyAlgorithm::ES256,
        ("OKP", Some("Ed25519")) => KeyAlgorithm::EdDSA,
        _ => return None,
    };
    let alg = match jwk.get("alg") {
        None => inferred,
        Some(alg) => KeyAlgorithm::parse(alg.as_str()?).filter(|alg| *alg == inferred)?,
    };
    if !issuer.algorithms.contains(&alg) {
        return None;
    }
    let decoding = match alg {
        KeyAlgorithm::RS256 => rsa_key(text("n")?, text("e")?)?,
        KeyAlgorithm::ES256 => ec_key(text("x")?, text("y")?)?,
        KeyAlgorithm::EdDSA => ed_key(text("x")?)?,
        KeyAlgorithm::HS256 => return None,
    };
    Some(JwksKey {
        kid: kid.to_owned(),
        alg,
        decoding,
        validation: issuer.validation(alg, leeway_secs),
    })
}

fn kid_usable(kid: &str) -> bool {
    !kid.is_empty() && kid.chars().count() <= MAX_KID_CHARS && !kid.chars().any(char::is_control)
}

fn rsa_key(n: &str, e: &str) -> Option<DecodingKey> {
    let modulus = URL_SAFE_NO_PAD.decode(n).ok()?;
    let exponent = URL_SAFE_NO_PAD.decode(e).ok()?;
    let significant = modulus.iter().skip_while(|b| **b == 0).count();
    if significant * 8 < MIN_RSA_BITS || exponent.is_empty() {
        return None;
    }
    DecodingKey::from_rsa_components(n, e).ok()
}

fn ec_key(x: &str, y: &str) -> Option<DecodingKey> {
    let (xb, yb) = (
        URL_SAFE_NO_PAD.decode(x).ok()?,
        URL_SAFE_NO_PAD.decode(y).ok()?,
    );
    if xb.len() != 32 || yb.len() != 32 {
        return None;
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&xb);
    point.extend_from_slice(&yb);
    // The point must be on the curve (invalid-curve attacks; RFC 8725 §3.4).
    aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        &point,
    )
    .ok()?;
    DecodingKey::from_ec_components(x, y).ok()
}

fn ed_key(x: &str) -> Option<DecodingKey> {
    if URL_SAFE_NO_PAD.decode(x).ok()?.len() != 32 {
        return None;
    }
    DecodingKey::from_ed_components(x).ok()
}

/// The verified claims of a trusted issuer's token.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustedClaims {
    /// The issuer (`iss`).
    pub issuer: String,
    /// `sub` as the issuer wrote it, never empty.
    pub sub: String,
    /// `<principal_prefix>|<sub>`: who the token speaks for in our terms (principalId and the
    /// context's `sub`).
    pub principal: String,
    /// Our scopes: those of the token's `scope` the issuer's `scopes` maps, space-delimited;
    /// `None` when none is (whatever the token's own `scope` says).
    pub scope: Option<String>,
    /// Every claim, for the authorizer context.
    pub claims: Map<String, Value>,
}

/// What to do next with a token of a trusted issuer.
#[derive(Debug)]
pub enum Step {
    /// Decided with the keys at hand.
    Done(Result<TrustedClaims, VerifyError>),
    /// The `kid` is unknown and a fetch is allowed now: fetch, then
    /// [`JwksCache::record_jwks`] (or [`JwksCache::record_failure`]) and
    /// [`JwksCache::verify_fetched`].
    Fetch,
    /// The `kid` is unknown, the last fetch failed and the penalty box forbids another one yet.
    Unavailable,
}

/// One trusted issuer's keys, with the penalty box that bounds how often its JWKS is fetched:
/// never twice within [`JWKS_MIN_REFRESH`], and not for a `kid` the last fetch did not have
/// (remembered for [`UNKNOWN_KID_MEMORY`], at most [`MAX_UNKNOWN_KIDS`] of them).
#[derive(Debug)]
pub struct JwksCache {
    issuer: TrustedIssuer,
    leeway_secs: u64,
    keys: Vec<JwksKey>,
    last_fetch: Option<Instant>,
    last_fetch_failed: bool,
    unknown: VecDeque<(String, Instant)>,
}

impl JwksCache {
    /// An empty cache: the first token of the issuer asks for a fetch.
    pub fn new(issuer: TrustedIssuer, leeway_secs: u64) -> Self {
        Self {
            issuer,
            leeway_secs: leeway_secs.min(MAX_LEEWAY_SECS),
            keys: Vec::new(),
            last_fetch: None,
            last_fetch_failed: false,
            unknown: VecDeque::new(),
        }
    }

    /// The issuer.
    pub fn issuer(&self) -> &TrustedIssuer {
        &self.issuer
    }

    /// The keys held.
    pub fn keys(&self) -> &[JwksKey] {
        &self.keys
    }

    /// Verifies `token` with the keys held, or says a fetch is needed first. `now` drives the
    /// penalty box; `now_secs` (epoch seconds) the `iat` check.
    pub fn check(&self, token: &str, now: Instant, now_secs: u64) -> Step {
        let header = match parse_header(token) {
            Ok(header) => header,
            Err(err) => return Step::Done(Err(err)),
        };
        let Some(kid) = header.kid.as_deref().filter(|kid| kid_usable(kid)) else {
            return Step::Done(Err(VerifyError::UnknownKey));
        };
        if let Some(key) = self.key(kid) {
            return Step::Done(self.verify_with(key, token, now_secs));
        }
        if self.remembered(kid, now) {
            return Step::Done(Err(VerifyError::UnknownKey));
        }
        let may_fetch = self
            .last_fetch
            .is_none_or(|at| now.saturating_duration_since(at) >= JWKS_MIN_REFRESH);
        if may_fetch {
            Step::Fetch
        } else if self.last_fetch_failed {
            Step::Unavailable
        } else {
            Step::Done(Err(VerifyError::UnknownKey))
        }
    }

    /// Records a fetched JWKS body: its keys replace the ones held, unless it is unusable (then
    /// the old keys stay). Either way it counts as a fetch for the penalty box. Returns how many
    /// keys were kept and how many entries left out.
    pub fn record_jwks(&mut self, body: &[u8], now: Instant) -> Result<(usize, usize), JwksError> {
        self.last_fetch = Some(now);
        match parse_jwks(body, &self.issuer, self.leeway_secs) {
            Ok((keys, skipped)) => {
                self.keys = keys;
                self.last_fetch_failed = false;
                Ok((self.keys.len(), skipped))
            }
            Err(err) => {
                self.last_fetch_failed = true;
                Err(err)
            }
        }
    }

    /// Records a failed fetch (network, status, size, timeout): the old keys stay, and the
    /// penalty box starts.
    pub fn record_failure(&mut self, now: Instant) {
        self.last_fetch = Some(now);
        self.last_fetch_failed = true;
    }

    /// Verifies `token` after the fetch [`JwksCache::check`] asked for; a `kid` still unknown
    /// after a good fetch is remembered, so it does not cause another one.
    pub fn verify_fetched(
        &mut self,
        token: &str,
        now: Instant,
        now_secs: u64,
    ) -> Result<TrustedClaims, VerifyError> {
        let header = parse_header(token)?;
        let kid = header
            .kid
            .as_deref()
            .filter(|kid| kid_usable(kid))
            .ok_or(VerifyError::UnknownKey)?;
        if let Some(key) = self.key(kid) {
            return self.verify_with(key, token, now_secs);
        }
        if !self.last_fetch_failed {
            self.remember(kid, now);
        }
        Err(VerifyError::UnknownKey)
    }

    fn key(&self, kid: &str) -> Option<&JwksKey> {
        self.keys.iter().find(|key| key.kid == kid)
    }

    fn remembered(&self, kid: &str, now: Instant) -> bool {
        self.unknown.iter().any(|(known, at)| {
            known == kid && now.saturating_duration_since(*at) < UNKNOWN_KID_MEMORY
        })
    }

    fn remember(&mut self, kid: &str, now: Instant) {
        self.unknown
            .retain(|(_, at)| now.saturating_duration_since(*at) < UNKNOWN_KID_MEMORY);
        while self.unknown.len() >= MAX_UNKNOWN_KIDS {
            self.unknown.pop_front();
        }
        self.unknown.push_back((kid.to_owned(), now));
    }

    fn verify_with(
        &self,
        key: &JwksKey,
        token: &str,
        now_secs: u64,
    ) -> Result<TrustedClaims, VerifyError> {
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &key.validation)
                .map_err(|err| map_error(err.kind()))?;
        let claims = data.claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let sub = text("sub")
            .filter(|sub| !sub.is_empty())
            .ok_or(VerifyError::MissingClaim)?
            .to_owned();
        if let Some(iat) = claims.get("iat") {
            let iat = iat.as_f64().ok_or(VerifyError::Malformed)?;
            // Epoch seconds are far below 2^53: exact as f64.
            let latest = now_secs.saturating_add(self.leeway_secs) as f64;
            if iat > latest {
                return Err(VerifyError::NotYetValid);
            }
        }
        if !self.issuer.client_ids.is_empty() {
            // Cognito access tokens name their audience in `client_id` rather than `aud`.
            let client_id = text("client_id").ok_or(VerifyError::MissingClaim)?;
            if !self.issuer.client_ids.iter().any(|id| id == client_id) {
                return Err(VerifyError::WrongAudience);
            }
        }
        for (name, expected) in &self.issuer.required_claims {
            // A claim with another value counts as the required claim missing.
            if text(name) != Some(expected.as_str()) {
                return Err(VerifyError::MissingClaim);
            }
        }
        Ok(TrustedClaims {
            issuer: self.issuer.issuer.clone(),
            principal: self.issuer.principal(&sub),
            sub,
            scope: self.issuer.scopes.map(text("scope")),
            claims,
        })
    }
}

fn parse_header(token: &str) -> Result<Header, VerifyError> {
    precheck(token)?;
    let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
    if header.crit.is_some() {
        return Err(VerifyError::UnsupportedCritical);
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Algorithm, EncodingKey};
    use serde_json::json;

    use super::*;
    use crate::keyset::{KeySet, KeyStatus, generate_jwk};

    const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc";

    fn now_secs() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn cognito() -> TrustedIssuer {
        let json = json!([{
            "issuer": ISSUER,
            "jwks_uri": format!("{ISSUER}/.well-known/jwks.json"),
            "client_ids": ["client-1"],
            "required_claims": {"token_use": "access"},
            "scopes": {"orders/read": "orders:read"}
        }]);
        TrustedIssuer::parse_list(&json.to_string(), "lambda-api")
            .unwrap()
            .remove(0)
    }

    /// A private key set of one key, and its public JWKS as an issuer would publish it.
    fn keys(alg: KeyAlgorithm) -> (KeySet, Vec<u8>) {
        let jwk = generate_jwk(alg, KeyStatus::Active).unwrap();
        let set = KeySet::from_json(&json!({ "keys": [jwk] }).to_string()).unwrap();
        let public = set.public_jwks().to_string().into_bytes();
        (set, public)
    }

    fn claims() -> Value {
        json!({"iss": ISSUER, "sub": "5f1c-user", "client_id": "client-1", "token_use": "access",
               "scope": "orders/read", "iat": now_secs(), "exp": now_secs() + 600,
               "jti": "j-1", "username": "alice"})
    }

    fn sign_with(set: &KeySet, kid: Option<&str>, claims: &Value) -> String {
        let key = set.active().unwrap();
        let mut header = Header::new(key.algorithm().jwt());
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, key.encoding_key().unwrap()).unwrap()
    }

    fn sign(set: &KeySet, claims: &Value) -> String {
        sign_with(set, set.active().unwrap().kid(), claims)
    }

    fn patched(key: &str, value: Value) -> Value {
        let mut c = claims();
        c[key] = value;
        c
    }

    fn without(key: &str) -> Value {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(key);
        c
    }

    /// A cache for `issuer` holding the keys of `jwks`.
    fn loaded(issuer: TrustedIssuer, jwks: &[u8]) -> JwksCache {
        let mut cache = JwksCache::new(issuer, 30);
        cache.record_jwks(jwks, Instant::now()).unwrap();
        cache
    }

    fn verify(cache: &JwksCache, token: &str) -> Result<TrustedClaims, VerifyError> {
        match cache.check(token, Instant::now(), now_secs()) {
            Step::Done(result) => result,
            other => panic!("expected a decision, got {other:?}"),
        }
    }

    #[test]
    fn each_allowed_algorithm_verifies_and_the_claims_come_back() {
        for alg in [
            KeyAlgorithm::RS256,
            KeyAlgorithm::ES256,
            KeyAlgorithm::EdDSA,
        ] {
            let mut issuer = cognito();
            issuer.algorithms = vec![alg];
            let (set, jwks) = keys(alg);
            let cache = loaded(issuer, &jwks);
            let claims = verify(&cache, &sign(&set, &claims())).unwrap();
            assert_eq!(claims.sub, "5f1c-user");
            assert_eq!(claims.issuer, ISSUER);
            assert_eq!(
                claims.principal,
                "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc|5f1c-user"
            );
            // The token's scope as mapped by the issuer's `scopes`.
            assert_eq!(claims.scope.as_deref(), Some("orders:read"));
            assert_eq!(claims.claims["username"], "alice");
        }
    }

    #[test]
    fn claims_are_checked() {
        let (set, jwks) = keys(KeyAlgorithm::ES256);
        let cache = loaded(cognito(), &jwks);
        let now = now_secs();
        for (case, claims, expected) in [
            (
                "wrong client",
                patched("client_id", json!("other")),
                VerifyError::WrongAudience,
            ),
            ("no client", without("client_id"), VerifyError::MissingClaim),
            (
                "id token",
                patched("token_use", json!("id")),
                VerifyError::MissingClaim,
            ),
            (
                "no token_use",
                without("token_use"),
                VerifyError::MissingClaim,
            ),
            (
                "other issuer",
                patched("iss", json!("https://evil")),
                VerifyError::WrongIssuer,
            ),
            ("no issuer", without("iss"), VerifyError::MissingClaim),
            (
                "expired",
                patched("exp", json!(now - 3600)),
                VerifyError::Expired,
            ),
            ("no exp", without("exp"), VerifyError::MissingClaim),
            (
                "not yet",
                patched("nbf", json!(now + 3600)),
                VerifyError::NotYetValid,
            ),
            (
                "future iat",
                patched("iat", json!(now + 3600)),
                VerifyError::NotYetValid,
            ),
            ("no sub", without("sub"), VerifyError::MissingClaim),
            (
                "empty sub",
                patched("sub", json!("")),
                VerifyError::MissingClaim,
            ),
        ] {
            assert_eq!(
                verify(&cache, &sign(&set, &claims)),
                Err(expected),
                "{case}"
            );
        }
        // Without `audience`, an `aud` is not looked at.
        assert!(verify(&cache, &sign(&set, &patched("aud", json!("anything")))).is_ok());
    }

    #[test]
    fn a_configured_audience_is_required() {
        let (set, jwks) = keys(KeyAlgorithm::RS256);
        let mut issuer = cognito();
        issuer.audience = vec!["orders-api".into()];
        issuer.client_ids.clear();
        let cache = loaded(issuer, &jwks);
        let good = patched("aud", json!(["web", "orders-api"]));
        assert!(verify(&cache, &sign(&set, &good)).is_ok());
        assert_eq!(
            verify(&cache, &sign(&set, &patched("aud", json!("other")))),
            Err(VerifyError::WrongAudience)
        );
        assert_eq!(
            verify(&cache, &sign(&set, &claims())),
            Err(VerifyError::MissingClaim)
        );
    }

    #[test]
    fn keys_come_from_the_jwks_only() {
        let (set, jwks) = keys(KeyAlgorithm::RS256);
        let cache = loaded(cognito(), &jwks);
        let public: Value = serde_json::from_slice(&jwks).unwrap();
        let kid = public["keys"][0]["kid"].as_str().unwrap();
        // No kid: refused, whatever the signature.
        assert_eq!(
            verify(&cache, &sign_with(&set, None, &claims())),
            Err(VerifyError::UnknownKey)
        );
        // Key confusion: HS256 "signed" with the RSA modulus, carrying the RSA key's kid.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.to_owned());
        let n = public["keys"][0]["n"].as_str().unwrap();
        let forged =
            jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(n.as_bytes()))
                .unwrap();
        assert_eq!(
            verify(&cache, &forged),
            Err(VerifyError::AlgorithmNotAllowed)
        );
        // Another key, our kid, and that key shipped in the header: the signature fails.
        let (theirs, their_jwks) = keys(KeyAlgorithm::RS256);
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        let their_public: Value = serde_json::from_slice(&their_jwks).unwrap();
        header.jwk = Some(serde_json::from_value(their_public["keys"][0].clone()).unwrap());
        header.jku = Some("https://attacker.example/jwks.json".into());
        let key = theirs.active().unwrap().encoding_key().unwrap();
        let forged = jsonwebtoken::encode(&header, &claims(), key).unwrap();
        assert_eq!(verify(&cache, &forged), Err(VerifyError::BadSignature));
        // A crit header is refused.
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        header.crit = Some(vec!["exp".into()]);
        let key = set.active().unwrap().encoding_key().unwrap();
        let token = jsonwebtoken::encode(&header, &claims(), key).unwrap();
        assert_eq!(
            verify(&cache, &token),
            Err(VerifyError::UnsupportedCritical)
        );
    }

    #[test]
    fn jwks_entries_that_are_not_usable_signing_keys_are_left_out() {
        let (_, es) = keys(KeyAlgorithm::ES256);
        let (_, ed) = keys(KeyAlgorithm::EdDSA);
        let (_, rs) = keys(KeyAlgorithm::RS256);
        let first = |jwks: &[u8]| -> Value {
            serde_json::from_slice::<Value>(jwks).unwrap()["keys"][0].clone()
        };
        let es = first(&es);
        let with = |base: &Value, key: &str, value: Value| {
            let mut k = base.clone();
            k[key] = value;
            k
        };
        let without = |base: &Value, key: &str| {
            let mut k = base.clone();
            k.as_object_mut().unwrap().remove(key);
            k
        };
        let private = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        let bad_point = with(&es, "y", json!(es["x"].clone()));
        let short_rsa = with(
            &first(&rs),
            "n",
            json!(URL_SAFE_NO_PAD.encode([0xc5u8; 128])),
        );
        let doc = json!({"keys": [
            without(&es, "alg"),                            // kept: ES256 inferred from EC/P-256
            first(&rs),                                     // kept
            first(&ed),                                     // EdDSA not in the default algorithms
            with(&with(&es, "kid", json!("enc")), "use", json!("enc")),
            with(&es, "alg", json!("RS256")),               // alg does not fit the key type
            without(&with(&es, "kid", json!("no-kid")), "kid"),
            with(&es, "kid", json!("x".repeat(129))),
            with(&with(&es, "kid", json!("private")), "d", private["d"].clone()),
            with(&bad_point, "kid", json!("off-curve")),
            with(&short_rsa, "kid", json!("rsa-1024")),
            json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256"}),
            without(&es, "alg"),                            // duplicate kid
            "not an object",
        ]});
        let (kept, skipped) = parse_jwks(doc.to_string().as_bytes(), &cognito(), 30).unwrap();
        let algs: Vec<KeyAlgorithm> = kept.iter().map(JwksKey::algorithm).collect();
        assert_eq!(algs, [KeyAlgorithm::ES256, KeyAlgorithm::RS256]);
        assert_eq!(skipped, 11);
    }

    #[test]
    fn a_jwks_is_bounded_in_size_and_keys() {
        assert_eq!(
            parse_jwks(&vec![b' '; MAX_JWKS_BYTES + 1], &cognito(), 30).unwrap_err(),
            JwksError::TooLarge
        );
        assert_eq!(
            parse_jwks(b"<html>", &cognito(), 30).unwrap_err(),
            JwksError::NotAJwks
        );
        assert_eq!(
            parse_jwks(br#"{"keys": []}"#, &cognito(), 30).unwrap_err(),
            JwksError::NoUsableKey(0)
        );
        let (_, es) = keys(KeyAlgorithm::ES256);
        let key: Value = serde_json::from_slice::<Value>(&es).unwrap()["keys"][0].clone();
        let many: Vec<Value> = (0..40)
            .map(|i| {
                let mut k = key.clone();
                k["kid"] = json!(format!("k{i}"));
                k
            })
            .collect();
        let (kept, skipped) = parse_jwks(
            json!({ "keys": many }).to_string().as_bytes(),
            &cognito(),
            30,
        )
        .unwrap();
        assert_eq!((kept.len(), skipped), (MAX_JWKS_KEYS, 8));
    }

    #[test]
    fn the_first_token_asks_for_a_fetch_and_then_verifies() {
        let (set, jwks) = keys(KeyAlgorithm::ES256);
        let mut cache = JwksCache::new(cognito(), 30);
        let token = sign(&set, &claims());
        let t0 = Instant::now();
        assert!(matches!(cache.check(&token, t0, now_secs()), Step::Fetch));
        assert_eq!(cache.record_jwks(&jwks, t0), Ok((1, 0)));
        assert!(cache.verify_fetched(&token, t0, now_secs()).is_ok());
        assert!(matches!(
            cache.check(&token, t0, now_secs()),
            Step::Done(Ok(_))
        ));
    }

    #[test]
    fn unknown_kids_cannot_cause_a_fetch_storm() {
        let (set, jwks) = keys(KeyAlgorithm::ES256);
        let mut cache = JwksCache::new(cognito(), 30);
        let t0 = Instant::now();
        cache.record_jwks(&jwks, t0).unwrap();
        let stranger = |kid: &str| sign_with(&set, Some(kid), &claims());
        // Within the penalty box: no fetch, whatever the kid.
        for i in 0..100 {
            let at = t0 + Duration::from_secs(i % 59);
            assert!(matches!(
                cache.check(&stranger(&format!("k{i}")), at, now_secs()),
                Step::Done(Err(VerifyError::UnknownKey))
            ));
        }
        // After it, one fetch; the kid it did not bring is then remembered.
        let t1 = t0 + JWKS_MIN_REFRESH;
        assert!(matches!(
            cache.check(&stranger("late"), t1, now_secs()),
            Step::Fetch
        ));
        cache.record_jwks(&jwks, t1).unwrap();
        assert_eq!(
            cache.verify_fetched(&stranger("late"), t1, now_secs()),
            Err(VerifyError::UnknownKey)
        );
        let t2 = t1 + 2 * JWKS_MIN_REFRESH;
        assert!(matches!(
            cache.check(&stranger("late"), t2, now_secs()),
            Step::Done(Err(VerifyError::UnknownKey))
        ));
        // Another kid may fetch again; a remembered one only once its memory has lapsed.
        assert!(matches!(
            cache.check(&stranger("new"), t2, now_secs()),
            Step::Fetch
        ));
        let t3 = t1 + UNKNOWN_KID_MEMORY;
        assert!(matches!(
            cache.check(&stranger("late"), t3, now_secs()),
            Step::Fetch
        ));
    }

    #[test]
    fn remembered_kids_are_bounded() {
        let (_, jwks) = keys(KeyAlgorithm::ES256);
        let (other, _) = keys(KeyAlgorithm::ES256);
        let mut cache = JwksCache::new(cognito(), 30);
        let t0 = Instant::now();
        cache.record_jwks(&jwks, t0).unwrap();
        for i in 0..200 {
            let token = sign_with(&other, Some(&format!("k{i}")), &claims());
            let _ = cache.verify_fetched(&token, t0, now_secs());
        }
        assert_eq!(cache.unknown.len(), MAX_UNKNOWN_KIDS);
        assert!(cache.remembered("k199", t0));
        assert!(!cache.remembered("k0", t0));
    }

    #[test]
    fn a_failed_fetch_keeps_the_old_keys_and_waits() {
        let (set, jwks) = keys(KeyAlgorithm::ES256);
        let mut cache = JwksCache::new(cognito(), 30);
        let token = sign(&set, &claims());
        let t0 = Instant::now();
        cache.record_failure(t0);
        assert_eq!(
            cache.verify_fetched(&token, t0, now_secs()),
            Err(VerifyError::UnknownKey)
        );
        assert!(matches!(
            cache.check(&token, t0 + Duration::from_secs(30), now_secs()),
            Step::Unavailable
        ));
        let t1 = t0 + JWKS_MIN_REFRESH;
        assert!(matches!(cache.check(&token, t1, now_secs()), Step::Fetch));
        cache.record_jwks(&jwks, t1).unwrap();
        // A broken JWKS later does not drop the keys held.
        let t2 = t1 + JWKS_MIN_REFRESH;
        assert_eq!(cache.record_jwks(b"{}", t2), Err(JwksError::NotAJwks));
        assert!(matches!(
            cache.check(&token, t2, now_secs()),
            Step::Done(Ok(_))
        ));
    }
}
