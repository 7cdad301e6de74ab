//! The access token a signed-in user presents to the account routes (POST /auth/logout,
//! POST /auth/password) as `Authorization: Bearer`. The function verifies it itself, as these
//! routes are not behind the authorizer: they work whatever the authorizer's cache holds.

use auth_aws::Config;
use auth_core::{BearerToken, Claims};
use lambda_http::Request;

use crate::error::ApiError;

/// The claims of the request's access token: signature, issuer, audience and expiry checked.
pub fn claims(config: &Config, request: &Request) -> Result<Claims, ApiError> {
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
    // A user's token always belongs to a refresh-token family; a client's own token
    // (client_credentials) never does, and its `sub` may be a user's name too (separate
    // namespaces): it signs no user in.
    if claims.fam.is_none() {
        return Err(ApiError::InvalidToken("not_a_user_token"));
    }
    Ok(claims)
}
