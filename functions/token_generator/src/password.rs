//! POST /auth/password: a signed-in user changes their password.
//!
//! The access token says who (as for /auth/logout), and must not be from before the user's last
//! logout or revoked. The old password is required and checked as a sign-in checks it (argon2id,
//! the lockout counters, one answer for every failure), the new one against the password
//! policy. Then every session ends, this one included: all refresh-token families are revoked
//! and `logout_at` is set, so with REVOCATION_CHECK every access token issued until now is
//! refused too. The answer carries no tokens: the client signs in again with the new password.
//! One rule for every session, and no new grant is made without the client authenticating as
//! a sign-in would make it.

use auth_aws::{Config, StoreError};
use auth_core::check_password_policy;
use lambda_http::Request;

use crate::App;
use crate::accounts;
use crate::attempt::{Attempt, now};
use crate::body::Params;
use crate::error::ApiError;
use crate::hashing::hash_password;
use crate::signed_in;

/// Changes the password of the access token's user; returns how many families were revoked.
pub async fn change(app: &App, config: &Config, request: &Request) -> Result<usize, ApiError> {
    let claims = signed_in::claims(config, request)?;
    let params = Params::parse(request)?;
    let old_password = params.require("old_password")?;
    let new_password = params.require("new_password")?;
    let state = app
        .store
        .revocation_state(&claims.sub, &claims.jti, claims.fam.as_deref(), true)
        .await?;
    if state.rejects(claims.iat) {
        return Err(ApiError::InvalidToken("revoked"));
    }
    check_password_policy(&claims.sub, new_password).map_err(ApiError::WeakPassword)?;
    if new_password == old_password {
        return Err(ApiError::Malformed(
            "the new password must differ from the old one",
        ));
    }
    let attempt = Attempt::of(request);
    let user = accounts::authenticate(app, config, &claims.sub, old_password, &attempt).await?;
    let hash = hash_password(app, new_password).await?;
    match app
        .store
        .change_password(&user.username, &user.password_hash, &hash, now())
        .await
    {
        Ok(families) => {
            tracing::info!(sub = %user.username, families, "password changed; every session ended");
            Ok(families)
        }
        // Changed, disabled or deleted since it was checked: this request changes nothing.
        Err(StoreError::ConditionFailed) => Err(ApiError::BadCredentials),
        Err(err) => Err(err.into()),
    }
}
