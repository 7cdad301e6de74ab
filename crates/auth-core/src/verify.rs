//! Verifying access tokens: signature, algorithm, time, issuer, audience and type.
//!
//! jsonwebtoken does the signature and the `exp`/`nbf`/`iss`/`aud` checks. Its defaults leave out
//! parts of RFC 7515/7519/8725, which are closed here:
//! - `nbf` is not checked by default: it is turned on;
//! - a configured `iss` or `aud` is only compared when the claim is present: both are required
//!   (RFC 9068 §4: the audience is always checked);
//! - the `crit` header is ignored (RFC 7515 §4.1.11 says reject what is not understood): rejected;
//! - `typ` is not checked (RFC 8725 §3.11): access tokens must be `at+jwt` (RFC 9068) or `JWT`
//!   when present, and carry `type: access` (refresh JWTs of earlier versions are refused);
//! - the key is the one of our set the `kid` names; header keys (`jku`, `x5u`, `jwk`, `x5c`) are
//!   never used;
//! - `iat` in the future is accepted: rejected beyond the leeway;
//! - the algorithm list is exactly the key's algorithm (RFC 8725 §3.1), so `none`, other
//!   algorithms and key-confusion (an HS256 token "signed" with a public key) are refused;
//! - the token's size is bounded before any decoding.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};

use std::sync::Arc;

use crate::claims::{Claims, TokenType};
use crate::error::VerifyError;
use crate::issue::ACCESS_TOKEN_TYP;
use crate::keyset::KeySet;
use crate::secret::Secret;
use crate::settings::{MAX_LEEWAY_SECS, TokenSettings};

/// Tokens longer than this are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Verifies tokens with a key set and the configured rules. Built once per cold start (and again
/// when the key set is re-read), reused.
pub struct Verifier {
    keys: Arc<KeySet>,
    /// Per key (same order as the set): its validation.
    validations: Vec<Validation>,
    leeway_secs: u64,
}

impl Verifier {
    /// A verifier for tokens signed by any key of `keys`, each with that key's algorithm only.
    pub fn new(keys: Arc<KeySet>, settings: &TokenSettings) -> Self {
        let leeway_secs = settings.leeway_secs.min(MAX_LEEWAY_SECS);
        let validations = keys
            .keys()
            .iter()
            .map(|key| validation(key.algorithm().jwt(), settings, leeway_secs))
            .collect();
        Self {
            keys,
            validations,
            leeway_secs,
        }
    }

    /// An HS256 verifier with a single secret (the `JWT_SECRET` path: tokens without `kid`).
    pub fn from_secret(secret: &Secret, settings: &TokenSettings) -> Self {
        Self::new(Arc::new(KeySet::from_secret(secret)), settings)
    }

    /// The key set tokens are checked against.
    pub fn keys(&self) -> &Arc<KeySet> {
        &self.keys
    }

    /// Verifies an access token.
    pub fn verify_access(&self, token: &str) -> Result<Claims, VerifyError> {
        self.verify_access_at(token, jsonwebtoken::get_current_timestamp())
    }

    /// Verifies an access token; `now` is only used for the `iat` check (jsonwebtoken reads the
    /// clock itself for `exp` and `nbf`).
    pub fn verify_access_at(&self, token: &str, now: u64) -> Result<Claims, VerifyError> {
        precheck(token)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        // The key comes from our own set by kid; jku, x5u, jwk and x5c headers are never used.
        let index = self
            .keys
            .keys()
            .iter()
            .position(|k| k.kid() == header.kid.as_deref())
            .ok_or(VerifyError::UnknownKey)?;
        let (Some(key), Some(validation)) =
            (self.keys.keys().get(index), self.validations.get(index))
        else {
            return Err(VerifyError::UnknownKey);
        };
        if header.crit.is_some() {
            return Err(VerifyError::UnsupportedCritical);
        }
        if let Some(typ) = &header.typ
            && !typ_accepted(typ)
        {
            return Err(VerifyError::WrongHeaderType);
        }
        let data = jsonwebtoken::decode::<Claims>(token, key.decoding_key(), validation)
            .map_err(|err| map_error(err.kind()))?;
        let claims = data.claims;
        if claims.sub.is_empty() || claims.jti.is_empty() {
            return Err(VerifyError::MissingClaim);
        }
        if claims.iat > now.saturating_add(self.leeway_secs) {
            return Err(VerifyError::NotYetValid);
        }
        if claims.token_type != TokenType::Access {
            return Err(VerifyError::WrongTokenType);
        }
        Ok(claims)
    }
}

/// The jsonwebtoken validation for one algorithm: `exp`, `nbf`, `iss`, `sub` and `aud` required,
/// `iss` and `aud` compared with the settings.
fn validation(alg: Algorithm, settings: &TokenSettings, leeway_secs: u64) -> Validation {
    // RFC 8725 §3.1: the algorithm comes from the key, never from the token.
    let mut validation = Validation::new(alg);
    validation.leeway = leeway_secs;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation
}

/// `at+jwt` (RFC 9068 §2.1, with or without `application/`) or, from before RFC 9068 typing,
/// `JWT`.
fn typ_accepted(typ: &str) -> bool {
    let typ = typ
        .strip_prefix("application/")
        .or_else(|| typ.strip_prefix("Application/"))
        .unwrap_or(typ);
    typ.eq_ignore_ascii_case("JWT") || typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
}

/// The checks made before any decoding: at most [`MAX_TOKEN_BYTES`], and three non-empty
/// base64url segments.
pub fn precheck(token: &str) -> Result<(), VerifyError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::Oversized);
    }
    if !is_compact_jws(token) {
        return Err(VerifyError::Malformed);
    }
    Ok(())
}

/// Three non-empty base64url segments and nothing else (RFC 7515 §7.1, no JWE, no padding).
fn is_compact_jws(token: &str) -> bool {
    let mut segments = 0;
    for segment in token.split('.') {
        segments += 1;
        if segment.is_empty()
            || !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return false;
        }
    }
    segments == 3
}

/// The [`VerifyError`] for a jsonwebtoken error.
pub fn map_error(kind: &ErrorKind) -> VerifyError {
    match kind {
        ErrorKind::InvalidSignature => VerifyError::BadSignature,
        ErrorKind::ExpiredSignature => VerifyError::Expired,
        ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
        ErrorKind::InvalidIssuer => VerifyError::WrongIssuer,
        ErrorKind::InvalidAudience => VerifyError::WrongAudience,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            VerifyError::AlgorithmNotAllowed
        }
        ErrorKind::MissingRequiredClaim(_) => VerifyError::MissingClaim,
        _ => VerifyError::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::{Value, json};

    use super::*;
    use crate::issue::{Grant, TokenIssuer};

    const SECRET: &str = "unit-test-secret-0123456789abcdef0123";

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn settings() -> TokenSettings {
        TokenSettings {
            audience: "api".into(),
            ..TokenSettings::default()
        }
    }

    fn verifier() -> Verifier {
        Verifier::from_secret(&Secret::new(SECRET).unwrap(), &settings())
    }

    fn claims() -> Value {
        json!({"iss": "lambda-api", "sub": "alice", "aud": "api", "iat": now(),
               "exp": now() + 600, "jti": "j1", "type": "access"})
    }

    fn sign(header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap()
    }

    fn sign_hs256(claims: &Value) -> String {
        sign(&Header::new(Algorithm::HS256), claims)
    }

    /// A token with a hand-written header, signed with the right secret.
    fn with_raw_header(header: &str, claims: &Value) -> String {
        use jsonwebtoken::crypto::sign;
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = sign(
            message.as_bytes(),
            &EncodingKey::from_secret(SECRET.as_bytes()),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{message}.{sig}")
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

    #[test]
    fn issued_access_token_verifies() {
        let secret = Secret::new(SECRET).unwrap();
        let issuer = TokenIssuer::from_secret(&secret, &settings());
        let grant = Grant {
            sub: "alice",
            client_id: "public",
            scope: None,
            audience: None,
        };
        let access = issuer.issue_access(&grant, now()).unwrap();
        let claims = verifier().verify_access(&access.token).unwrap();
        assert_eq!(claims.sub, "alice");
    }

    #[test]
    fn refresh_token_is_not_an_access_token() {
        // The refresh JWTs of earlier versions: `type: refresh`, addressed to the issuer.
        let token = sign_hs256(&patched("type", json!("refresh")));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::WrongTokenType)
        );
    }

    #[test]
    fn a_token_for_another_resource_is_refused() {
        let secret = Secret::new(SECRET).unwrap();
        let issuer = TokenIssuer::from_secret(&secret, &settings());
        let grant = Grant {
            sub: "alice",
            client_id: "public",
            scope: None,
            audience: Some("https://other.example.com"),
        };
        let access = issuer.issue_access(&grant, now()).unwrap();
        assert_eq!(
            verifier().verify_access(&access.token),
            Err(VerifyError::WrongAudience)
        );
    }

    #[test]
    fn expired_token_is_rejected() {
        let token = sign_hs256(&patched("exp", json!(now() - 120)));
        assert_eq!(verifier().verify_access(&token), Err(VerifyError::Expired));
    }

    #[test]
    fn token_expired_within_leeway_is_accepted() {
        let token = sign_hs256(&patched("exp", json!(now() - 5)));
        assert!(verifier().verify_access(&token).is_ok());
    }

    #[test]
    fn future_nbf_is_rejected() {
        let token = sign_hs256(&patched("nbf", json!(now() + 600)));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::NotYetValid)
        );
    }

    #[test]
    fn future_iat_is_rejected() {
        let token = sign_hs256(&patched("iat", json!(now() + 600)));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::NotYetValid)
        );
    }

    #[test]
    fn missing_exp_is_rejected() {
        // Our claims type requires it, so the token does not even have the right shape.
        let token = sign_hs256(&without("exp"));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn missing_iss_is_rejected() {
        let token = sign_hs256(&without("iss"));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn missing_aud_is_rejected() {
        let token = sign_hs256(&without("aud"));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::MissingClaim)
        );
    }

    #[test]
    fn wrong_issuer_is_rejected() {
        let token = sign_hs256(&patched("iss", json!("someone-else")));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::WrongIssuer)
        );
    }

    #[test]
    fn wrong_audience_is_rejected() {
        let token = sign_hs256(&patched("aud", json!("other")));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::WrongAudience)
        );
    }

    #[test]
    fn string_exp_is_rejected() {
        let token = sign_hs256(&patched("exp", json!("9999999999")));
        assert!(verifier().verify_access(&token).is_err());
    }

    #[test]
    fn empty_subject_is_rejected() {
        let token = sign_hs256(&patched("sub", json!("")));
        assert!(verifier().verify_access(&token).is_err());
    }

    #[test]
    fn other_secret_is_a_bad_signature() {
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"another-secret-0123456789abcdef0123456"),
        )
        .unwrap();
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn tampered_claims_are_a_bad_signature() {
        let token = sign_hs256(&claims());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(patched("sub", json!("admin")).to_string());
        let token = format!("{}.{}.{}", parts[0], forged, parts[2]);
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn other_hmac_algorithm_is_not_allowed() {
        let token = sign(&Header::new(Algorithm::HS512), &claims());
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::AlgorithmNotAllowed)
        );
    }

    #[test]
    fn alg_none_is_rejected() {
        let body = URL_SAFE_NO_PAD.encode(claims().to_string());
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(
            verifier()
                .verify_access(&format!("{header}.{body}."))
                .is_err()
        );
        assert!(
            verifier()
                .verify_access(&format!("{header}.{body}.c2ln"))
                .is_err()
        );
    }

    #[test]
    fn crit_header_is_rejected() {
        let token = with_raw_header(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#, &claims());
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::UnsupportedCritical)
        );
    }

    #[test]
    fn foreign_typ_is_rejected() {
        let token = with_raw_header(r#"{"alg":"HS256","typ":"JOSE+JSON"}"#, &claims());
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::WrongHeaderType)
        );
    }

    #[test]
    fn duplicate_header_alg_is_rejected() {
        let token = with_raw_header(r#"{"alg":"HS256","alg":"none"}"#, &claims());
        assert!(verifier().verify_access(&token).is_err());
    }

    #[test]
    fn oversized_token_is_rejected_before_decoding() {
        let token = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::Oversized)
        );
    }

    #[test]
    fn structurally_broken_tokens_are_malformed() {
        let good = sign_hs256(&claims());
        let truncated = &good[..good.len() - 10];
        for bad in [
            "", ".", "..", "a.b", "a.b.c.d", "a..c", "a.b.c=", "a b.c.d", truncated,
        ] {
            assert!(
                verifier().verify_access(bad).is_err(),
                "{bad:?} was accepted"
            );
        }
        assert_eq!(
            verifier().verify_access("a.b.c.d.e"),
            Err(VerifyError::Malformed)
        );
    }

    mod key_sets {
        use std::sync::Arc;

        use jsonwebtoken::Header;
        use serde_json::{Value, json};

        use super::{claims, now, settings};
        use crate::error::VerifyError;
        use crate::issue::{Grant, TokenIssuer};
        use crate::keyset::{KeyAlgorithm, KeySet, KeyStatus, generate_jwk};
        use crate::verify::Verifier;

        const GRANT: Grant<'static> = Grant {
            sub: "alice",
            client_id: "public",
            scope: None,
            audience: None,
        };

        fn set(keys: &[Value]) -> Arc<KeySet> {
            Arc::new(KeySet::from_json(&json!({ "keys": keys }).to_string()).unwrap())
        }

        #[test]
        fn every_algorithm_signs_and_verifies() {
            for alg in [
                KeyAlgorithm::ES256,
                KeyAlgorithm::EdDSA,
                KeyAlgorithm::RS256,
                KeyAlgorithm::HS256,
            ] {
                let keys = set(&[generate_jwk(alg, KeyStatus::Active).unwrap()]);
                let issued = TokenIssuer::new(keys.clone(), &settings())
                    .unwrap()
                    .issue_access(&GRANT, now())
                    .unwrap();
                let verifier = Verifier::new(keys, &settings());
                assert_eq!(verifier.verify_access(&issued.token).unwrap().sub, "alice");
            }
        }

        #[test]
        fn rotation_keeps_old_tokens_valid_and_signs_with_the_new_kid() {
            let mut old = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
            let before = set(std::slice::from_ref(&old));
            let old_token = TokenIssuer::new(before, &settings())
                .unwrap()
                .issue_access(&GRANT, now())
                .unwrap()
                .token;
            old["status"] = json!("retired");
            let new = generate_jwk(KeyAlgorithm::EdDSA, KeyStatus::Active).unwrap();
            let after = set(&[new.clone(), old.clone()]);
            let new_token = TokenIssuer::new(after.clone(), &settings())
                .unwrap()
                .issue_access(&GRANT, now())
                .unwrap()
                .token;
            let header = jsonwebtoken::decode_header(&new_token).unwrap();
            assert_eq!(header.kid.as_deref(), new["kid"].as_str());
            let verifier = Verifier::new(after, &settings());
            assert!(verifier.verify_access(&old_token).is_ok());
            assert!(verifier.verify_access(&new_token).is_ok());
            // Once the old key is removed, its tokens are refused.
            let pruned = Verifier::new(set(&[new]), &settings());
            assert_eq!(
                pruned.verify_access(&old_token),
                Err(VerifyError::UnknownKey)
            );
        }

        #[test]
        fn unknown_or_missing_kid_is_refused() {
            let jwk = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
            let keys = set(std::slice::from_ref(&jwk));
            let other = set(&[generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap()]);
            let token = TokenIssuer::new(other, &settings())
                .unwrap()
                .issue_access(&GRANT, now())
                .unwrap()
                .token;
            let verifier = Verifier::new(keys.clone(), &settings());
            assert_eq!(verifier.verify_access(&token), Err(VerifyError::UnknownKey));
            // No kid at all.
            let key = keys.active().unwrap().encoding_key().unwrap();
            let token =
                jsonwebtoken::encode(&Header::new(jsonwebtoken::Algorithm::ES256), &claims(), key)
                    .unwrap();
            assert_eq!(verifier.verify_access(&token), Err(VerifyError::UnknownKey));
        }

        #[test]
        fn the_algorithm_comes_from_the_key_not_the_token() {
            // Key confusion: an HS256 token whose HMAC key is the RSA key's public modulus,
            // carrying the RSA key's kid.
            let jwk = generate_jwk(KeyAlgorithm::RS256, KeyStatus::Active).unwrap();
            let verifier = Verifier::new(set(std::slice::from_ref(&jwk)), &settings());
            let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = jwk["kid"].as_str().map(str::to_owned);
            let forged = jsonwebtoken::encode(
                &header,
                &claims(),
                &jsonwebtoken::EncodingKey::from_secret(jwk["n"].as_str().unwrap().as_bytes()),
            )
            .unwrap();
            assert_eq!(
                verifier.verify_access(&forged),
                Err(VerifyError::AlgorithmNotAllowed)
            );
        }

        #[test]
        fn a_key_embedded_in_the_header_is_never_used() {
            // The attacker signs with their own key and ships it in `jwk`, with our kid.
            let ours = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
            let verifier = Verifier::new(set(std::slice::from_ref(&ours)), &settings());
            let theirs = set(&[generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap()]);
            let their_key = theirs.active().unwrap();
            let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
            header.kid = ours["kid"].as_str().map(str::to_owned);
            let public: jsonwebtoken::jwk::Jwk =
                serde_json::from_value(theirs.public_jwks()["keys"][0].clone()).unwrap();
            header.jwk = Some(public);
            header.jku = Some("https://attacker.example/jwks.json".into());
            let forged =
                jsonwebtoken::encode(&header, &claims(), their_key.encoding_key().unwrap())
                    .unwrap();
            assert_eq!(
                verifier.verify_access(&forged),
                Err(VerifyError::BadSignature)
            );
        }

        #[test]
        fn legacy_secret_tokens_verify_next_to_a_key_set() {
            let secret = crate::secret::Secret::new(super::SECRET).unwrap();
            let legacy = TokenIssuer::from_secret(&secret, &settings())
                .issue_access(&GRANT, now())
                .unwrap()
                .token;
            let jwk = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
            let keys = KeySet::from_json(&json!({ "keys": [jwk] }).to_string())
                .unwrap()
                .with_legacy_secret(&secret);
            let keys = Arc::new(keys);
            let verifier = Verifier::new(keys.clone(), &settings());
            assert!(verifier.verify_access(&legacy).is_ok());
            // New tokens are signed by the set's active key, not the legacy secret.
            let header = jsonwebtoken::decode_header(
                &TokenIssuer::new(keys, &settings())
                    .unwrap()
                    .issue_access(&GRANT, now())
                    .unwrap()
                    .token,
            )
            .unwrap();
            assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        }
    }
}
