//! Fetching a trusted issuer's JWK Set: one GET over HTTPS (the system's root certificates), at
//! most 2 s, and only a 200 with a JSON body of at most 64 KiB is accepted. Redirects are not
//! followed. The client is built on the first fetch, never at cold start.

use std::sync::Mutex;
use std::time::Duration;

use auth_core::MAX_JWKS_BYTES;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::Uri;
use hyper::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use thiserror::Error;

/// The whole fetch (connect, TLS, request, body) must finish within this.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(2);

type HttpsClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Why a fetch gave no JWKS.
#[derive(Debug, Error)]
pub enum FetchError {
    /// The TLS configuration (root certificates) could not be set up.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// Connecting, sending or reading failed.
    #[error("request failed: {0}")]
    Request(String),
    /// Not finished within [`FETCH_TIMEOUT`].
    #[error("no answer within 2 s")]
    Timeout,
    /// Not a 200.
    #[error("answered status {0}")]
    Status(u16),
    /// The content type is not JSON.
    #[error("answered content type {0:?}, not JSON")]
    ContentType(String),
    /// Larger than 64 KiB.
    #[error("answered more than 64 KiB")]
    TooLarge,
}

/// An HTTPS client for JWKS fetches, built on first use.
#[derive(Default)]
pub struct JwksClient {
    client: Mutex<Option<HttpsClient>>,
}

impl JwksClient {
    /// A client that has not built anything yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// GETs `uri` and returns the body of a 200 JSON answer.
    pub async fn fetch(&self, uri: &Uri) -> Result<Bytes, FetchError> {
        let client = self.client()?;
        let request = hyper::Request::get(uri.clone())
            .header(ACCEPT, "application/jwk-set+json, application/json")
            .header(USER_AGENT, "jwt-authorizer")
            .body(Empty::new())
            .map_err(|err| FetchError::Request(err.to_string()))?;
        tokio::time::timeout(FETCH_TIMEOUT, async move {
            let response = client
                .request(request)
                .await
                .map_err(|err| FetchError::Request(error_chain(&err)))?;
            let status = response.status();
            if status != hyper::StatusCode::OK {
                return Err(FetchError::Status(status.as_u16()));
            }
            let headers = response.headers();
            let content_type = headers
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            if !is_json(content_type) {
                return Err(FetchError::ContentType(
                    content_type.chars().take(64).collect(),
                ));
            }
            let declared = headers
                .get(CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
            if declared.is_some_and(|length| length > MAX_JWKS_BYTES as u64) {
                return Err(FetchError::TooLarge);
            }
            let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
                .collect()
                .await
                .map_err(|err| {
                    if err.is::<http_body_util::LengthLimitError>() {
                        FetchError::TooLarge
                    } else {
                        FetchError::Request(err.to_string())
                    }
                })?;
            Ok(body.to_bytes())
        })
        .await
        .map_err(|_| FetchError::Timeout)?
    }

    fn client(&self) -> Result<HttpsClient, FetchError> {
        let mut slot = self
            .client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|err| FetchError::Tls(err.to_string()))?
            // Plain http only reaches loopback addresses: TRUSTED_ISSUERS refuses any other.
            .https_or_http()
            .enable_http1()
            .build();
        // No idle connections kept: fetches are rare, and a frozen Lambda would let them rot.
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(https);
        *slot = Some(client.clone());
        Ok(client)
    }
}

/// `application/json`, `application/jwk-set+json` or another `+json` type, any parameters.
fn is_json(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// An error with its sources, so a connection failure says why (refused, DNS, certificate).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_recognised() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/jwk-set+json",
        ] {
            assert!(is_json(json), "{json}");
        }
        for other in ["text/html", "text/json", "", "application/jsonp", "json"] {
            assert!(!is_json(other), "{other}");
        }
    }
}
