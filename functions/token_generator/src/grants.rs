//! POST /token: the password (RFC 6749 §4.3), refresh_token (§6) and client_credentials (§4.4)
//! grants.

use auth_aws::{Config, Family, RefreshRecord, RotateError};
use auth_core::{Grant, IssuedToken, Ownership, RefreshToken, random_id};
use lambda_http::Request;

use crate::App;
use crate::accounts;
use crate::attempt::Attempt;
use crate::body::Params;
use crate::client_auth;
use crate::error::ApiError;

/// What a grant issues.
pub struct Issued {
    pub access: IssuedToken,
    pub refresh: Option<RefreshToken>,
    pub scope: Option<String>,
}

/// Runs the grant named by `grant_type`.
pub async fn token(
    app: &App,
    config: &Config,
    request: &Request,
    params: &Params,
) -> Result<Issued, ApiError> {
    match params.require("grant_type")? {
        "password" => password(app, config, request, params).await,
        "refresh_token" => refresh(app, config, request, params).await,
        "client_credentials" => client_credentials(app, config, request, params).await,
        _ => Err(ApiError::UnsupportedGrant),
    }
}

fn issuer(config: &Config) -> Result<&auth_core::TokenIssuer, ApiError> {
    config
        .issuer
        .as_ref()
        .ok_or_else(|| ApiError::Internal("the key set has no private signing key".to_owned()))
}

fn internal(err: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(err.to_string())
}

/// The audience of the token: the `resource` the request names (RFC 8707), if this server
/// issues tokens for it, else the configured audience.
fn audience<'a>(config: &'a Config, params: &'a Params) -> Result<&'a str, ApiError> {
    config
        .audience_for(params.get("resource"))
        .ok_or(ApiError::InvalidTarget)
}

/// Checks the user's password and starts a refresh-token family (also POST /auth/login).
pub async fn password(
    app: &App,
    config: &Config,
    request: &Request,
    params: &Params,
) -> Result<Issued, ApiError> {
    let issuer = issuer(config)?;
    let username = params.username()?;
    let password = params.require("password")?;
    let attempt = Attempt::of(request);
    // A confidential client signing a user in authenticates; anyone else is the public client.
    let client = client_auth::optional(app, request, params).await?;
    let client_id = client
        .as_ref()
        .map_or(config.public_client_id.as_str(), |c| c.client_id.as_str());
    let audience = audience(config, params)?;
    let user = accounts::authenticate(app, config, username, password, &attempt).await?;
    let allowed = config.scopes_for_roles(&user.roles);
    let scope = auth_core::narrow_scope(params.get("scope"), &allowed)?;
    let grant = Grant {
        sub: &user.username,
        client_id,
        scope: scope.as_deref(),
        audience: Some(audience),
    };
    // Logout revokes tokens issued at or before its second (`iat <= logout_at`): a sign-in in
    // that same second is dated one second later (within the verifiers' leeway), so it lives.
    let now = match user.logout_at {
        Some(logout_at) if logout_at >= attempt.now => logout_at.saturating_add(1),
        _ => attempt.now,
    };
    let family = Family {
        sub: user.username.clone(),
        id: random_id().map_err(internal)?,
        generation: 0,
        client_id: client_id.to_owned(),
        scope: scope.clone(),
        issued_at: now,
        expires_at: now.saturating_add(config.tokens.refresh_family_ttl_secs),
        revoked: None,
    };
    let refresh = RefreshToken::generate().map_err(internal)?;
    let first = RefreshRecord::first(&family, refresh.digest(), config.tokens.refresh_ttl_secs);
    let access = issuer
        .issue_family_access(&grant, &family.id, now)
        .map_err(internal)?;
    app.store.start_family(&family, &first).await?;
    tracing::info!(sub = %user.username, client_id, family = %family.id, jti = %access.claims.jti, "tokens issued (password)");
    app.metrics.tokens_issued("password");
    Ok(Issued {
        access,
        refresh: Some(refresh),
        scope,
    })
}

/// Exchanges a refresh token for a new pair: the family rotates, and a token that was already
/// rotated revokes the whole family (RFC 9700 §4.14.2).
async fn refresh(
    app: &App,
    config: &Config,
    request: &Request,
    params: &Params,
) -> Result<Issued, ApiError> {
    let issuer = issuer(config)?;
    let presented = params.require("refresh_token")?;
    let attempt = Attempt::of(request);
    let client = client_auth::optional(app, request, params).await?;
    let audience = audience(config, params)?;
    // Refresh tokens are opaque handles: a JWT (or anything else) is no refresh token of ours.
    let presented = RefreshToken::parse(presented).ok_or(ApiError::RefreshRejected("malformed"))?;
    let record = app
        .store
        .find_refresh(&presented.digest())
        .await?
        .ok_or(ApiError::RefreshRejected("unknown_token"))?;
    if record.expires_at <= attempt.now {
        return Err(ApiError::RefreshRejected("expired"));
    }
    // RFC 6749 §6: a token issued to a confidential client is only refreshed by that client.
    let caller = client.as_ref().map(|c| c.client_id.as_str());
    match Ownership::of(&record.client_id, &config.public_client_id, caller) {
        Ownership::Owner => {}
        Ownership::Unauthenticated => return Err(ApiError::InvalidClient),
        Ownership::OtherClient => return Err(ApiError::RefreshRejected("other_client")),
    }
    // The account as it is now (one more read): a disabled or deleted one refreshes nothing,
    // and a role taken away since sign-in narrows the scope from this refresh on. The family's
    // scope stays the ceiling: a role given back restores up to it, never past sign-in's grant.
    let user = app
        .store
        .find_user(&record.sub)
        .await?
        .ok_or(ApiError::RefreshRejected("unknown_user"))?;
    if user.disabled {
        return Err(ApiError::RefreshRejected("user_disabled"));
    }
    // RFC 6749 §6: the scope is checked against the grant before the token is spent, so a
    // request the server refuses leaves the client's refresh token usable.
    let access_scope = auth_core::refresh_scope(
        record.scope.as_deref(),
        &config.scopes_for_roles(&user.roles),
        params.get("scope"),
    )?;
    let now = attempt.now;
    let refresh = RefreshToken::generate().map_err(internal)?;
    let successor = record.successor(refresh.digest(), now, config.tokens.refresh_ttl_secs);
    app.store
        .rotate_family(&record, &successor, now)
        .await
        .map_err(|err| match err {
            RotateError::Unknown => ApiError::RefreshRejected("unknown_family"),
            RotateError::Revoked => ApiError::RefreshRejected("family_revoked"),
            RotateError::Expired => ApiError::RefreshRejected("family_expired"),
            RotateError::ReuseDetected => {
                tracing::warn!(
                    security_event = "refresh_token_reuse",
                    sub = %record.sub,
                    family = %record.family,
                    generation = record.generation,
                    "a rotated refresh token was presented again: family revoked"
                );
                app.metrics.refresh_reuse();
                ApiError::RefreshRejected("reuse_detected")
            }
            RotateError::Store(err) => err.into(),
        })?;
    let access = issuer
        .issue_family_access(
            &Grant {
                sub: &record.sub,
                client_id: &record.client_id,
                scope: access_scope.as_deref(),
                audience: Some(audience),
            },
            &record.family,
            now,
        )
        .map_err(internal)?;
    tracing::info!(sub = %record.sub, family = %record.family, generation = successor.generation, "tokens issued (refresh_token)");
    app.metrics.tokens_issued("refresh_token");
    Ok(Issued {
        access,
        refresh: Some(refresh),
        scope: access_scope,
    })
}

/// A machine-to-machine client gets an access token for itself, with no refresh token.
async fn client_credentials(
    app: &App,
    config: &Config,
    request: &Request,
    params: &Params,
) -> Result<Issued, ApiError> {
    let issuer = issuer(config)?;
    let attempt = Attempt::of(request);
    let client = client_auth::required(app, request, params).await?;
    let audience = audience(config, params)?;
    let scope = auth_core::narrow_scope(params.get("scope"), &client.scopes)?;
    let access = issuer
        .issue_access(
            &Grant {
                sub: &client.client_id,
                client_id: &client.client_id,
                scope: scope.as_deref(),
                audience: Some(audience),
            },
            attempt.now,
        )
        .map_err(internal)?;
    tracing::info!(client_id = %client.client_id, jti = %access.claims.jti, "tokens issued (client_credentials)");
    app.metrics.tokens_issued("client_credentials");
    Ok(Issued {
        access,
        refresh: None,
        scope,
    })
}
