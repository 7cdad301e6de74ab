//! The raw authorizer event, deserialized without ever failing and without copying what the
//! authorizer does not read.
//!
//! API Gateway sends three shapes (REST TOKEN, REST/WebSocket REQUEST payload 1.0, HTTP API
//! payload 2.0). A strict event type would make the runtime answer a malformed event with its own
//! parse error (a 500 at API Gateway) instead of our "Unauthorized"; a `serde_json::Value` would
//! allocate every header of every event. So the top level is read field by field: known string
//! fields are kept when they are strings, the header and query maps are kept as raw JSON text and
//! searched in place only for the names that are configured, and everything else is skipped.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Which kind of API Gateway event this is; it decides the shape of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavour {
    /// REST API TOKEN authorizer.
    RestToken,
    /// REST API or WebSocket API REQUEST authorizer (payload 1.0).
    Request,
    /// HTTP API REQUEST authorizer (payload 2.0).
    HttpApi,
    /// Not an authorizer event we know.
    #[default]
    Unknown,
}

/// The parts of an authorizer event the authorizer reads.
#[derive(Debug, Default)]
pub struct AuthorizerEvent {
    kind: Option<String>,
    version: Option<String>,
    authorization_token: Option<String>,
    method_arn: Option<String>,
    route_arn: Option<String>,
    headers: Option<Box<RawValue>>,
    multi_value_headers: Option<Box<RawValue>>,
    query: Option<Box<RawValue>>,
    multi_value_query: Option<Box<RawValue>>,
    cookies: Option<Box<RawValue>>,
    /// A field we read appeared twice: ambiguous, so refused.
    duplicate: bool,
    /// The payload was not JSON: refused, with its own reason.
    not_json: bool,
}

impl AuthorizerEvent {
    /// Reads an event from bytes as the runtime does: never fails; bytes that are not JSON give
    /// an event of no known flavour that [`AuthorizerEvent::is_not_json`]. Like the runtime, it
    /// ignores bytes after a complete JSON value.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        Self::deserialize(&mut deserializer).unwrap_or_default()
    }

    /// The payload was not JSON (or was cut short): nothing of it is kept.
    pub fn is_not_json(&self) -> bool {
        self.not_json
    }

    /// The flavour, decided by `version` and `type`.
    pub fn flavour(&self) -> Flavour {
        if self.duplicate || self.not_json {
            return Flavour::Unknown;
        }
        if self.version.as_deref() == Some("2.0") {
            return Flavour::HttpApi;
        }
        match self.kind.as_deref() {
            Some("TOKEN") => Flavour::RestToken,
            Some("REQUEST") => Flavour::Request,
            _ => Flavour::Unknown,
        }
    }

    /// `methodArn` (REST, WebSocket) or `routeArn` (HTTP API).
    pub fn arn(&self) -> Option<&str> {
        match self.flavour() {
            Flavour::HttpApi => self.route_arn.as_deref(),
            _ => self.method_arn.as_deref(),
        }
    }

    /// `authorizationToken` of a TOKEN event.
    pub fn authorization_token(&self) -> Option<&str> {
        self.authorization_token.as_deref()
    }

    /// Every value of header `name` (case-insensitive), from `headers` and `multiValueHeaders`,
    /// without repeats: two different values anywhere are visible to the caller, which refuses
    /// them as ambiguous. `Err` when a map is not a map of strings.
    pub fn header(&self, name: &str) -> Result<Vec<Cow<'_, str>>, Malformed> {
        let mut values = lookup(self.headers.as_deref(), name, true)?;
        values.extend(lookup(self.multi_value_headers.as_deref(), name, true)?);
        dedup(&mut values);
        Ok(values)
    }

    /// Every value of query parameter `name` (case-sensitive), from both query maps, without
    /// repeats.
    pub fn query(&self, name: &str) -> Result<Vec<Cow<'_, str>>, Malformed> {
        let mut values = lookup(self.query.as_deref(), name, false)?;
        values.extend(lookup(self.multi_value_query.as_deref(), name, false)?);
        dedup(&mut values);
        Ok(values)
    }

    /// The `cookies` array of a payload 2.0 event (`name=value` strings).
    pub fn cookies(&self) -> Result<Vec<Cow<'_, str>>, Malformed> {
        match self.cookies.as_deref() {
            None => Ok(Vec::new()),
            Some(raw) => {
                let values: Values<'_> = serde_json::from_str(raw.get()).map_err(|_| Malformed)?;
                Ok(values.0)
            }
        }
    }
}

fn dedup(values: &mut Vec<Cow<'_, str>>) {
    if values.len() > 1 {
        let mut seen: Vec<Cow<'_, str>> = Vec::with_capacity(values.len());
        for value in values.drain(..) {
            if !seen.contains(&value) {
                seen.push(value);
            }
        }
        *values = seen;
    }
}

/// A header, query or cookie structure that is not what API Gateway sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

fn lookup<'a>(
    raw: Option<&'a RawValue>,
    name: &str,
    ignore_case: bool,
) -> Result<Vec<Cow<'a, str>>, Malformed> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    Lookup { name, ignore_case }
        .deserialize(&mut deserializer)
        .map_err(|_| Malformed)
}

/// Finds the entries named `name` in a JSON object of strings or string arrays.
struct Lookup<'n> {
    name: &'n str,
    ignore_case: bool,
}

impl<'de> DeserializeSeed<'de> for Lookup<'_> {
    type Value = Vec<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Lookup<'_> {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of strings or string lists, or null")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = Vec::new();
        while let Some(CowStr(key)) = map.next_key()? {
            let matches = if self.ignore_case {
                key.eq_ignore_ascii_case(self.name)
            } else {
                key == self.name
            };
            if matches {
                found.extend(map.next_value::<Values<'de>>()?.0);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// A string borrowed from the input when it has no escapes.
struct CowStr<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// One string, a list of strings, or null.
struct Values<'de>(Vec<Cow<'de, str>>);

impl<'de> Deserialize<'de> for Values<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Values<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a list of strings or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Values(Vec::new()))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Values(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Values(vec![Cow::Owned(v.to_owned())]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut values = Vec::new();
                while let Some(CowStr(value)) = seq.next_element()? {
                    values.push(value);
                }
                Ok(Values(values))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier)]
enum Field {
    #[serde(rename = "type")]
    Type,
    #[serde(rename = "version")]
    Version,
    #[serde(rename = "authorizationToken")]
    AuthorizationToken,
    #[serde(rename = "methodArn")]
    MethodArn,
    #[serde(rename = "routeArn")]
    RouteArn,
    #[serde(rename = "headers")]
    Headers,
    #[serde(rename = "multiValueHeaders")]
    MultiValueHeaders,
    #[serde(rename = "queryStringParameters")]
    Query,
    #[serde(rename = "multiValueQueryStringParameters")]
    MultiValueQuery,
    #[serde(rename = "cookies")]
    Cookies,
    #[serde(other)]
    Other,
}

/// A string, or nothing when the value has another type.
struct LenientString(Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LenientString(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(LenientString(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientString(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LenientString(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LenientString(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LenientString(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LenientString(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LenientString(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientString(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for AuthorizerEvent {
    /// Never fails: bytes that are not JSON, or JSON cut short, give an event of no known
    /// flavour (whatever was read before the error is dropped), which is refused like any other
    /// malformed event. The runtime reads the payload with this impl alone (no check for
    /// trailing bytes), so the function answers "Unauthorized" rather than the runtime's parse
    /// error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(deserializer
            .deserialize_any(EventVisitor)
            .unwrap_or_else(|_| AuthorizerEvent {
                not_json: true,
                ..AuthorizerEvent::default()
            }))
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = AuthorizerEvent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut event = AuthorizerEvent::default();
        while let Some(field) = map.next_key::<Field>()? {
            let duplicate = match field {
                Field::Type => set(&mut event.kind, map.next_value::<LenientString>()?.0),
                Field::Version => set(&mut event.version, map.next_value::<LenientString>()?.0),
                Field::AuthorizationToken => set(
                    &mut event.authorization_token,
                    map.next_value::<LenientString>()?.0,
                ),
                Field::MethodArn => {
                    set(&mut event.method_arn, map.next_value::<LenientString>()?.0)
                }
                Field::RouteArn => set(&mut event.route_arn, map.next_value::<LenientString>()?.0),
                Field::Headers => set(&mut event.headers, map.next_value()?),
                Field::MultiValueHeaders => set(&mut event.multi_value_headers, map.next_value()?),
                Field::Query => set(&mut event.query, map.next_value()?),
                Field::MultiValueQuery => set(&mut event.multi_value_query, map.next_value()?),
                Field::Cookies => set(&mut event.cookies, map.next_value()?),
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                    false
                }
            };
            event.duplicate |= duplicate;
        }
        Ok(event)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(AuthorizerEvent::default())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(AuthorizerEvent::default())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(AuthorizerEvent::default())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(AuthorizerEvent::default())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(AuthorizerEvent::default())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(AuthorizerEvent::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(AuthorizerEvent::default())
    }
}

/// Stores a field; reports whether it was already set (a repeated key).
fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let repeated = slot.is_some();
    if value.is_some() {
        *slot = value;
    }
    repeated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> AuthorizerEvent {
        let event = AuthorizerEvent::from_slice(json.as_bytes());
        assert!(!event.is_not_json(), "{json}");
        event
    }

    #[test]
    fn token_event_is_recognised() {
        let event = parse(r#"{"type":"TOKEN","authorizationToken":"Bearer x","methodArn":"arn"}"#);
        assert_eq!(event.flavour(), Flavour::RestToken);
        assert_eq!(event.authorization_token(), Some("Bearer x"));
        assert_eq!(event.arn(), Some("arn"));
    }

    #[test]
    fn request_headers_match_case_insensitively() {
        let event = parse(
            r#"{"type":"REQUEST","methodArn":"arn","headers":{"AUTHORIZATION":"Bearer y","x":"z"},
                "multiValueHeaders":{"authorization":["Bearer y"]}}"#,
        );
        assert_eq!(event.flavour(), Flavour::Request);
        assert_eq!(event.header("authorization").unwrap(), vec!["Bearer y"]);
    }

    #[test]
    fn repeated_headers_with_different_values_are_all_returned() {
        let event = parse(
            r#"{"type":"REQUEST","headers":{"Authorization":"Bearer a","authorization":"Bearer b"}}"#,
        );
        assert_eq!(event.header("authorization").unwrap().len(), 2);
    }

    #[test]
    fn http_api_event_is_recognised_by_version() {
        let event = parse(
            r#"{"version":"2.0","type":"REQUEST","routeArn":"r","methodArn":"m","cookies":["a=1","t=2"],
                "queryStringParameters":{"token":"abc"}}"#,
        );
        assert_eq!(event.flavour(), Flavour::HttpApi);
        assert_eq!(event.arn(), Some("r"));
        assert_eq!(event.cookies().unwrap(), vec!["a=1", "t=2"]);
        assert_eq!(event.query("token").unwrap(), vec!["abc"]);
        assert!(event.query("Token").unwrap().is_empty());
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let event = parse(r#"{"type":"REQUEST","headers":{"authorization":"Bearer \u0061b"}}"#);
        assert_eq!(event.header("authorization").unwrap(), vec!["Bearer ab"]);
    }

    #[test]
    fn wrong_types_are_absent_or_malformed_never_errors() {
        let event = parse(r#"{"type":"TOKEN","authorizationToken":5,"methodArn":{"a":[1]}}"#);
        assert_eq!(event.authorization_token(), None);
        assert_eq!(event.arn(), None);
        let event = parse(r#"{"type":"REQUEST","headers":{"authorization":5}}"#);
        assert_eq!(event.header("authorization"), Err(Malformed));
        let event = parse(r#"{"type":"REQUEST","headers":"authorization"}"#);
        assert_eq!(event.header("authorization"), Err(Malformed));
        let event = parse(r#"{"type":"REQUEST","headers":null}"#);
        assert_eq!(event.header("authorization"), Ok(vec![]));
    }

    #[test]
    fn repeated_top_level_fields_make_the_event_unknown() {
        let event = parse(
            r#"{"type":"TOKEN","authorizationToken":"Bearer a","authorizationToken":"Bearer b"}"#,
        );
        assert_eq!(event.flavour(), Flavour::Unknown);
    }

    #[test]
    fn any_json_is_an_event_of_some_flavour() {
        for json in [
            "null",
            "[1,[2]]",
            "\"TOKEN\"",
            "7",
            "-1.5",
            "true",
            "{}",
            r#"{"type":"COOKIE"}"#,
        ] {
            assert_eq!(parse(json).flavour(), Flavour::Unknown, "{json}");
        }
        assert!(!parse("{}").is_not_json());
    }

    #[test]
    fn bytes_that_are_not_json_are_an_event_of_no_flavour() {
        let valid = r#"{"type":"TOKEN","authorizationToken":"Bearer a","methodArn":"arn"}"#;
        let cut = valid.get(..valid.len() - 1).unwrap();
        for bytes in [&b"not json"[..], b"", b"{", b"\xff\xfe", cut.as_bytes()] {
            let event = AuthorizerEvent::from_slice(bytes);
            assert!(event.is_not_json(), "{bytes:?}");
            assert_eq!(event.flavour(), Flavour::Unknown);
            assert_eq!(event.authorization_token(), None, "nothing read is kept");
            assert_eq!(event.arn(), None);
        }
    }
}
