//! OAuth 2.0 wire types: error codes (RFC 6749 §5.2) and the token response (§5.1).

use serde::Serialize;

/// An OAuth 2.0 error code and the HTTP status that goes with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    /// Malformed request, missing or repeated parameter.
    InvalidRequest,
    /// Bad credentials or a bad, expired, revoked or rotated refresh token.
    InvalidGrant,
    /// A grant type this server does not handle.
    UnsupportedGrantType,
    /// A bearer token that is missing, malformed or not valid (RFC 6750 §3.1).
    InvalidToken,
    /// Client authentication failed (RFC 6749 §5.2).
    InvalidClient,
    /// The client may not use this grant or token (RFC 6749 §5.2, RFC 7009 §2.2.1).
    UnauthorizedClient,
    /// The requested scope is invalid or exceeds what may be granted.
    InvalidScope,
    /// Something failed on our side.
    ServerError,
}

impl OAuthError {
    /// The `error` code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidToken => "invalid_token",
            Self::InvalidClient => "invalid_client",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
        }
    }

    /// The HTTP status code.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidRequest
            | Self::InvalidGrant
            | Self::UnsupportedGrantType
            | Self::UnauthorizedClient
            | Self::InvalidScope => 400,
            Self::InvalidToken | Self::InvalidClient => 401,
            Self::ServerError => 500,
        }
    }
}

/// `{"error": ..., "error_description": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody<'a> {
    /// The error code.
    pub error: &'a str,
    /// A human-readable explanation for the client developer.
    pub error_description: &'a str,
}

/// A successful token response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse<'a> {
    /// The access token.
    pub access_token: &'a str,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access-token lifetime in seconds.
    pub expires_in: u64,
    /// The refresh token (none for client_credentials, RFC 6749 §4.4.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<&'a str>,
    /// The granted scope (RFC 6749 §5.1), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_errors_are_bad_requests() {
        assert_eq!(OAuthError::InvalidGrant.status(), 400);
        assert_eq!(OAuthError::InvalidGrant.code(), "invalid_grant");
        assert_eq!(
            OAuthError::UnsupportedGrantType.code(),
            "unsupported_grant_type"
        );
        assert_eq!(OAuthError::InvalidToken.status(), 401);
    }
}
