//! Accounts: registration, password checks with brute-force protection, and logout.

use auth_aws::{Config, LockKey, NewUser, StoreError, UserRecord};
use auth_core::{BearerToken, LockoutResponse, check_password_policy};
use lambda_http::Request;
use lambda_http::RequestExt as _;
use lambda_http::request::RequestContext;

use crate::App;
use crate::body::Params;
use crate::error::ApiError;
use crate::grants::now;

const MAX_USERNAME_CHARS: usize = 256;

/// Who is trying, from where, when: what failures are counted against.
pub struct Attempt {
    pub now: u64,
    /// The caller's address as API Gateway saw it (absent on direct invocations).
    pub ip: Option<String>,
}

impl Attempt {
    pub fn of(request: &Request) -> Self {
        let ip = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            _ => None,
        };
        Self {
            now: now(),
            ip: ip.filter(|ip| !ip.is_empty() && ip.len() <= 64),
        }
    }

    /// The counters of this attempt: the account (or client) and the source address.
    pub fn keys<'a>(&'a self, subject: Option<LockKey<'a>>) -> Vec<LockKey<'a>> {
        subject
            .into_iter()
            .chain(self.ip.as_deref().map(LockKey::Ip))
            .collect()
    }
}

/// Refuses the attempt, without checking any password, while one of `keys` is locked. The
/// answer is 429 with Retry-After, or `refused` when LOCKOUT_RESPONSE says `invalid_grant`.
pub async fn check_lock(
    app: &App,
    config: &Config,
    keys: &[LockKey<'_>],
    now: u64,
    refused: &ApiError,
) -> Result<(), ApiError> {
    let Some(until) = app.store.locked_until(keys, now).await? else {
        return Ok(());
    };
    tracing::warn!(
        security_event = "locked_out",
        "attempt refused while locked"
    );
    Err(match config.lockout.response {
        LockoutResponse::TooManyRequests => ApiError::Locked {
            retry_after: until.saturating_sub(now).max(1),
        },
        LockoutResponse::InvalidGrant => match refused {
            ApiError::InvalidClient => ApiError::InvalidClient,
            _ => ApiError::BadCredentials,
        },
    })
}

/// Counts a failure against each of `keys`. Counting is best effort: a DynamoDB error is
/// logged and the request still gets its own (refusal) answer.
pub async fn count_failure(app: &App, config: &Config, keys: &[LockKey<'_>], now: u64) {
    for key in keys {
        match app.store.record_failure(*key, &config.lockout, now).await {
            Ok(0) => {}
            Ok(lock) => tracing::warn!(
                security_event = "lockout",
                kind = key_kind(key),
                lock_secs = lock,
                "too many failed attempts: locked"
            ),
            Err(err) => tracing::error!(error = %err, "counting a failed attempt failed"),
        }
    }
}

fn key_kind(key: &LockKey<'_>) -> &'static str {
    match key {
        LockKey::Account(_) => "account",
        LockKey::Client(_) => "client",
        LockKey::Ip(_) => "ip",
    }
}

/// argon2id verification off the async executor; `stored: None` verifies a dummy hash so a
/// miss costs the same time as a wrong secret.
pub async fn verify_secret(
    app: &App,
    secret: &str,
    stored: Option<String>,
) -> Result<bool, ApiError> {
    let hasher = app.hasher.clone();
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || hasher.verify(&secret, stored.as_deref()))
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))
}

/// The user, if `password` is theirs. Unknown user and wrong password take the same path and
/// about the same time. Refused while the account or the source address is locked; failures
/// are counted against both, and a success clears the account's count.
pub async fn authenticate(
    app: &App,
    config: &Config,
    username: &str,
    password: &str,
    attempt: &Attempt,
) -> Result<UserRecord, ApiError> {
    let valid = username_is_valid(username);
    let keys = attempt.keys(valid.then_some(LockKey::Account(username)));
    check_lock(app, config, &keys, attempt.now, &ApiError::BadCredentials).await?;
    let user = if valid {
        app.store.find_user(username).await?
    } else {
        None
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = verify_secret(app, password, stored).await?;
    match user {
        Some(user) if matches => {
            if let Err(err) = app.store.clear_failures(LockKey::Account(username)).await {
                tracing::warn!(error = %err, "clearing the failure count failed");
            }
            Ok(user)
        }
        _ => {
            tracing::info!(reason = "bad_credentials", "sign-in refused");
            app.metrics.login_failure();
            count_failure(app, config, &keys, attempt.now).await;
            Err(ApiError::BadCredentials)
        }
    }
}

/// POST /auth/register: creates the user; the name is taken by exactly one registration.
pub async fn register(app: &App, config: &Config, params: &Params) -> Result<String, ApiError> {
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
        roles: &config.default_roles,
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

/// POST /auth/logout: ends every session of the access token's user: every refresh-token
/// family is revoked, the presented access token goes on the revocation list, and the logout
/// time is recorded (the authorizer's REVOCATION_CHECK refuses older access tokens).
pub async fn logout(app: &App, config: &Config, request: &Request) -> Result<(), ApiError> {
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
    let families = app.store.end_sessions(&claims.sub, now()).await?;
    app.store
        .revoke_access(&claims.jti, &claims.sub, claims.exp)
        .await?;
    tracing::info!(sub = %claims.sub, jti = %claims.jti, families, "logged out");
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
