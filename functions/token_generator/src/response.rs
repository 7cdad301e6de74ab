//! HTTP responses: JSON bodies, OAuth errors, token responses, CORS.

use auth_aws::CorsConfig;
use auth_core::{ErrorBody, TokenResponse};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::error::ApiError;
use crate::grants::Issued;

/// A JSON response that no cache may keep (RFC 6749 §5.1).
pub fn json(status: u16, body: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The 200 token response.
pub fn tokens(issued: &Issued, expires_in: u64) -> Response<Body> {
    json(
        200,
        &TokenResponse {
            access_token: &issued.access.token,
            token_type: "Bearer",
            expires_in,
            refresh_token: issued.refresh.as_ref().map(|r| r.as_str()),
            scope: issued.scope.as_deref(),
        },
    )
}

/// A public JSON document caches may keep for `max_age` seconds (the JWKS, the metadata).
pub fn cacheable(body: &impl Serialize, max_age: u32) -> Response<Body> {
    let mut response = json(200, body);
    let headers = response.headers_mut();
    headers.remove(header::PRAGMA);
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    response
}

/// `{"error", "error_description"}` with the status that goes with it.
pub fn error(err: &ApiError) -> Response<Body> {
    let (status, code) = err.wire();
    let description = match err {
        ApiError::Internal(detail) => {
            tracing::error!(error = %detail, "request failed");
            "the server could not complete the request".to_owned()
        }
        ApiError::RefreshRejected(reason) => {
            tracing::info!(reason, "refresh token refused");
            err.to_string()
        }
        ApiError::InvalidToken(reason) => {
            tracing::info!(reason, "access token refused");
            err.to_string()
        }
        ApiError::Locked { retry_after } => {
            format!("too many failed attempts; try again in {retry_after} seconds")
        }
        ApiError::Throttled { retry_after } => {
            format!("too many requests; try again in {retry_after} seconds")
        }
        _ => err.to_string(),
    };
    let mut response = json(
        status,
        &ErrorBody {
            error: code,
            error_description: &description,
        },
    );
    let headers = response.headers_mut();
    match err {
        // RFC 6750 §3: a missing token gets a bare challenge, a bad one says why.
        ApiError::InvalidToken("missing_token") => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        ApiError::InvalidToken(_) => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        ApiError::MethodNotAllowed(allow) => {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        // RFC 6749 §5.2 (a client that tried HTTP Basic MUST get one) and RFC 9110 §15.5.2 (every
        // 401 carries a challenge): the Basic challenge, whichever way the client tried.
        ApiError::InvalidClient => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"token\", charset=\"UTF-8\""),
            );
        }
        ApiError::Locked { retry_after } | ApiError::Throttled { retry_after } => {
            if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                headers.insert(header::RETRY_AFTER, value);
            }
        }
        _ => {}
    }
    response
}

/// Adds `Access-Control-Allow-Origin` (and `Vary: Origin` when it depends on the request).
pub fn add_cors(response: &mut Response<Body>, cors: &CorsConfig, origin: Option<&str>) {
    let (allow, varies) = cors.allow_origin(origin);
    let headers = response.headers_mut();
    if let Some(value) = allow.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    if varies {
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// The answer to a CORS preflight (no authentication).
pub fn preflight(requested_headers: Option<&str>) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    let allowed = requested_headers
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b',' | b' ' | b'_'))
        })
        .and_then(|h| HeaderValue::from_str(h).ok())
        .unwrap_or_else(|| HeaderValue::from_static("Authorization, Content-Type"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed);
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}
