//! argon2id off the async executor: verifying passwords and client secrets, hashing new
//! passwords. Each verification logs `password_checked` at debug, never the secret.

use crate::App;
use crate::error::ApiError;

/// Whose secret a verification checks (the `secret` field of its log line).
#[derive(Debug, Clone, Copy)]
pub enum SecretKind {
    Password,
    ClientSecret,
}

impl SecretKind {
    fn code(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::ClientSecret => "client_secret",
        }
    }
}

/// argon2id verification off the async executor; `stored: None` verifies a dummy hash so a
/// miss costs the same time as a wrong secret. Each verification logs `password_checked` at
/// debug (`dummy = true` for the dummy hash), never the secret.
pub async fn verify_secret(
    app: &App,
    kind: SecretKind,
    secret: &str,
    stored: Option<String>,
) -> Result<bool, ApiError> {
    tracing::debug!(
        secret = kind.code(),
        dummy = stored.is_none(),
        "password_checked"
    );
    let hasher = app.hasher.clone();
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || hasher.verify(&secret, stored.as_deref()))
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))
}

/// The argon2id hash of `password`, off the async executor.
pub async fn hash_password(app: &App, password: &str) -> Result<String, ApiError> {
    let hasher = app.hasher.clone();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hasher.hash(&password))
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))?
        .map_err(|err| ApiError::Internal(err.to_string()))
}
