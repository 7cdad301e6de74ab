//! Issuing signed access tokens (RFC 9068). Refresh tokens are opaque handles (`refresh.rs`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header};

use crate::claims::{Audience, Claims, TokenType};
use std::sync::Arc;

use crate::error::{IssueError, KeyError};
use crate::keyset::KeySet;
use crate::secret::Secret;
use crate::settings::TokenSettings;

/// A signed token and the claims it carries.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWS.
    pub token: String,
    /// What was signed.
    pub claims: Claims,
}

/// Who a token is for: the subject, the client it is issued to, the granted scope and the
/// resource it may be presented to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant<'a> {
    /// The user name, or the client id for client_credentials.
    pub sub: &'a str,
    /// The OAuth client (RFC 9068 `client_id`).
    pub client_id: &'a str,
    /// Space-delimited scopes, when any were granted.
    pub scope: Option<&'a str>,
    /// The `aud`: a resource the request named (RFC 8707) or, when `None`, the configured
    /// audience.
    pub audience: Option<&'a str>,
}

/// Signs tokens with the active key of a key set. Built once per cold start (and again when the
/// key set is re-read).
pub struct TokenIssuer {
    keys: Arc<KeySet>,
    access_header: Header,
    settings: TokenSettings,
}

impl TokenIssuer {
    /// An issuer signing with the set's active key, which must hold its private half.
    pub fn new(keys: Arc<KeySet>, settings: &TokenSettings) -> Result<Self, KeyError> {
        let active = keys.active().ok_or(KeyError::ActiveCount(0))?;
        if active.encoding_key().is_none() {
            return Err(KeyError::MissingMember("d"));
        }
        let mut access_header = Header::new(active.algorithm().jwt());
        access_header.kid = active.kid().map(str::to_owned);
        // RFC 9068 §2.1 and RFC 8725 §3.11: explicit typing, so an access token can't be taken
        // for another kind of JWT.
        access_header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
        Ok(Self {
            keys,
            access_header,
            settings: settings.clone(),
        })
    }

    /// An HS256 issuer with a single secret and no `kid` (the `JWT_SECRET` path).
    pub fn from_secret(secret: &Secret, settings: &TokenSettings) -> Self {
        let keys = Arc::new(KeySet::from_secret(secret));
        let mut access_header = Header::new(Algorithm::HS256);
        access_header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
        Self {
            keys,
            access_header,
            settings: settings.clone(),
        }
    }

    /// The settings this issuer writes into tokens.
    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// The key set this issuer signs from.
    pub fn keys(&self) -> &Arc<KeySet> {
        &self.keys
    }

    /// Issues an access token at time `now` (epoch seconds) with a fresh random `jti`.
    pub fn issue_access(&self, grant: &Grant<'_>, now: u64) -> Result<IssuedToken, IssueError> {
        self.access(grant, None, now)
    }

    /// Issues an access token of the refresh-token family `family` (claim `fam`): revoking the
    /// family (RFC 7009 §2.1, or reuse detection) also revokes it where revocations are checked.
    pub fn issue_family_access(
        &self,
        grant: &Grant<'_>,
        family: &str,
        now: u64,
    ) -> Result<IssuedToken, IssueError> {
        self.access(grant, Some(family), now)
    }

    fn access(
        &self,
        grant: &Grant<'_>,
        family: Option<&str>,
        now: u64,
    ) -> Result<IssuedToken, IssueError> {
        let claims = Claims {
            iss: self.settings.issuer.clone(),
            sub: grant.sub.to_owned(),
            aud: Some(Audience::One(
                grant.audience.unwrap_or(&self.settings.audience).to_owned(),
            )),
            iat: now,
            exp: now.saturating_add(self.settings.access_ttl_secs),
            nbf: None,
            jti: random_id()?,
            token_type: TokenType::Access,
            scope: grant.scope.map(str::to_owned),
            client_id: Some(grant.client_id.to_owned()),
            fam: family.map(str::to_owned),
        };
        self.sign(&self.access_header, claims)
    }

    /// Signs the given claims as an access token (for tests and tools that need exact claims).
    pub fn sign_access(&self, claims: Claims) -> Result<IssuedToken, IssueError> {
        self.sign(&self.access_header, claims)
    }

    fn sign(&self, header: &Header, claims: Claims) -> Result<IssuedToken, IssueError> {
        if claims.sub.is_empty() {
            return Err(IssueError::EmptySubject);
        }
        let key = self
            .keys
            .active()
            .and_then(|k| k.encoding_key())
            .ok_or(IssueError::NoSigningKey)?;
        let token = jsonwebtoken::encode(header, &claims, key)?;
        Ok(IssuedToken { token, claims })
    }
}

/// The `typ` header of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// 128 random bits, base64url: a token or family id nobody can guess.
pub fn random_id() -> Result<String, IssueError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| IssueError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyset::{KeyAlgorithm, KeyStatus, generate_jwk};

    const GRANT: Grant<'static> = Grant {
        sub: "alice",
        client_id: "public",
        scope: Some("read"),
        audience: None,
    };

    fn issuer() -> TokenIssuer {
        let secret = Secret::new("known-answer-secret-0123456789abcdef").unwrap();
        TokenIssuer::from_secret(&secret, &TokenSettings::default())
    }

    #[test]
    fn known_answer_token_is_stable() {
        let claims = Claims {
            iss: "lambda-api".into(),
            sub: "alice".into(),
            aud: None,
            iat: 1_700_000_000,
            exp: 1_700_003_600,
            nbf: None,
            jti: "jti-1".into(),
            token_type: TokenType::Access,
            scope: None,
            client_id: Some("public".into()),
            fam: None,
        };
        let issued = issuer().sign_access(claims).unwrap();
        // Checked independently: HMAC-SHA256 of the first two segments with the secret
        // (python3 -c 'import hmac,hashlib,base64; ...').
        assert_eq!(
            issued.token,
            "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJIUzI1NiJ9.\
             eyJpc3MiOiJsYW1iZGEtYXBpIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwianRpIjoianRpLTEiLCJ0eXBlIjoiYWNjZXNzIiwiY2xpZW50X2lkIjoicHVibGljIn0.\
             tZLjYWYcihLbhuqR-GsvcyCxAIeLwc4adqqlyZtKNVg"
        );
    }

    #[test]
    fn access_tokens_carry_the_rfc_9068_claims() {
        let access = issuer()
            .issue_family_access(&GRANT, "fam-1", 1_000)
            .unwrap();
        assert_eq!(access.claims.exp, 1_000 + 3600);
        assert_eq!(access.claims.iat, 1_000);
        assert_eq!(access.claims.token_type, TokenType::Access);
        assert_eq!(access.claims.fam.as_deref(), Some("fam-1"));
        assert_eq!(
            access.claims.aud,
            Some(Audience::One("https://api.example.invalid".into()))
        );
        assert_eq!(access.claims.client_id.as_deref(), Some("public"));
        assert_eq!(access.claims.scope.as_deref(), Some("read"));
        assert_eq!(access.claims.jti.len(), 22);
        let header = jsonwebtoken::decode_header(&access.token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn empty_subject_is_refused() {
        let grant = Grant { sub: "", ..GRANT };
        let err = issuer().issue_access(&grant, 0).unwrap_err();
        assert!(matches!(err, IssueError::EmptySubject));
    }

    #[test]
    fn the_configured_audience_is_written() {
        let secret = Secret::new("known-answer-secret-0123456789abcdef").unwrap();
        let settings = TokenSettings {
            audience: "orders".into(),
            ..TokenSettings::default()
        };
        let issued = TokenIssuer::from_secret(&secret, &settings)
            .issue_access(&GRANT, 5)
            .unwrap();
        assert_eq!(issued.claims.aud, Some(Audience::One("orders".into())));
    }

    #[test]
    fn a_requested_resource_becomes_the_audience() {
        let grant = Grant {
            audience: Some("https://orders.example.com"),
            ..GRANT
        };
        let issued = issuer().issue_access(&grant, 5).unwrap();
        assert_eq!(
            issued.claims.aud,
            Some(Audience::One("https://orders.example.com".into()))
        );
    }

    #[test]
    fn key_set_tokens_carry_the_active_kid_and_alg() {
        let jwk = generate_jwk(KeyAlgorithm::EdDSA, KeyStatus::Active).unwrap();
        let set =
            KeySet::from_json(&serde_json::json!({ "keys": [jwk.clone()] }).to_string()).unwrap();
        let issued = TokenIssuer::new(Arc::new(set), &TokenSettings::default())
            .unwrap()
            .issue_access(&GRANT, 5)
            .unwrap();
        let header = jsonwebtoken::decode_header(&issued.token).unwrap();
        assert_eq!(header.kid.as_deref(), jwk["kid"].as_str());
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn public_only_key_set_cannot_sign() {
        let jwk = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        let set = KeySet::from_json(&serde_json::json!({ "keys": [jwk] }).to_string()).unwrap();
        let public = KeySet::from_json(&set.public_jwks().to_string()).unwrap();
        assert!(TokenIssuer::new(Arc::new(public), &TokenSettings::default()).is_err());
    }
}
