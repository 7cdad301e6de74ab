//! Classifying a raw authorizer event: REST TOKEN, REST REQUEST (payload 1.0), HTTP API (2.0).

use serde_json::{Map, Value};

/// Which kind of API Gateway event this is; it decides the shape of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// REST API TOKEN authorizer.
    RestToken,
    /// REST API REQUEST authorizer (payload 1.0).
    RestRequest,
    /// HTTP API REQUEST authorizer (payload 2.0).
    HttpApi,
}

/// The parts of an event the authorizer needs, borrowed from the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorizerEvent<'a> {
    pub flavour: Flavour,
    /// The `Authorization` value (or `authorizationToken`), if exactly one was sent.
    pub authorization: Result<Option<&'a str>, &'static str>,
    /// `methodArn` (REST) or `routeArn` (HTTP API).
    pub arn: Option<&'a str>,
}

impl<'a> AuthorizerEvent<'a> {
    /// `None` when the JSON is not an authorizer event we know.
    pub fn classify(payload: &'a Value) -> Option<Self> {
        let event = payload.as_object()?;
        let text = |key: &str| event.get(key).and_then(Value::as_str);
        if text("version") == Some("2.0") {
            return Some(Self {
                flavour: Flavour::HttpApi,
                authorization: header(event.get("headers"), None),
                arn: text("routeArn"),
            });
        }
        match text("type")? {
            "TOKEN" => Some(Self {
                flavour: Flavour::RestToken,
                authorization: Ok(text("authorizationToken")),
                arn: text("methodArn"),
            }),
            "REQUEST" => Some(Self {
                flavour: Flavour::RestRequest,
                authorization: header(event.get("headers"), event.get("multiValueHeaders")),
                arn: text("methodArn"),
            }),
            _ => None,
        }
    }
}

/// The one `Authorization` header, matched case-insensitively (RFC 9110 §5.1). Two different
/// values (`Authorization` and `authorization` keys, or a repeated header) are ambiguous: refused.
fn header<'a>(
    headers: Option<&'a Value>,
    multi: Option<&'a Value>,
) -> Result<Option<&'a str>, &'static str> {
    let mut found = None;
    let mut take = |value: &'a str| match found {
        Some(seen) if seen != value => Err("ambiguous_authorization"),
        _ => {
            found = Some(value);
            Ok(())
        }
    };
    for (name, value) in entries(headers) {
        if name.eq_ignore_ascii_case("authorization") {
            take(value.as_str().ok_or("malformed_header")?)?;
        }
    }
    for (name, values) in entries(multi) {
        if name.eq_ignore_ascii_case("authorization") {
            for value in values.as_array().into_iter().flatten() {
                take(value.as_str().ok_or("malformed_header")?)?;
            }
        }
    }
    Ok(found)
}

fn entries(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    value
        .and_then(Value::as_object)
        .map(Map::iter)
        .into_iter()
        .flatten()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn token_event_is_recognised() {
        let v = json!({"type": "TOKEN", "authorizationToken": "Bearer x", "methodArn": "arn"});
        let event = AuthorizerEvent::classify(&v).unwrap();
        assert_eq!(event.flavour, Flavour::RestToken);
        assert_eq!(event.authorization, Ok(Some("Bearer x")));
        assert_eq!(event.arn, Some("arn"));
    }

    #[test]
    fn request_headers_match_case_insensitively() {
        let v = json!({"type": "REQUEST", "methodArn": "arn", "headers": {"AUTHORIZATION": "Bearer y"}});
        assert_eq!(
            AuthorizerEvent::classify(&v).unwrap().authorization,
            Ok(Some("Bearer y"))
        );
    }

    #[test]
    fn http_api_event_is_recognised_by_version() {
        let v = json!({"version": "2.0", "type": "REQUEST", "routeArn": "r", "headers": {"authorization": "Bearer z"}});
        let event = AuthorizerEvent::classify(&v).unwrap();
        assert_eq!(event.flavour, Flavour::HttpApi);
        assert_eq!(event.arn, Some("r"));
    }

    #[test]
    fn two_different_authorization_headers_are_ambiguous() {
        let v = json!({"type": "REQUEST", "headers": {"Authorization": "Bearer a", "authorization": "Bearer b"}});
        assert_eq!(
            AuthorizerEvent::classify(&v).unwrap().authorization,
            Err("ambiguous_authorization")
        );
        let v = json!({"type": "REQUEST", "multiValueHeaders": {"Authorization": ["Bearer a", "Bearer b"]}});
        assert_eq!(
            AuthorizerEvent::classify(&v).unwrap().authorization,
            Err("ambiguous_authorization")
        );
    }

    #[test]
    fn non_string_header_is_malformed() {
        let v = json!({"type": "REQUEST", "headers": {"Authorization": 5}});
        assert_eq!(
            AuthorizerEvent::classify(&v).unwrap().authorization,
            Err("malformed_header")
        );
    }

    #[test]
    fn unknown_shapes_are_not_events() {
        for v in [
            json!(null),
            json!([1]),
            json!({"type": "COOKIE"}),
            json!({"hello": "world"}),
            json!("TOKEN"),
        ] {
            assert!(AuthorizerEvent::classify(&v).is_none());
        }
    }
}
