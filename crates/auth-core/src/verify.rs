//! Verifying tokens: signature, algorithm, time, issuer, audience and type.
//!
//! jsonwebtoken does the signature and the `exp`/`nbf`/`iss`/`aud` checks. Its defaults leave out
//! parts of RFC 7515/7519/8725, which are closed here:
//! - `nbf` is not checked by default: it is turned on;
//! - a configured `iss` or `aud` is only compared when the claim is present: both are required;
//! - the `crit` header is ignored (RFC 7515 §4.1.11 says reject what is not understood): rejected;
//! - `typ` is not checked (RFC 8725 §3.11): only `JWT` is accepted when present;
//! - `iat` in the future is accepted: rejected beyond the leeway;
//! - the algorithm list is set to exactly the configured one (RFC 8725 §3.1), so `none`, other
//!   HMAC sizes and asymmetric algorithms are refused;
//! - the token's size is bounded before any decoding.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::claims::{Claims, TokenType};
use crate::error::VerifyError;
use crate::keys::Secret;
use crate::settings::{MAX_LEEWAY_SECS, TokenSettings};

/// Tokens longer than this are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Verifies tokens with the configured key and rules. Built once per cold start, reused.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    leeway_secs: u64,
}

impl Verifier {
    /// An HS256 verifier for the given settings.
    pub fn new(secret: &Secret, settings: &TokenSettings) -> Self {
        let leeway_secs = settings.leeway_secs.min(MAX_LEEWAY_SECS);
        // RFC 8725 §3.1: the algorithm comes from configuration, never from the token.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[&settings.issuer]);
        let mut required = vec!["exp", "iss", "sub"];
        match &settings.audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.aud = None,
        }
        validation.set_required_spec_claims(&required);
        Self {
            key: secret.decoding_key(),
            validation,
            leeway_secs,
        }
    }

    /// Verifies an access token.
    pub fn verify_access(&self, token: &str) -> Result<Claims, VerifyError> {
        self.verify(
            token,
            TokenType::Access,
            jsonwebtoken::get_current_timestamp(),
        )
    }

    /// Verifies a refresh token.
    pub fn verify_refresh(&self, token: &str) -> Result<Claims, VerifyError> {
        self.verify(
            token,
            TokenType::Refresh,
            jsonwebtoken::get_current_timestamp(),
        )
    }

    /// Verifies a token of the expected type; `now` is only used for the `iat` check
    /// (jsonwebtoken reads the clock itself for `exp` and `nbf`).
    pub fn verify(
        &self,
        token: &str,
        expected: TokenType,
        now: u64,
    ) -> Result<Claims, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::Oversized);
        }
        if !is_compact_jws(token) {
            return Err(VerifyError::Malformed);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|err| map_error(err.kind()))?;
        if data.header.crit.is_some() {
            return Err(VerifyError::UnsupportedCritical);
        }
        if let Some(typ) = &data.header.typ
            && !typ.eq_ignore_ascii_case("JWT")
        {
            return Err(VerifyError::WrongHeaderType);
        }
        let claims = data.claims;
        if claims.sub.is_empty() || claims.jti.is_empty() {
            return Err(VerifyError::MissingClaim);
        }
        if claims.iat > now.saturating_add(self.leeway_secs) {
            return Err(VerifyError::NotYetValid);
        }
        if claims.token_type != expected {
            return Err(VerifyError::WrongTokenType);
        }
        Ok(claims)
    }
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

fn map_error(kind: &ErrorKind) -> VerifyError {
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
    use crate::issue::TokenIssuer;

    const SECRET: &str = "unit-test-secret-0123456789abcdef0123";

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn settings() -> TokenSettings {
        TokenSettings {
            audience: Some("api".into()),
            ..TokenSettings::default()
        }
    }

    fn verifier() -> Verifier {
        Verifier::new(&Secret::new(SECRET).unwrap(), &settings())
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
        let pair = TokenIssuer::new(&secret, &settings())
            .issue_pair("alice", now())
            .unwrap();
        let claims = verifier().verify_access(&pair.access.token).unwrap();
        assert_eq!(claims.sub, "alice");
        assert_eq!(
            verifier().verify_refresh(&pair.refresh.token).unwrap().sub,
            "alice"
        );
    }

    #[test]
    fn refresh_token_is_not_an_access_token() {
        let token = sign_hs256(&patched("type", json!("refresh")));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::WrongTokenType)
        );
    }

    #[test]
    fn access_token_is_not_a_refresh_token() {
        let token = sign_hs256(&claims());
        assert_eq!(
            verifier().verify_refresh(&token),
            Err(VerifyError::WrongTokenType)
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
    fn missing_aud_is_rejected_when_configured() {
        let token = sign_hs256(&without("aud"));
        assert_eq!(
            verifier().verify_access(&token),
            Err(VerifyError::MissingClaim)
        );
    }

    #[test]
    fn unexpected_aud_is_rejected_when_none_is_configured() {
        let v = Verifier::new(&Secret::new(SECRET).unwrap(), &TokenSettings::default());
        let token = sign_hs256(&claims());
        assert_eq!(v.verify_access(&token), Err(VerifyError::WrongAudience));
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
}
