//! Issuing signed access and refresh tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::claims::{Audience, Claims, TokenType};
use crate::error::IssueError;
use crate::keys::Secret;
use crate::settings::TokenSettings;

/// A signed token and the claims it carries.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWS.
    pub token: String,
    /// What was signed.
    pub claims: Claims,
}

/// An access token and its refresh token, issued together.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// The access token.
    pub access: IssuedToken,
    /// The refresh token.
    pub refresh: IssuedToken,
}

/// Signs tokens with the configured key and settings. Built once per cold start.
pub struct TokenIssuer {
    key: EncodingKey,
    header: Header,
    settings: TokenSettings,
}

impl TokenIssuer {
    /// An HS256 issuer.
    pub fn new(secret: &Secret, settings: &TokenSettings) -> Self {
        let mut header = Header::new(Algorithm::HS256);
        // RFC 8725 §3.11: explicit typing.
        header.typ = Some("JWT".to_owned());
        Self {
            key: secret.encoding_key(),
            header,
            settings: settings.clone(),
        }
    }

    /// The settings this issuer writes into tokens.
    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// Issues an access token and a refresh token for `sub` at time `now` (epoch seconds).
    pub fn issue_pair(&self, sub: &str, now: u64) -> Result<TokenPair, IssueError> {
        Ok(TokenPair {
            access: self.issue(sub, TokenType::Access, now, random_jti()?)?,
            refresh: self.issue(sub, TokenType::Refresh, now, random_jti()?)?,
        })
    }

    /// Issues one token with the given `jti`.
    pub fn issue(
        &self,
        sub: &str,
        token_type: TokenType,
        now: u64,
        jti: String,
    ) -> Result<IssuedToken, IssueError> {
        if sub.is_empty() {
            return Err(IssueError::EmptySubject);
        }
        let ttl = match token_type {
            TokenType::Access => self.settings.access_ttl_secs,
            TokenType::Refresh => self.settings.refresh_ttl_secs,
        };
        let claims = Claims {
            iss: self.settings.issuer.clone(),
            sub: sub.to_owned(),
            aud: self.settings.audience.clone().map(Audience::One),
            iat: now,
            exp: now.saturating_add(ttl),
            nbf: None,
            jti,
            token_type,
            scope: None,
        };
        let token = jsonwebtoken::encode(&self.header, &claims, &self.key)?;
        Ok(IssuedToken { token, claims })
    }
}

/// 128 random bits, base64url: a token id nobody can guess.
fn random_jti() -> Result<String, IssueError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| IssueError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        let secret = Secret::new("known-answer-secret-0123456789abcdef").unwrap();
        TokenIssuer::new(&secret, &TokenSettings::default())
    }

    #[test]
    fn known_answer_token_is_stable() {
        let issued = issuer()
            .issue("alice", TokenType::Access, 1_700_000_000, "jti-1".into())
            .unwrap();
        assert_eq!(
            issued.token,
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.\
             eyJpc3MiOiJsYW1iZGEtYXBpIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwianRpIjoianRpLTEiLCJ0eXBlIjoiYWNjZXNzIn0.\
             qY4kDRgOJCHYkgPULsNwk1YNEoF_th1zZHm5VIMvmIk"
        );
    }

    #[test]
    fn pair_has_distinct_random_ids_and_lifetimes() {
        let pair = issuer().issue_pair("alice", 1_000).unwrap();
        assert_ne!(pair.access.claims.jti, pair.refresh.claims.jti);
        assert_eq!(pair.access.claims.exp, 1_000 + 3600);
        assert_eq!(pair.refresh.claims.exp, 1_000 + 604_800);
        assert_eq!(pair.refresh.claims.token_type, TokenType::Refresh);
        assert_eq!(pair.access.claims.jti.len(), 22);
    }

    #[test]
    fn empty_subject_is_refused() {
        let err = issuer()
            .issue("", TokenType::Access, 0, "j".into())
            .unwrap_err();
        assert!(matches!(err, IssueError::EmptySubject));
    }

    #[test]
    fn audience_is_written_when_configured() {
        let secret = Secret::new("known-answer-secret-0123456789abcdef").unwrap();
        let settings = TokenSettings {
            audience: Some("orders".into()),
            ..TokenSettings::default()
        };
        let issued = TokenIssuer::new(&secret, &settings)
            .issue("bob", TokenType::Access, 5, "j".into())
            .unwrap();
        assert_eq!(issued.claims.aud, Some(Audience::One("orders".into())));
    }
}
