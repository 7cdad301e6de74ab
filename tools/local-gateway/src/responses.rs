//! What goes back to the client: the responses API Gateway makes itself (401, 403, 500, 502,
//! each customizable through the template's `GatewayResponses`), and a Lambda proxy response
//! turned into HTTP.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::Value;

use crate::api::Api;
use crate::mapping::{TemplateContext, pick};

/// An HTTP response before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

/// Why API Gateway answers a request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Missing or malformed identity, or the authorizer's error `Unauthorized`: 401.
    Unauthorized,
    /// The policy denies the method ARN; `explicit` when a Deny statement matched: 403.
    AccessDenied {
        /// A Deny statement matched (rather than no Allow).
        explicit: bool,
    },
    /// The authorizer failed otherwise, or answered something API Gateway refuses: 500.
    AuthorizerFailure,
    /// The authorizer could not be invoked at all: 500.
    AuthorizerConfiguration,
    /// No resource or method for the request: 403.
    MissingAuthenticationToken,
    /// The Lambda integration failed or answered a malformed proxy response: 502.
    Integration,
    /// A MOCK integration could not be executed, or the integration type is not emulated: 500.
    Internal,
    /// The body is over API Gateway's 10 MB payload limit: 413.
    RequestTooLarge,
}

impl Failure {
    /// The gateway response type (the key under `GatewayResponses`).
    pub fn kind(self) -> &'static str {
        match self {
            Self::Unauthorized => "UNAUTHORIZED",
            Self::AccessDenied { .. } => "ACCESS_DENIED",
            Self::AuthorizerFailure => "AUTHORIZER_FAILURE",
            Self::AuthorizerConfiguration => "AUTHORIZER_CONFIGURATION_ERROR",
            Self::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            Self::Integration | Self::Internal => "DEFAULT_5XX",
            Self::RequestTooLarge => "REQUEST_TOO_LARGE",
        }
    }

    fn status(self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::AccessDenied { .. } | Self::MissingAuthenticationToken => 403,
            Self::AuthorizerFailure | Self::AuthorizerConfiguration | Self::Internal => 500,
            Self::Integration => 502,
            Self::RequestTooLarge => 413,
        }
    }

    /// `$context.error.message`; `None` renders as `null` (what API Gateway sends when an
    /// authorizer fails).
    fn message(self) -> Option<&'static str> {
        match self {
            Self::Unauthorized => Some("Unauthorized"),
            Self::AccessDenied { explicit: true } => {
                Some("User is not authorized to access this resource with an explicit deny")
            }
            Self::AccessDenied { explicit: false } => {
                Some("User is not authorized to access this resource")
            }
            Self::AuthorizerFailure | Self::AuthorizerConfiguration => None,
            Self::MissingAuthenticationToken => Some("Missing Authentication Token"),
            Self::Integration | Self::Internal => Some("Internal server error"),
            Self::RequestTooLarge => Some("Request Too Long"),
        }
    }

    /// The `x-amzn-ErrorType` header.
    fn error_type(self) -> &'static str {
        match self {
            Self::Unauthorized => "UnauthorizedException",
            Self::AccessDenied { .. } => "AccessDeniedException",
            Self::AuthorizerFailure | Self::AuthorizerConfiguration => {
                "AuthorizerConfigurationException"
            }
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::Integration | Self::Internal => "InternalServerErrorException",
            Self::RequestTooLarge => "RequestTooLargeException",
        }
    }
}

/// The gateway response for `failure`, with the template's customization (its own type, else
/// `DEFAULT_4XX` / `DEFAULT_5XX`) applied.
pub fn gateway_response(api: &Api, failure: Failure, context: &TemplateContext<'_>) -> Reply {
    let default_status = failure.status();
    let custom = api.gateway_responses.get(failure.kind()).or_else(|| {
        let class = if default_status >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        api.gateway_responses.get(class)
    });
    let context = TemplateContext {
        error: failure.message(),
        ..*context
    };
    let template = custom
        .and_then(|c| pick(&c.templates, Some("application/json")))
        .unwrap_or("{\"message\":$context.error.messageString}");
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        (
            "x-amzn-ErrorType".to_owned(),
            failure.error_type().to_owned(),
        ),
    ];
    headers.extend(custom.iter().flat_map(|c| c.headers.iter().cloned()));
    Reply {
        status: custom.and_then(|c| c.status).unwrap_or(default_status),
        headers,
        body: Bytes::from(context.render(template)),
    }
}

/// A Lambda proxy response (`statusCode`, `headers`, `multiValueHeaders`, `body`,
/// `isBase64Encoded`) as HTTP; `None` when API Gateway would refuse it (a 502).
pub fn proxy_response(value: &Value) -> Option<Reply> {
    let status = match value.get("statusCode")? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    let status = u16::try_from(status)
        .ok()
        .filter(|s| (100..600).contains(s))?;
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
        _ => None,
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    // Both maps may be set: API Gateway merges them, multiValueHeaders winning for a name.
    if let Some(multi) = value.get("multiValueHeaders").and_then(Value::as_object) {
        for (name, values) in multi {
            for v in values.as_array()? {
                headers.push((name.clone(), text(v)?));
            }
        }
    }
    if let Some(single) = value.get("headers").and_then(Value::as_object) {
        for (name, v) in single {
            if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                headers.push((name.clone(), text(v)?));
            }
        }
    }
    let body = match value.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) if value.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            Bytes::from(STANDARD.decode(s).ok()?)
        }
        Some(Value::String(s)) => Bytes::from(s.clone()),
        Some(_) => return None,
    };
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    Some(Reply {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashMap;

    use serde_json::json;

    use super::*;
    use crate::api::GatewayResponse;
    use crate::events::RequestInfo;

    fn api(responses: &[(&str, GatewayResponse)]) -> Api {
        Api {
            name: "Api".into(),
            stage: "dev".into(),
            resources: vec![],
            authorizers: HashMap::new(),
            gateway_responses: responses
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }

    fn respond(api: &Api, failure: Failure) -> Reply {
        let request = RequestInfo::get("/me");
        let context = TemplateContext {
            request: &request,
            target: None,
            authorizer: None,
            error: None,
        };
        gateway_response(api, failure, &context)
    }

    #[test]
    fn default_bodies_are_api_gateways() {
        let api = api(&[]);
        let reply = respond(&api, Failure::Unauthorized);
        assert_eq!(
            (reply.status, &reply.body[..]),
            (401, &b"{\"message\":\"Unauthorized\"}"[..])
        );
        let reply = respond(&api, Failure::AuthorizerFailure);
        assert_eq!(
            (reply.status, &reply.body[..]),
            (500, &b"{\"message\":null}"[..])
        );
        let reply = respond(&api, Failure::MissingAuthenticationToken);
        assert_eq!(reply.status, 403);
    }

    #[test]
    fn customized_responses_add_their_headers() {
        let custom = GatewayResponse {
            status: None,
            headers: vec![("WWW-Authenticate".into(), "Bearer".into())],
            templates: Default::default(),
        };
        let api = api(&[("UNAUTHORIZED", custom)]);
        let reply = respond(&api, Failure::Unauthorized);
        assert!(
            reply
                .headers
                .contains(&("WWW-Authenticate".into(), "Bearer".into()))
        );
        let reply = respond(&api, Failure::AccessDenied { explicit: true });
        assert!(!reply.headers.iter().any(|(n, _)| n == "WWW-Authenticate"));
    }

    #[test]
    fn proxy_responses_merge_header_maps_and_decode_base64() {
        let reply = proxy_response(&json!({
            "statusCode": 201,
            "headers": {"a": "1", "b": "2"},
            "multiValueHeaders": {"a": ["x", "y"]},
            "body": "aGk=",
            "isBase64Encoded": true
        }))
        .unwrap();
        assert_eq!(reply.status, 201);
        assert_eq!(&reply.body[..], b"hi");
        let names: Vec<_> = reply
            .headers
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        assert_eq!(
            names,
            ["a=x", "a=y", "b=2", "Content-Type=application/json"]
        );
    }

    #[test]
    fn malformed_proxy_responses_are_refused() {
        for bad in [
            json!({}),
            json!({"statusCode": "abc"}),
            json!({"statusCode": 200, "body": {}}),
        ] {
            assert!(proxy_response(&bad).is_none(), "{bad}");
        }
    }
}
