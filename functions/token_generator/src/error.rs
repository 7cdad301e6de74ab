//! Everything a request can fail with, mapped to the wire in one place.

use auth_core::{OAuthError, PasswordError, ScopeError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{0}")]
    Malformed(&'static str),
    #[error("the request body is larger than 16 KiB")]
    TooLarge,
    #[error("the {0} parameter is missing")]
    MissingField(&'static str),
    #[error("the grant type is not supported")]
    UnsupportedGrant,
    #[error("the username or password is incorrect")]
    BadCredentials,
    /// The reason is logged; the client only learns that the refresh token is no good.
    #[error("the refresh token is invalid, expired or revoked")]
    RefreshRejected(&'static str),
    /// Client authentication failed or was required and missing: 401 with a Basic challenge
    /// (RFC 6749 §5.2; RFC 9110 §15.5.2 wants the challenge on every 401).
    #[error("client authentication failed")]
    InvalidClient,
    #[error("{0}")]
    UnauthorizedClient(&'static str),
    #[error("the requested scope is invalid or not granted to this client or user")]
    InvalidScope,
    /// RFC 8707 §2: a `resource` this server issues no tokens for.
    #[error("the requested resource is not one this server issues tokens for")]
    InvalidTarget,
    /// The issuer is not a URL, so no discovery document can tell the truth.
    #[error("no discovery document: the issuer (TOKEN_ISSUER) is not an https URL")]
    NoDiscovery,
    /// Too many failed attempts; the number of seconds until the next may be made.
    #[error("too many failed attempts; try again later")]
    Locked { retry_after: u64 },
    /// Too many requests of this kind from the source address (registrations).
    #[error("too many requests; try again later")]
    Throttled { retry_after: u64 },
    #[error("{0}")]
    WeakPassword(PasswordError),
    #[error("the username is already registered")]
    UserExists,
    #[error("the access token is missing, invalid or expired")]
    InvalidToken(&'static str),
    #[error("no such resource")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// HTTP status and `error` code.
    pub fn wire(&self) -> (u16, &'static str) {
        match self {
            Self::Malformed(_) | Self::MissingField(_) | Self::WeakPassword(_) => {
                (400, OAuthError::InvalidRequest.code())
            }
            Self::TooLarge => (413, OAuthError::InvalidRequest.code()),
            Self::UnsupportedGrant => (400, OAuthError::UnsupportedGrantType.code()),
            Self::BadCredentials | Self::RefreshRejected(_) => {
                (400, OAuthError::InvalidGrant.code())
            }
            Self::InvalidClient => (401, OAuthError::InvalidClient.code()),
            Self::UnauthorizedClient(_) => (400, OAuthError::UnauthorizedClient.code()),
            Self::InvalidScope => (400, OAuthError::InvalidScope.code()),
            Self::InvalidTarget => (400, "invalid_target"),
            Self::Locked { .. } => (429, "too_many_attempts"),
            Self::Throttled { .. } => (429, "too_many_requests"),
            Self::InvalidToken(_) => (401, OAuthError::InvalidToken.code()),
            Self::UserExists => (409, "user_exists"),
            Self::NotFound | Self::NoDiscovery => (404, "not_found"),
            Self::MethodNotAllowed(_) => (405, "method_not_allowed"),
            Self::Internal(_) => (500, OAuthError::ServerError.code()),
        }
    }
}

impl From<auth_aws::StoreError> for ApiError {
    fn from(err: auth_aws::StoreError) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<ScopeError> for ApiError {
    fn from(_: ScopeError) -> Self {
        Self::InvalidScope
    }
}
