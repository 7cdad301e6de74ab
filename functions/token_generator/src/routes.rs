//! Routing by path (with or without a stage prefix) and method.

use std::time::Instant;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use token_generator::event::BadEvent;

use crate::App;
use crate::accounts;
use crate::body::Params;
use crate::discovery;
use crate::error::ApiError;
use crate::grants;
use crate::introspection;
use crate::password;
use crate::response;
use crate::revocation;

/// How long clients and API Gateway may cache the JWKS and the metadata: a rotation publishes
/// the next key a whole rotation period before it signs, so five minutes is plenty.
const JWKS_MAX_AGE: u32 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Token,
    Revoke,
    Introspect,
    Register,
    Login,
    Logout,
    /// A signed-in user's new password.
    ChangePassword,
    Health,
    Jwks,
    /// OpenID Connect discovery's path, which API Gateway's JWT authorizer reads.
    Metadata,
    /// RFC 8414's own path for the same document.
    ServerMetadata,
    /// RFC 8414 §3.1's path-insertion form: the document at
    /// /.well-known/oauth-authorization-server/<issuer path>.
    ServerMetadataFor,
}

/// The prefix of [`Route::ServerMetadataFor`] paths.
const SERVER_METADATA_PREFIX: &str = "/.well-known/oauth-authorization-server/";

/// How a route is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// GET (and HEAD): documents.
    Read,
    /// POST: everything that acts.
    Write,
}

/// Every route with its path (after any stage prefix) and method: the one place a route is
/// declared. [`Route::ServerMetadataFor`] matches every path under its prefix.
const ROUTES: [(Route, &str, Access); 12] = [
    (Route::Token, "/token", Access::Write),
    (Route::Revoke, "/revoke", Access::Write),
    (Route::Introspect, "/introspect", Access::Write),
    (Route::Register, "/auth/register", Access::Write),
    (Route::Login, "/auth/login", Access::Write),
    (Route::Logout, "/auth/logout", Access::Write),
    (Route::ChangePassword, "/auth/password", Access::Write),
    (Route::Health, "/health", Access::Read),
    (Route::Jwks, "/.well-known/jwks.json", Access::Read),
    (
        Route::Metadata,
        "/.well-known/openid-configuration",
        Access::Read,
    ),
    (
        Route::ServerMetadata,
        "/.well-known/oauth-authorization-server",
        Access::Read,
    ),
    (
        Route::ServerMetadataFor,
        "/.well-known/oauth-authorization-server/{path}",
        Access::Read,
    ),
];

impl Route {
    fn entry(self) -> Option<&'static (Route, &'static str, Access)> {
        ROUTES.iter().find(|(route, _, _)| *route == self)
    }

    /// The route's path, as logged.
    fn name(self) -> &'static str {
        self.entry().map_or("unknown", |(_, path, _)| path)
    }

    /// Answered to GET (and HEAD) rather than POST.
    fn is_read(self) -> bool {
        self.entry()
            .is_some_and(|(_, _, access)| *access == Access::Read)
    }

    fn exact(path: &str) -> Option<Self> {
        ROUTES
            .iter()
            .find(|(route, name, _)| *route != Self::ServerMetadataFor && *name == path)
            .map(|(route, _, _)| *route)
    }

    /// The route for a path, also when it carries a stage or base-path prefix (`/dev/token`).
    fn resolve(path: &str) -> Option<Self> {
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        let route = |path: &str| match path.starts_with(SERVER_METADATA_PREFIX) {
            true => Some(Self::ServerMetadataFor),
            false => Self::exact(path),
        };
        route(path).or_else(|| {
            let rest = path.strip_prefix('/')?;
            let (_, tail) = rest.split_once('/')?;
            route(path.get(path.len() - tail.len() - 1..)?)
        })
    }
}

/// Handles one request; never fails (every error is a response).
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let started = Instant::now();
    let config = app.loader.current().await;
    let route = Route::resolve(request.uri().path());
    let method = request.method().clone();
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let mut response = match (route, &method) {
        (None, _) => response::error(&ApiError::NotFound),
        (Some(_), &Method::OPTIONS) => {
            response::preflight(header("access-control-request-headers"))
        }
        (Some(Route::Health), &Method::GET | &Method::HEAD) => {
            response::json(200, &json!({"status": "ok"}))
        }
        (Some(Route::Jwks), &Method::GET | &Method::HEAD) => {
            response::cacheable(&discovery::jwks(&config), JWKS_MAX_AGE)
        }
        (Some(Route::Metadata | Route::ServerMetadata), &Method::GET | &Method::HEAD) => {
            match discovery::metadata(&config) {
                Ok(metadata) => response::cacheable(&metadata, JWKS_MAX_AGE),
                Err(err) => response::error(&err),
            }
        }
        (Some(Route::ServerMetadataFor), &Method::GET | &Method::HEAD) => {
            let suffix = request
                .uri()
                .path()
                .split_once(SERVER_METADATA_PREFIX)
                .map_or("", |(_, suffix)| suffix);
            match discovery::is_issuer_path(&config, suffix).and_then(|ours| {
                if ours {
                    discovery::metadata(&config)
                } else {
                    Err(ApiError::NotFound)
                }
            }) {
                Ok(metadata) => response::cacheable(&metadata, JWKS_MAX_AGE),
                Err(err) => response::error(&err),
            }
        }
        (Some(route), _) if route.is_read() => {
            response::error(&ApiError::MethodNotAllowed("GET, HEAD, OPTIONS"))
        }
        (Some(route), &Method::POST) => match dispatch(app, &config, route, &request).await {
            Ok(response) => response,
            Err(err) => response::error(&err),
        },
        (Some(_), _) => response::error(&ApiError::MethodNotAllowed("POST, OPTIONS")),
    };
    response::add_cors(&mut response, &config.cors, header("origin"));
    tracing::info!(
        method = %method,
        route = route.map_or("unknown", Route::name),
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request handled"
    );
    response
}

/// The answer to an event that makes no HTTP request (a body marked base64 that is not, a path
/// or query no URI holds): 400 `invalid_request`, never a panic.
pub async fn bad_event(app: &App, bad: BadEvent) -> Response<Body> {
    let config = app.loader.current().await;
    tracing::info!(
        reason = bad.code(),
        "event refused: not a valid HTTP request"
    );
    let mut response = response::error(&ApiError::Malformed(bad.description()));
    response::add_cors(&mut response, &config.cors, None);
    response
}

async fn dispatch(
    app: &App,
    config: &auth_aws::Config,
    route: Route,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let expires_in = config.tokens.access_ttl_secs;
    match route {
        Route::Token => {
            let params = Params::parse(request)?;
            let issued = grants::token(app, config, request, &params).await?;
            Ok(response::tokens(&issued, expires_in))
        }
        Route::Login => {
            let params = Params::parse(request)?;
            let issued = grants::password(app, config, request, &params).await?;
            Ok(response::tokens(&issued, expires_in))
        }
        Route::Revoke => {
            let params = Params::parse(request)?;
            revocation::revoke(app, config, request, &params).await?;
            Ok(response::json(200, &json!({})))
        }
        Route::Introspect => {
            let params = Params::parse(request)?;
            let answer = introspection::introspect(app, config, request, &params).await?;
            Ok(response::json(200, &answer))
        }
        Route::Register => {
            let params = Params::parse(request)?;
            let username = accounts::register(app, config, request, &params).await?;
            Ok(response::json(
                201,
                &json!({"username": username, "message": "registered"}),
            ))
        }
        Route::Logout => {
            accounts::logout(app, config, request).await?;
            Ok(response::json(200, &json!({"message": "logged out"})))
        }
        Route::ChangePassword => {
            password::change(app, config, request).await?;
            Ok(response::json(
                200,
                &json!({"message": "password changed; sign in again"}),
            ))
        }
        Route::Health
        | Route::Jwks
        | Route::Metadata
        | Route::ServerMetadata
        | Route::ServerMetadataFor => Err(ApiError::MethodNotAllowed("GET, HEAD, OPTIONS")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_resolve_with_and_without_stage() {
        assert_eq!(Route::resolve("/token"), Some(Route::Token));
        assert_eq!(Route::resolve("/token/"), Some(Route::Token));
        assert_eq!(Route::resolve("/dev/token"), Some(Route::Token));
        assert_eq!(Route::resolve("/prod/auth/login"), Some(Route::Login));
        assert_eq!(Route::resolve("/auth/register"), Some(Route::Register));
        assert_eq!(
            Route::resolve("/dev/auth/password"),
            Some(Route::ChangePassword)
        );
        assert_eq!(Route::resolve("/v1/health"), Some(Route::Health));
        assert_eq!(Route::resolve("/prod/revoke"), Some(Route::Revoke));
        assert_eq!(Route::resolve("/introspect"), Some(Route::Introspect));
        assert_eq!(
            Route::resolve("/dev/.well-known/jwks.json"),
            Some(Route::Jwks)
        );
        assert_eq!(
            Route::resolve("/.well-known/openid-configuration"),
            Some(Route::Metadata)
        );
        assert_eq!(
            Route::resolve("/prod/.well-known/oauth-authorization-server"),
            Some(Route::ServerMetadata)
        );
        assert_eq!(
            Route::resolve("/.well-known/oauth-authorization-server/prod"),
            Some(Route::ServerMetadataFor)
        );
        assert_eq!(
            Route::resolve("/prod/.well-known/oauth-authorization-server/prod"),
            Some(Route::ServerMetadataFor)
        );
    }

    #[test]
    fn every_declared_route_resolves_from_its_path() {
        for (route, path, _) in ROUTES {
            let path = path.replace("{path}", "prod");
            assert_eq!(Route::resolve(&path), Some(route), "{path}");
            assert_eq!(
                Route::resolve(&format!("/prod{path}")),
                Some(route),
                "{path}"
            );
        }
    }

    #[test]
    fn unknown_paths_do_not_resolve() {
        for path in [
            "/",
            "",
            "/tokens",
            "/a/b/token",
            "/auth",
            "/dev/auth",
            "//token/x",
        ] {
            assert_eq!(Route::resolve(path), None, "{path}");
        }
    }
}
