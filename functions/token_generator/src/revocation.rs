//! POST /revoke (RFC 7009).

use auth_aws::Config;
use auth_core::Ownership;
use lambda_http::Request;

use crate::App;
use crate::body::Params;
use crate::client_auth;
use crate::error::ApiError;
use crate::presented::Token;

/// POST /revoke: a refresh token revokes its whole family; an access token goes on the
/// revocation list until it expires. Invalid, expired and unknown tokens are answered 200 as
/// well (RFC 7009 §2.2): there is nothing left to revoke.
pub async fn revoke(
    app: &App,
    config: &Config,
    request: &Request,
    params: &Params,
) -> Result<(), ApiError> {
    let client = client_auth::optional(app, request, params).await?;
    let token = params.require("token")?;
    let Some(kind) = Token::find(app, config, token).await? else {
        tracing::info!("revocation of a token that is not valid: nothing to do");
        return Ok(());
    };
    // RFC 7009 §2.1: a confidential client's token is revoked by that client, authenticated
    // (401 invalid_client when it did not authenticate, RFC 6749 §5.2); another client may not.
    match kind.ownership(config, client.as_ref()) {
        Ownership::Owner => {}
        Ownership::Unauthenticated => return Err(ApiError::InvalidClient),
        Ownership::OtherClient => {
            return Err(ApiError::UnauthorizedClient(
                "the token was issued to another client",
            ));
        }
    }
    match &kind {
        Token::Refresh(record) => {
            app.store
                .revoke_family(&record.sub, &record.family, "revoked")
                .await?;
            tracing::info!(sub = %record.sub, family = %record.family, "refresh-token family revoked");
        }
        Token::Access(claims) => {
            app.store
                .revoke_access(&claims.jti, &claims.sub, claims.exp)
                .await?;
            tracing::info!(sub = %claims.sub, jti = %claims.jti, "access token revoked");
        }
    }
    Ok(())
}
