//! GET /.well-known/jwks.json (RFC 7517) and the authorization server metadata (RFC 8414), at
//! RFC 8414's path (/.well-known/oauth-authorization-server) and at the path OpenID Connect
//! discovery and API Gateway's JWT authorizer read (/.well-known/openid-configuration).

use auth_aws::Config;
use lambda_http::Request;
use serde_json::{Value, json};

/// Where this service is reached: the issuer when it is a URL (as it must be for API Gateway's
/// JWT authorizer and OIDC discovery), otherwise what the request says (Host header and the
/// stage or base-path prefix in front of `suffix`).
fn base_url(config: &Config, request: &Request, suffix: &str) -> String {
    let issuer = config.tokens.issuer.trim_end_matches('/');
    if issuer.starts_with("https://") || issuer.starts_with("http://") {
        return issuer.to_owned();
    }
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()))
    };
    let host = header("host").unwrap_or("localhost");
    let proto = match header("x-forwarded-proto") {
        Some("http") => "http",
        _ => "https",
    };
    let path = request.uri().path().trim_end_matches('/');
    let prefix = path.strip_suffix(suffix).unwrap_or("");
    format!("{proto}://{host}{prefix}")
}

/// The public keys that verify our tokens.
pub fn jwks(config: &Config) -> Value {
    config.verifier.keys().public_jwks()
}

/// Authorization server metadata, answered at `path` (after any stage prefix).
pub fn metadata(config: &Config, request: &Request, path: &str) -> Value {
    let base = base_url(config, request, path);
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
    let auth_methods = ["client_secret_basic", "client_secret_post"];
    json!({
        "issuer": config.tokens.issuer,
        "token_endpoint": format!("{base}/token"),
        "revocation_endpoint": format!("{base}/revoke"),
        "introspection_endpoint": format!("{base}/introspect"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["password", "refresh_token", "client_credentials"],
        // No authorization endpoint: tokens come from the token endpoint only.
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": auth_methods,
        // Not a registered RFC 8414 name: the algorithms access tokens are signed with.
        "access_token_signing_alg_values_supported": algorithms,
        "scopes_supported": scopes,
    })
}
