//! POST /revoke (RFC 7009) and POST /introspect (RFC 7662).

use auth_aws::{ClientRecord, Config};
use auth_core::Claims;
use lambda_http::Request;
use serde_json::{Value, json};

use crate::App;
use crate::accounts::Attempt;
use crate::body::Params;
use crate::clients;
use crate::error::ApiError;

/// Which kind of token a string turned out to be.
enum Token {
    Access(Claims),
    Refresh(Claims),
}

/// The token as a valid access or refresh token of ours (signature, issuer, audience, expiry),
/// trying the hinted type first. `None`: not a valid token of ours; callers treat that as
/// nothing to revoke, or inactive.
fn classify(config: &Config, token: &str, hint: Option<&str>) -> Option<Token> {
    let access = || config.verifier.verify_access(token).ok().map(Token::Access);
    let refresh = || {
        config
            .verifier
            .verify_refresh(token)
            .ok()
            .map(Token::Refresh)
    };
    match hint {
        Some("refresh_token") => refresh().or_else(access),
        _ => access().or_else(refresh),
    }
}

/// Whether `client` may act on a token issued to `issued_to`: a token of a confidential client
/// belongs to that client only; tokens of the public client (users signing in without client
/// authentication) may be acted on by whoever holds them.
fn owned_by(config: &Config, claims: &Claims, client: Option<&ClientRecord>) -> bool {
    let issued_to = claims
        .client_id
        .as_deref()
        .unwrap_or(&config.public_client_id);
    issued_to == config.public_client_id || client.is_some_and(|c| c.client_id == issued_to)
}

/// POST /revoke: a refresh token revokes its whole family; an access token goes on the
/// revocation list until it expires. Invalid, expired and unknown tokens are answered 200 as
/// well (RFC 7009 §2.2): there is nothing left to revoke.
pub async fn revoke(
    app: &App,
    config: &Config,
    request: &Request,
    params: &Params,
) -> Result<(), ApiError> {
    let attempt = Attempt::of(request);
    let client = clients::optional(app, config, request, params, &attempt).await?;
    let token = params.require("token")?;
    let Some(kind) = classify(config, token, params.get("token_type_hint")) else {
        tracing::info!("revocation of a token that is not valid: nothing to do");
        return Ok(());
    };
    let claims = match &kind {
        Token::Access(c) | Token::Refresh(c) => c,
    };
    // RFC 7009 §2.1: a confidential client's token is revoked by that client, authenticated
    // (401 invalid_client when it did not authenticate, RFC 6749 §5.2); another client may not.
    if !owned_by(config, claims, client.as_ref()) {
        return Err(match client {
            None => ApiError::InvalidClient,
            Some(_) => ApiError::UnauthorizedClient("the token was issued to another client"),
        });
    }
    match &kind {
        Token::Refresh(claims) => {
            if let Some(family) = &claims.fam {
                app.store
                    .revoke_family(&claims.sub, family, "revoked")
                    .await?;
                tracing::info!(sub = %claims.sub, family = %family, "refresh-token family revoked");
            }
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

/// POST /introspect: only for authenticated clients. Active means: a valid token of ours, not
/// revoked, not issued before its user's last logout and, for a refresh token, the current
/// token of a live family issued to the asking client (or the public client).
pub async fn introspect(
    app: &App,
    config: &Config,
    request: &Request,
    params: &Params,
) -> Result<Value, ApiError> {
    let attempt = Attempt::of(request);
    let client = clients::required(app, config, request, params, &attempt).await?;
    let token = params.require("token")?;
    let inactive = json!({"active": false});
    let Some(kind) = classify(config, token, params.get("token_type_hint")) else {
        return Ok(inactive);
    };
    // RFC 7662 §2.2: an expired token is inactive, whatever leeway verifiers allow for clock skew.
    let claims = match &kind {
        Token::Access(c) | Token::Refresh(c) => c,
    };
    if claims.exp <= attempt.now {
        return Ok(inactive);
    }
    let active = match &kind {
        Token::Access(claims) => {
            let state = app
                .store
                .revocation_state(&claims.sub, &claims.jti, claims.fam.as_deref(), true)
                .await?;
            !state.rejects(claims.iat)
        }
        Token::Refresh(claims) => {
            let family = match &claims.fam {
                Some(id) => app.store.find_family(&claims.sub, id).await?,
                None => None,
            };
            owned_by(config, claims, Some(&client))
                && family.is_some_and(|f| {
                    f.revoked.is_none() && f.current_jti == claims.jti && f.expires_at > attempt.now
                })
        }
    };
    if !active {
        return Ok(inactive);
    }
    let (claims, token_type) = match &kind {
        Token::Access(c) => (c, "Bearer"),
        Token::Refresh(c) => (c, "refresh_token"),
    };
    let mut answer = json!({
        "active": true,
        "token_type": token_type,
        "sub": claims.sub,
        "iss": claims.iss,
        "iat": claims.iat,
        "exp": claims.exp,
        "jti": claims.jti,
        "type": claims.token_type,
    });
    // A client's own token (client_credentials: `sub` is its client id) has no user; user names
    // and client ids never coincide (registration refuses either when the other exists).
    let user_token = claims.client_id.as_deref() != Some(claims.sub.as_str());
    let fields = [
        ("username", user_token.then(|| json!(claims.sub))),
        ("scope", claims.scope.as_ref().map(|s| json!(s))),
        ("client_id", claims.client_id.as_ref().map(|c| json!(c))),
        ("aud", claims.aud.as_ref().map(|a| json!(a))),
        ("nbf", claims.nbf.map(|n| json!(n))),
    ];
    if let Some(object) = answer.as_object_mut() {
        for (name, value) in fields {
            if let Some(value) = value {
                object.insert(name.to_owned(), value);
            }
        }
    }
    Ok(answer)
}
