//! Accounts: registration, password checks with brute-force protection, and logout.

use auth_aws::{
    AttemptReservation, Config, LockKey, NewUser, Reserved, StoreError, ThrottleKey, UserRecord,
};
use auth_core::check_password_policy;
use lambda_http::Request;

use crate::App;
use crate::attempt::{Attempt, now};
use crate::body::Params;
use crate::error::ApiError;
use crate::hashing::{SecretKind, hash_password, verify_secret};
use crate::signed_in;

const MAX_USERNAME_CHARS: usize = 256;

/// Counts the attempt against each of `keys` before any password is checked (one conditional
/// write each, see [`auth_aws::Store::reserve_attempt`]). `Ok(Err(until))` when one is locked:
/// the reservations already made are given back, as the attempt checks nothing.
async fn reserve<'a>(
    app: &App,
    config: &Config,
    keys: &[LockKey<'a>],
    now: u64,
) -> Result<Result<Vec<Reserved<'a>>, u64>, ApiError> {
    let mut reserved = Vec::with_capacity(keys.len());
    for key in keys {
        let outcome = match app.store.reserve_attempt(*key, &config.lockout, now).await {
            Ok(outcome) => outcome,
            Err(err) => {
                release(app, &reserved).await;
                return Err(err.into());
            }
        };
        match outcome {
            AttemptReservation::Granted(granted) => reserved.push(granted),
            AttemptReservation::Refused { until } => {
                release(app, &reserved).await;
                return Ok(Err(until));
            }
        }
    }
    Ok(Ok(reserved))
}

/// Gives reservations back; best effort (a DynamoDB error is logged: the count stays one high
/// until the window forgets it).
async fn release(app: &App, reserved: &[Reserved<'_>]) {
    for reservation in reserved {
        if let Err(err) = app.store.release_attempt(reservation).await {
            tracing::warn!(error = %err, "giving back a counted attempt failed");
        }
    }
}

/// The answer to an attempt refused while locked: 429 with Retry-After, or, when
/// LOCKOUT_RESPONSE says `invalid_grant`, the wrong-password answer after the time a password
/// check takes (a dummy verification), so that neither the answer nor its timing tells.
async fn refuse_locked(
    app: &App,
    config: &Config,
    password: &str,
    until: u64,
    now: u64,
) -> ApiError {
    tracing::warn!(
        security_event = "locked_out",
        "attempt refused while locked"
    );
    if config.lockout.response.hides_lock() {
        // The verdict is always false; only the time it takes matters.
        let _ = verify_secret(app, SecretKind::Password, password, None).await;
        return ApiError::BadCredentials;
    }
    ApiError::Locked {
        retry_after: until.saturating_sub(now).max(1),
    }
}

fn key_kind(key: &LockKey<'_>) -> &'static str {
    match key {
        LockKey::Account(_) => "account",
        LockKey::Ip(_) => "ip",
    }
}

/// The user, if `password` is theirs. Unknown user and wrong password take the same path and
/// about the same time. The attempt is counted against the source address and the account
/// before the password is checked, and refused while either is locked; a failure stays
/// counted, a success clears the account's count and gives the address its place back.
pub async fn authenticate(
    app: &App,
    config: &Config,
    username: &str,
    password: &str,
    attempt: &Attempt,
) -> Result<UserRecord, ApiError> {
    let valid = username_is_valid(username);
    let keys = attempt.keys(valid.then_some(username));
    let reserved = match reserve(app, config, &keys, attempt.now).await? {
        Ok(reserved) => reserved,
        Err(until) => return Err(refuse_locked(app, config, password, until, attempt.now).await),
    };
    let user = if valid {
        match app.store.find_user(username).await {
            Ok(user) => user,
            Err(err) => {
                release(app, &reserved).await;
                return Err(err.into());
            }
        }
    } else {
        None
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = verify_secret(app, SecretKind::Password, password, stored).await?;
    match user {
        // A disabled account is refused like a wrong password: nothing tells the two apart.
        Some(user) if matches && !user.disabled => {
            for reservation in &reserved {
                let done = match reservation.key {
                    LockKey::Account(_) => app.store.clear_failures(reservation.key).await,
                    LockKey::Ip(_) => app.store.release_attempt(reservation).await,
                };
                if let Err(err) = done {
                    tracing::warn!(error = %err, "clearing the attempt count failed");
                }
            }
            Ok(user)
        }
        _ => {
            tracing::info!(reason = "bad_credentials", "sign-in refused");
            app.metrics.login_failure();
            for reservation in reserved.iter().filter(|r| r.lock_secs > 0) {
                tracing::warn!(
                    security_event = "lockout",
                    kind = key_kind(&reservation.key),
                    lock_secs = reservation.lock_secs,
                    "too many failed attempts: locked"
                );
            }
            Err(ApiError::BadCredentials)
        }
    }
}

/// POST /auth/register: creates the user; the name is taken by exactly one registration. User
/// names are their own namespace: a client of the same id is neither looked at nor told of.
/// Each source address may register `REGISTER_IP_LIMIT` times per window, counted before the
/// password is hashed (429 `too_many_requests` with Retry-After beyond that).
pub async fn register(
    app: &App,
    config: &Config,
    request: &Request,
    params: &Params,
) -> Result<String, ApiError> {
    let username = params.username()?;
    let password = params.require("password")?;
    if !username_is_valid(username) {
        return Err(ApiError::Malformed(
            "the username must be 1 to 256 characters, without control characters or surrounding spaces",
        ));
    }
    check_password_policy(username, password).map_err(ApiError::WeakPassword)?;
    let attempt = Attempt::of(request);
    if let Some(ip) = attempt.ip.as_deref() {
        let key = ThrottleKey::Register(ip);
        if let Some(retry_after) = app
            .store
            .count_request(key, &config.register, attempt.now)
            .await?
        {
            tracing::warn!(
                security_event = "register_throttled",
                "registration refused: too many from this address"
            );
            return Err(ApiError::Throttled { retry_after });
        }
    }
    let hash = hash_password(app, password).await?;
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
    let claims = signed_in::claims(config, request)?;
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
