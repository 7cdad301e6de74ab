//! Client authentication (RFC 6749 §2.3.1): HTTP Basic or `client_id` + `client_secret` in the
//! body, never both. Secrets are argon2id hashes in the table; failures are counted, never locked.

use auth_aws::ClientRecord;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lambda_http::Request;

use crate::App;
use crate::body::Params;
use crate::error::ApiError;
use crate::hashing::{SecretKind, verify_secret};

const MAX_CLIENT_ID_CHARS: usize = 128;

/// Credentials a request presents.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub id: String,
    pub secret: String,
}

/// The client credentials of the request, if any. Two methods at once is `invalid_request`
/// (RFC 6749 §2.3); a malformed Basic header is `invalid_client`.
pub fn presented(request: &Request, params: &Params) -> Result<Option<Credentials>, ApiError> {
    let basic = match request.headers().get("authorization") {
        Some(value) => {
            let value = value.to_str().map_err(|_| ApiError::InvalidClient)?;
            match value.split_once(' ') {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => {
                    Some(parse_basic(rest.trim())?)
                }
                // A bearer token here is not client authentication.
                _ => None,
            }
        }
        None => None,
    };
    let body = match (params.get("client_id"), params.get("client_secret")) {
        (Some(id), Some(secret)) => Some(Credentials {
            id: id.to_owned(),
            secret: secret.to_owned(),
        }),
        (None, Some(_)) => return Err(ApiError::MissingField("client_id")),
        // A client_id alone identifies a public client; it authenticates nothing.
        _ => None,
    };
    match (basic, body) {
        (Some(_), Some(_)) => Err(ApiError::Malformed(
            "use one client authentication method, not both",
        )),
        (basic, body) => Ok(basic.or(body)),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`.
fn parse_basic(encoded: &str) -> Result<Credentials, ApiError> {
    let bad = || ApiError::InvalidClient;
    let decoded = STANDARD.decode(encoded).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| bad())
    };
    Ok(Credentials {
        id: decode(id)?,
        secret: decode(secret)?,
    })
}

/// The client, if `credentials` are right. Unknown client and wrong secret take the same path
/// (a dummy hash is verified). A failure is counted (`ClientAuthFailures`, which alarms) but
/// locks nothing: a client secret is 256 random bits, guessing it is hopeless, and a lock would
/// only let anyone who knows a client id shut that client out.
pub async fn authenticate(app: &App, credentials: &Credentials) -> Result<ClientRecord, ApiError> {
    let id = credentials.id.as_str();
    let id_ok = (1..=MAX_CLIENT_ID_CHARS).contains(&id.chars().count())
        && id.bytes().all(|b| b.is_ascii_graphic());
    let client = if id_ok {
        app.store.find_client(id).await?
    } else {
        None
    };
    let stored = client.as_ref().map(|c| c.secret_hash.clone());
    let matches = verify_secret(app, SecretKind::ClientSecret, &credentials.secret, stored).await?;
    match client {
        Some(client) if matches => Ok(client),
        _ => {
            // The id is logged only when it is one a client could have (printable, bounded).
            tracing::warn!(
                security_event = "client_auth_failed",
                client_id = id_ok.then_some(id),
                "client authentication refused"
            );
            app.metrics.client_auth_failure();
            Err(ApiError::InvalidClient)
        }
    }
}

/// The authenticated client when credentials are presented; `None` when there are none.
pub async fn optional(
    app: &App,
    request: &Request,
    params: &Params,
) -> Result<Option<ClientRecord>, ApiError> {
    match presented(request, params)? {
        Some(credentials) => Ok(Some(authenticate(app, &credentials).await?)),
        None => Ok(None),
    }
}

/// The authenticated client; missing credentials are `invalid_client` with a Basic challenge.
pub async fn required(
    app: &App,
    request: &Request,
    params: &Params,
) -> Result<ClientRecord, ApiError> {
    optional(app, request, params)
        .await?
        .ok_or(ApiError::InvalidClient)
}

#[cfg(test)]
mod tests {
    use lambda_http::{Body, http};

    use super::*;

    fn request(authorization: Option<&str>, body: &str) -> (Request, Params) {
        let mut builder = http::Request::builder()
            .method("POST")
            .uri("/token")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        let request = builder.body(Body::Text(body.to_owned())).unwrap();
        let params = Params::parse(&request).unwrap();
        (request, params)
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        // "my client:s3cr%t" form-encoded, then Basic.
        let raw = STANDARD.encode("my+client:s3cr%25t");
        let (req, params) = request(Some(&format!("Basic {raw}")), "");
        let creds = presented(&req, &params).unwrap().unwrap();
        assert_eq!(creds.id, "my client");
        assert_eq!(creds.secret, "s3cr%t");
    }

    #[test]
    fn body_credentials_are_accepted() {
        let (req, params) = request(None, "client_id=svc&client_secret=x");
        let creds = presented(&req, &params).unwrap().unwrap();
        assert_eq!((creds.id.as_str(), creds.secret.as_str()), ("svc", "x"));
    }

    #[test]
    fn two_methods_or_a_bad_header_are_refused() {
        let raw = STANDARD.encode("a:b");
        let (req, params) = request(Some(&format!("Basic {raw}")), "client_id=a&client_secret=b");
        assert!(matches!(
            presented(&req, &params),
            Err(ApiError::Malformed(_))
        ));
        let (req, params) = request(Some("Basic !!!"), "");
        assert!(matches!(
            presented(&req, &params),
            Err(ApiError::InvalidClient)
        ));
        let (req, params) = request(Some(&format!("Basic {}", STANDARD.encode("nocolon"))), "");
        assert!(presented(&req, &params).is_err());
    }

    #[test]
    fn no_credentials_is_none() {
        let (req, params) = request(Some("Bearer abc"), "client_id=public-app");
        assert!(presented(&req, &params).unwrap().is_none());
    }
}
