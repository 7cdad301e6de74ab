//! A token presented to /revoke or /introspect: which of our tokens it is, and whose.

use auth_aws::{ClientRecord, Config, RefreshRecord};
use auth_core::{Claims, Ownership, RefreshToken};

use crate::App;
use crate::error::ApiError;

/// Which kind of token a string turned out to be.
pub enum Token {
    Access(Claims),
    Refresh(RefreshRecord),
}

impl Token {
    /// The token as a valid access token of ours (signature, issuer, audience, expiry) or a
    /// refresh token we stored. `None`: no token of ours; callers treat that as nothing to
    /// revoke, or inactive. No `token_type_hint` is needed: a refresh token is never a JWT.
    pub async fn find(app: &App, config: &Config, token: &str) -> Result<Option<Self>, ApiError> {
        if let Some(handle) = RefreshToken::parse(token) {
            let record = app.store.find_refresh(&handle.digest()).await?;
            return Ok(record.map(Self::Refresh));
        }
        Ok(config.verifier.verify_access(token).ok().map(Self::Access))
    }

    /// What the caller, authenticated as `client` or not at all, is to this token.
    pub fn ownership(&self, config: &Config, client: Option<&ClientRecord>) -> Ownership {
        let issued_to = match self {
            Self::Access(claims) => claims
                .client_id
                .as_deref()
                .unwrap_or(&config.public_client_id),
            Self::Refresh(record) => &record.client_id,
        };
        Ownership::of(
            issued_to,
            &config.public_client_id,
            client.map(|c| c.client_id.as_str()),
        )
    }
}
