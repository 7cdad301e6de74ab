//! Request parameters from a JSON or `application/x-www-form-urlencoded` body (RFC 6749 §4.3.2).

use std::collections::HashMap;
use std::fmt;

use lambda_http::Request;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::Value;

use crate::error::ApiError;

/// Bodies larger than this are refused before parsing.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// The parameters this service reads; others are ignored.
const KNOWN: &[&str] = &[
    "grant_type",
    "username",
    "user_id",
    "email",
    "password",
    "old_password",
    "new_password",
    "refresh_token",
    "scope",
    "client_id",
    "client_secret",
    "token",
    "token_type_hint",
    "resource",
];

/// Request parameters: string values by name.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses the body by its Content-Type (sniffed when absent).
    pub fn parse(request: &Request) -> Result<Self, ApiError> {
        let bytes: &[u8] = request.body().as_ref();
        if bytes.is_empty() {
            return Ok(Self::default());
        }
        if bytes.len() > MAX_BODY_BYTES {
            return Err(ApiError::TooLarge);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| ApiError::Malformed("the request body is not UTF-8"))?;
        let content_type = request
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        match content_type.as_deref() {
            Some("application/json") => Self::from_json(text),
            Some(ct) if ct.ends_with("+json") => Self::from_json(text),
            Some("application/x-www-form-urlencoded") => Self::from_form(text),
            Some(_) => Err(ApiError::Malformed(
                "the content type must be application/json or application/x-www-form-urlencoded",
            )),
            None if text.trim_start().starts_with('{') => Self::from_json(text),
            None => Self::from_form(text),
        }
    }

    fn from_json(text: &str) -> Result<Self, ApiError> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        let JsonParams(params) = serde_json::from_str(text).map_err(|err| {
            if err.is_data() {
                ApiError::Malformed(
                    "the request body must be a JSON object of string parameters, each once",
                )
            } else {
                ApiError::Malformed("the request body is not valid JSON")
            }
        })?;
        Ok(Self(params))
    }

    fn from_form(text: &str) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text)
            .map_err(|_| ApiError::Malformed("the form body is malformed"))?;
        let mut params = HashMap::new();
        for (name, value) in pairs {
            // RFC 6749 §3.2: parameters must not be included more than once.
            if params.insert(name, value).is_some() {
                return Err(ApiError::Malformed("a request parameter is repeated"));
            }
        }
        Ok(Self(params))
    }

    /// A parameter, treating an empty value as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A required parameter.
    pub fn require(&self, name: &'static str) -> Result<&str, ApiError> {
        self.get(name).ok_or(ApiError::MissingField(name))
    }

    /// The user name, from `username` or its aliases `user_id` and `email` (which must agree).
    pub fn username(&self) -> Result<&str, ApiError> {
        let mut found: Option<&str> = None;
        for alias in ["username", "user_id", "email"] {
            if let Some(value) = self.get(alias) {
                match found {
                    Some(seen) if seen != value => {
                        return Err(ApiError::Malformed("username, user_id and email disagree"));
                    }
                    _ => found = Some(value),
                }
            }
        }
        found.ok_or(ApiError::MissingField("username"))
    }
}

/// A JSON object read as parameters: string values kept, `null` ignored, other values refused for
/// the parameters this service reads, and a name given twice refused (as in a form body, RFC 6749
/// §3.2; a JSON parser would silently keep the last one).
struct JsonParams(HashMap<String, String>);

impl<'de> Deserialize<'de> for JsonParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamsVisitor;

        impl<'de> Visitor<'de> for ParamsVisitor {
            type Value = JsonParams;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonParams, A::Error> {
                let mut params = HashMap::new();
                let mut seen = std::collections::HashSet::new();
                while let Some(name) = map.next_key::<String>()? {
                    if !seen.insert(name.clone()) {
                        return Err(A::Error::custom("a request parameter is repeated"));
                    }
                    match map.next_value::<Value>()? {
                        Value::String(value) => {
                            params.insert(name, value);
                        }
                        Value::Null => {}
                        _ if KNOWN.contains(&name.as_str()) => {
                            return Err(A::Error::custom("request parameters must be strings"));
                        }
                        _ => {}
                    }
                }
                Ok(JsonParams(params))
            }
        }

        deserializer.deserialize_map(ParamsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use lambda_http::{Body, http};

    use super::*;

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = http::Request::builder().method("POST").uri("/token");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(Body::Text(body.to_owned())).unwrap()
    }

    #[test]
    fn form_and_json_give_the_same_parameters() {
        let form = Params::parse(&request(
            Some("application/x-www-form-urlencoded"),
            "grant_type=password&username=a%40b.c",
        ))
        .unwrap();
        let json = Params::parse(&request(
            Some("application/json; charset=utf-8"),
            r#"{"grant_type":"password","username":"a@b.c"}"#,
        ))
        .unwrap();
        assert_eq!(form.get("username"), Some("a@b.c"));
        assert_eq!(json.get("username"), Some("a@b.c"));
        assert_eq!(form.get("grant_type"), json.get("grant_type"));
    }

    #[test]
    fn repeated_form_parameter_is_malformed() {
        let err = Params::parse(&request(
            Some("application/x-www-form-urlencoded"),
            "a=1&a=2",
        ))
        .unwrap_err();
        assert!(matches!(err, ApiError::Malformed(_)));
    }

    #[test]
    fn non_string_known_parameter_is_malformed() {
        let err = Params::parse(&request(
            Some("application/json"),
            r#"{"password": 12345678}"#,
        ))
        .unwrap_err();
        assert!(matches!(err, ApiError::Malformed(_)));
    }

    #[test]
    fn broken_json_and_non_objects_are_malformed() {
        for body in ["{\"a\":", "[1,2]", "\"x\""] {
            assert!(matches!(
                Params::parse(&request(Some("application/json"), body)),
                Err(ApiError::Malformed(_))
            ));
        }
    }

    #[test]
    fn aliases_are_accepted_and_must_agree() {
        let p = Params::parse(&request(None, r#"{"email":"e@x.io"}"#)).unwrap();
        assert_eq!(p.username().unwrap(), "e@x.io");
        let p = Params::parse(&request(None, "user_id=u1")).unwrap();
        assert_eq!(p.username().unwrap(), "u1");
        let p = Params::parse(&request(None, r#"{"email":"e@x.io","username":"other"}"#)).unwrap();
        assert!(matches!(p.username(), Err(ApiError::Malformed(_))));
        let p = Params::parse(&request(None, r#"{"password":"x"}"#)).unwrap();
        assert!(matches!(
            p.username(),
            Err(ApiError::MissingField("username"))
        ));
    }

    #[test]
    fn repeated_json_parameter_is_malformed() {
        let err = Params::parse(&request(
            Some("application/json"),
            r#"{"username":"alice","username":"mallory"}"#,
        ))
        .unwrap_err();
        assert!(matches!(err, ApiError::Malformed(_)));
    }

    #[test]
    fn oversized_body_is_too_large() {
        let body = format!("password={}", "x".repeat(MAX_BODY_BYTES));
        let err =
            Params::parse(&request(Some("application/x-www-form-urlencoded"), &body)).unwrap_err();
        assert!(matches!(err, ApiError::TooLarge));
    }

    #[test]
    fn other_content_types_are_refused() {
        assert!(Params::parse(&request(Some("text/plain"), "hello")).is_err());
    }
}
