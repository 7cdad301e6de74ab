//! GET /.well-known/jwks.json (RFC 7517) and the authorization server metadata (RFC 8414), at
//! RFC 8414's path (/.well-known/oauth-authorization-server, also in §3.1's path-insertion form
//! /.well-known/oauth-authorization-server/<issuer path>) and at the path OpenID Connect
//! discovery and API Gateway's JWT authorizer read (/.well-known/openid-configuration).
//!
//! Every URL in the document comes from the configured issuer, never from the request (`Host`,
//! `X-Forwarded-*`): a cached document must not send clients elsewhere.

use auth_aws::Config;
use serde_json::{Value, json};

use crate::error::ApiError;

/// The public keys that verify our tokens.
pub fn jwks(config: &Config) -> Value {
    config.verifier.keys().public_jwks()
}

/// The issuer as a URL, or [`ApiError::NoDiscovery`] when it is not one: RFC 8414 §3.3 has the
/// client check that `issuer` equals the URL it built the metadata URL from, so a document for a
/// non-URL issuer could only lie.
fn issuer_url(config: &Config) -> Result<&str, ApiError> {
    auth_core::issuer_url(&config.tokens.issuer).ok_or(ApiError::NoDiscovery)
}

/// Whether `suffix` (what follows /.well-known/oauth-authorization-server/) is the issuer's path,
/// as RFC 8414 §3.1 builds it: `https://host/dev` has its metadata at
/// `https://host/.well-known/oauth-authorization-server/dev`.
pub fn is_issuer_path(config: &Config, suffix: &str) -> Result<bool, ApiError> {
    let base = issuer_url(config)?;
    let path = base
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or("", |(_, path)| path);
    Ok(!path.is_empty() && path == suffix.trim_end_matches('/'))
}

/// Authorization server metadata (RFC 8414 §2).
pub fn metadata(config: &Config) -> Result<Value, ApiError> {
    let base = issuer_url(config)?;
    let mut algorithms: Vec<&str> = config
        .verifier
        .keys()
        .keys()
        .iter()
        .map(|k| k.algorithm().name())
        .collect();
    algorithms.sort_unstable();
    algorithms.dedup();
    let mut scopes: Vec<&String> = config.role_scopes.values().flatten().collect();
    scopes.sort();
    scopes.dedup();
    let client_auth = ["client_secret_basic", "client_secret_post"];
    let with_public = ["client_secret_basic", "client_secret_post", "none"];
    Ok(json!({
        "issuer": base,
        "token_endpoint": format!("{base}/token"),
        "revocation_endpoint": format!("{base}/revoke"),
        "introspection_endpoint": format!("{base}/introspect"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["password", "refresh_token", "client_credentials"],
        // REQUIRED and non-empty (RFC 8414 §2). There is no authorization endpoint yet: `none`
        // (OAuth 2.0 Multiple Response Type Encoding Practices §4) is the registered type under
        // which the authorization endpoint issues nothing.
        "response_types_supported": ["none"],
        "token_endpoint_auth_methods_supported": with_public,
        "revocation_endpoint_auth_methods_supported": with_public,
        "introspection_endpoint_auth_methods_supported": client_auth,
        // Not a registered RFC 8414 name: the algorithms access tokens are signed with.
        "access_token_signing_alg_values_supported": algorithms,
        "scopes_supported": scopes,
    }))
}
