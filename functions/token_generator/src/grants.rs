//! POST /token: the password and refresh_token grants (RFC 6749 §4.3, §6).

use auth_aws::{Config, RefreshRecord, StoreError};
use auth_core::TokenPair;

use crate::App;
use crate::accounts;
use crate::body::Params;
use crate::error::ApiError;

/// Runs the grant named by `grant_type`.
pub async fn token(app: &App, config: &Config, params: &Params) -> Result<TokenPair, ApiError> {
    match params.require("grant_type")? {
        "password" => password(app, config, params).await,
        "refresh_token" => refresh(app, config, params).await,
        _ => Err(ApiError::UnsupportedGrant),
    }
}

/// Checks the user's password and issues a new pair (also POST /auth/login).
pub async fn password(app: &App, config: &Config, params: &Params) -> Result<TokenPair, ApiError> {
    let username = params.username()?;
    let password = params.require("password")?;
    let user = accounts::authenticate(app, username, password).await?;
    let pair = config
        .issuer
        .issue_pair(&user.username, now())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let record = RefreshRecord {
        sub: user.username,
        jti: pair.refresh.claims.jti.clone(),
        epoch: user.session_epoch,
        expires_at: pair.refresh.claims.exp,
    };
    app.store.save_refresh(&record).await?;
    tracing::info!(sub = %record.sub, jti = %pair.access.claims.jti, "tokens issued (password)");
    Ok(pair)
}

/// Exchanges a refresh token for a new pair; the old refresh token stops working.
async fn refresh(app: &App, config: &Config, params: &Params) -> Result<TokenPair, ApiError> {
    let token = params.require("refresh_token")?;
    let claims = config
        .verifier
        .verify_refresh(token)
        .map_err(|err| ApiError::RefreshRejected(err.reason()))?;
    let pair = config
        .issuer
        .issue_pair(&claims.sub, now())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    // One conditional transaction decides: of two concurrent refreshes at most one succeeds, and
    // a token rotated before or revoked by logout is refused.
    app.store
        .rotate_refresh(
            &claims.sub,
            &claims.jti,
            &pair.refresh.claims.jti,
            pair.refresh.claims.exp,
        )
        .await
        .map_err(|err| match err {
            StoreError::ConditionFailed => ApiError::RefreshRejected("rotated_or_revoked"),
            other => other.into(),
        })?;
    tracing::info!(sub = %claims.sub, old_jti = %claims.jti, "tokens issued (refresh_token)");
    Ok(pair)
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
