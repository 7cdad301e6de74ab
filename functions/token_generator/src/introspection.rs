//! POST /introspect (RFC 7662).

use auth_aws::{Config, RefreshRecord};
use auth_core::{Claims, Ownership};
use lambda_http::Request;
use serde_json::{Value, json};

use crate::App;
use crate::attempt::Attempt;
use crate::body::Params;
use crate::client_auth;
use crate::error::ApiError;
use crate::presented::Token;

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
    let client = client_auth::required(app, request, params).await?;
    let token = params.require("token")?;
    let inactive = json!({"active": false});
    let Some(kind) = Token::find(app, config, token).await? else {
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
            if !live
                || record.expires_at <= attempt.now
                || kind.ownership(config, Some(&client)) != Ownership::Owner
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
