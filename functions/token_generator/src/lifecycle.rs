//! POST /revoke (RFC 7009) and POST /introspect (RFC 7662).

use auth_aws::{ClientRecord, Config, RefreshRecord};
use auth_core::{Claims, RefreshToken};
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
    Refresh(RefreshRecord),
}

impl Token {
    /// The client the token was issued to.
    fn client_id<'a>(&'a self, config: &'a Config) -> &'a str {
        match self {
            Self::Access(claims) => claims
                .client_id
                .as_deref()
                .unwrap_or(&config.public_client_id),
            Self::Refresh(record) => &record.client_id,
        }
    }
}

/// The token as a valid access token of ours (signature, issuer, audience, expiry) or a refresh
/// token we stored. `None`: no token of ours; callers treat that as nothing to revoke, or
/// inactive. The hint is not needed: a refresh token is never a JWT.
async fn classify(app: &App, config: &Config, token: &str) -> Result<Option<Token>, ApiError> {
    if let Some(handle) = RefreshToken::parse(token) {
        let record = app.store.find_refresh(&handle.digest()).await?;
        return Ok(record.map(Token::Refresh));
    }
    Ok(config.verifier.verify_access(token).ok().map(Token::Access))
}

/// Whether `client` may act on `token`: a token of a confidential client belongs to that client
/// only; tokens of the public client (users signing in without client authentication) may be
/// acted on by whoever holds them.
fn owned_by(config: &Config, token: &Token, client: Option<&ClientRecord>) -> bool {
    let issued_to = token.client_id(config);
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
    let client = clients::optional(app, request, params).await?;
    let token = params.require("token")?;
    let Some(kind) = classify(app, config, token).await? else {
        tracing::info!("revocation of a token that is not valid: nothing to do");
        return Ok(());
    };
    // RFC 7009 §2.1: a confidential client's token is revoked by that client, authenticated
    // (401 invalid_client when it did not authenticate, RFC 6749 §5.2); another client may not.
    if !owned_by(config, &kind, client.as_ref()) {
        return Err(match client {
            None => ApiError::InvalidClient,
            Some(_) => ApiError::UnauthorizedClient("the token was issued to another client"),
        });
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
    let client = clients::required(app, request, params).await?;
    let token = params.require("token")?;
    let inactive = json!({"active": false});
    let Some(kind) = classify(app, config, token).await? else {
        return Ok(inactive);
    };
    let answer = match &kind {
        Token::Access(claims) => {
            // RFC 7662 §2.2: an expired token is inactive, whatever leeway verifiers allow.
            if claims.exp <= attempt.now {
                return Ok(inactive);
            }
            let state = app
                .store
                .revocation_state(&claims.sub, &claims.jti, claims.fam.as_deref(), true)
                .await?;
            if state.rejects(claims.iat) {
                return Ok(inactive);
            }
            access_answer(claims)
        }
        Token::Refresh(record) => {
            let family = app.store.find_family(&record.sub, &record.family).await?;
            let live = family.is_some_and(|f| {
                f.revoked.is_none()
                    && f.generation == record.generation
                    && f.expires_at > attempt.now
            });
            if !live || record.expires_at <= attempt.now || !owned_by(config, &kind, Some(&client))
            {
                return Ok(inactive);
            }
            refresh_answer(config, record)
        }
    };
    Ok(answer)
}

/// RFC 7662 §2.2 for an access token: `token_type` is the RFC 6749 type, `Bearer`.
fn access_answer(claims: &Claims) -> Value {
    let mut answer = json!({
        "active": true,
        "token_type": "Bearer",
        "sub": claims.sub,
        "iss": claims.iss,
        "iat": claims.iat,
        "exp": claims.exp,
        "jti": claims.jti,
        "type": claims.token_type,
    });
    // Every user's token belongs to a refresh-token family (`fam`); a client's own token
    // (client_credentials: `sub` = `client_id` = its id) never does. User names and client ids
    // are separate namespaces, so `sub` alone cannot tell them apart: `fam` does.
    let user_token = claims.fam.is_some();
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
    answer
}

/// RFC 7662 §2.2 for a refresh token: no `token_type` (a refresh token is presented to no
/// resource, so it has no RFC 6749 token type); `type: refresh` says what it is.
fn refresh_answer(config: &Config, record: &RefreshRecord) -> Value {
    let mut answer = json!({
        "active": true,
        "sub": record.sub,
        "username": record.sub,
        "iss": config.tokens.issuer,
        "iat": record.issued_at,
        "exp": record.expires_at,
        "client_id": record.client_id,
        "type": "refresh",
    });
    if let (Some(scope), Some(object)) = (&record.scope, answer.as_object_mut()) {
        object.insert("scope".to_owned(), json!(scope));
    }
    answer
}
