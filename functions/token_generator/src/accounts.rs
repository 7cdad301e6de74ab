//! Accounts: registration, password checks and logout.

use auth_aws::{NewUser, StoreError, UserRecord};
use auth_core::{BearerToken, check_password_policy};
use lambda_http::Request;

use crate::App;
use crate::body::Params;
use crate::error::ApiError;
use crate::grants::now;

const MAX_USERNAME_CHARS: usize = 256;

/// The user, if `password` is theirs. Unknown user and wrong password take the same path and
/// about the same time: a dummy hash is verified when the user does not exist.
pub async fn authenticate(
    app: &App,
    username: &str,
    password: &str,
) -> Result<UserRecord, ApiError> {
    let user = if username_is_valid(username) {
        app.store.find_user(username).await?
    } else {
        None
    };
    let hasher = app.hasher.clone();
    let password = password.to_owned();
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    // argon2id is CPU-bound: keep it off the async executor.
    let matches = tokio::task::spawn_blocking(move || hasher.verify(&password, stored.as_deref()))
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    match user {
        Some(user) if matches => Ok(user),
        _ => {
            tracing::info!(reason = "bad_credentials", "sign-in refused");
            Err(ApiError::BadCredentials)
        }
    }
}

/// POST /auth/register: creates the user; the name is taken by exactly one registration.
pub async fn register(app: &App, params: &Params) -> Result<String, ApiError> {
    let username = params.username()?;
    let password = params.require("password")?;
    if !username_is_valid(username) {
        return Err(ApiError::Malformed(
            "the username must be 1 to 256 characters, without control characters or surrounding spaces",
        ));
    }
    check_password_policy(username, password).map_err(ApiError::WeakPassword)?;
    let hasher = app.hasher.clone();
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hasher.hash(&password))
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))?
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let user = NewUser {
        username,
        password_hash: &hash,
        created_at: now(),
    };
    match app.store.create_user(&user).await {
        Ok(()) => {
            tracing::info!(sub = %username, "user registered");
            Ok(username.to_owned())
        }
        Err(StoreError::AlreadyExists) => Err(ApiError::UserExists),
        Err(err) => Err(err.into()),
    }
}

/// POST /auth/logout: ends every session of the access token's user.
pub async fn logout(app: &App, request: &Request) -> Result<(), ApiError> {
    let config = app.loader.current().await;
    let header = request
        .headers()
        .get("authorization")
        .ok_or(ApiError::InvalidToken("missing_token"))?
        .to_str()
        .map_err(|_| ApiError::InvalidToken("malformed_authorization"))?;
    let token = BearerToken::parse(header)
        .map_err(|_| ApiError::InvalidToken("malformed_authorization"))?;
    let claims = config
        .verifier
        .verify_access(token.as_str())
        .map_err(|err| ApiError::InvalidToken(err.reason()))?;
    app.store.end_sessions(&claims.sub).await?;
    tracing::info!(sub = %claims.sub, jti = %claims.jti, "logged out");
    Ok(())
}

fn username_is_valid(username: &str) -> bool {
    let chars = username.chars().count();
    (1..=MAX_USERNAME_CHARS).contains(&chars)
        && !username.chars().any(char::is_control)
        && username.trim() == username
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_checked() {
        assert!(username_is_valid("alice@example.com"));
        assert!(username_is_valid("Zoë"));
        assert!(!username_is_valid(""));
        assert!(!username_is_valid(" alice"));
        assert!(!username_is_valid("al\nice"));
        assert!(!username_is_valid(&"a".repeat(257)));
    }
}
