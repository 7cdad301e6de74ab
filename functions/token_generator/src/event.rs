//! The API Gateway event as an HTTP request, and the response back as API Gateway's JSON,
//! decoded here rather than by `lambda_http::run`: its conversion panics on hostile events
//! (aws_lambda_events' `Body::from_maybe_encoded` `expect`s a valid base64 body, lambda_http's
//! `build_request_uri` `unwrap`s `Url::parse` of the Host header and path, and its request
//! builder `expect`s a raw query string that a URI can hold), and with `panic = "abort"` a
//! panic ends the process and every request it was to serve. Here such an event is a
//! [`BadEvent`], answered 400 `invalid_request`, and the function lives on.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use lambda_http::http::header::{COOKIE, SET_COOKIE};
use lambda_http::http::{HeaderMap, HeaderValue, Uri};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Context, Request, RequestExt as _, Response};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// What lambda_http says of a payload that is no HTTP event (the runtime prefixes "failed to
/// deserialize ...").
const NOT_AN_EVENT: &str = "this function expects a JSON payload from Amazon API Gateway (REST or HTTP API), but the data doesn't match either's events";

/// Bytes a URI may not hold as they are (RFC 3986 §3.3, §3.4): encoded, so that any path or
/// query API Gateway passes on makes a URI. `%` stays: an already encoded path keeps its meaning.
const NOT_IN_URI: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');
/// The same in a path, which also ends at `?`.
const NOT_IN_PATH: &AsciiSet = &NOT_IN_URI.add(b'?');

/// An API Gateway proxy event: REST API (payload 1.0) or HTTP API (payload 2.0).
#[derive(Debug)]
pub enum HttpEvent {
    /// REST API.
    Rest(Box<ApiGatewayProxyRequest>),
    /// HTTP API, payload format 2.0.
    Http(Box<ApiGatewayV2httpRequest>),
}

impl<'de> Deserialize<'de> for HttpEvent {
    /// In lambda_http's order: a REST event first, then an HTTP API one.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if let Ok(rest) = serde_json::from_str::<ApiGatewayProxyRequest>(raw.get()) {
            return Ok(Self::Rest(Box::new(rest)));
        }
        if let Ok(http) = serde_json::from_str::<ApiGatewayV2httpRequest>(raw.get()) {
            return Ok(Self::Http(Box::new(http)));
        }
        Err(D::Error::custom(NOT_AN_EVENT))
    }
}

/// Which kind of event came, so the response takes its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// REST API: headers in `multiValueHeaders`.
    Rest,
    /// HTTP API: headers in `headers`, `Set-Cookie` in `cookies`.
    Http,
}

/// Why an event makes no HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadEvent {
    /// `isBase64Encoded` is true and the body is not base64.
    Base64Body,
    /// The path and query make no URI.
    Uri,
}

impl BadEvent {
    /// The short code logged.
    pub fn code(self) -> &'static str {
        match self {
            Self::Base64Body => "bad_base64_body",
            Self::Uri => "bad_uri",
        }
    }

    /// What the client is told (`error_description`).
    pub fn description(self) -> &'static str {
        match self {
            Self::Base64Body => "the request body is marked base64-encoded but is not base64",
            Self::Uri => "the request path or query string is not valid",
        }
    }
}

impl HttpEvent {
    /// The kind of event.
    pub fn origin(&self) -> Origin {
        match self {
            Self::Rest(_) => Origin::Rest,
            Self::Http(_) => Origin::Http,
        }
    }

    /// The HTTP request the event carries, with the extensions lambda_http would set (request
    /// context, Lambda context, query and path parameters, stage variables, raw path). Never
    /// panics: what cannot be a request is a [`BadEvent`].
    pub fn into_request(self, context: Context) -> Result<Request, BadEvent> {
        match self {
            Self::Rest(event) => rest_request(*event, context),
            Self::Http(event) => http_request(*event, context),
        }
    }
}

fn rest_request(event: ApiGatewayProxyRequest, context: Context) -> Result<Request, BadEvent> {
    let raw_path = event.path.unwrap_or_default();
    let path = with_stage(event.request_context.stage.as_deref(), &raw_path);
    // Multi-valued parameters are a superset of the single ones; preferred when present.
    let query = if event.multi_value_query_string_parameters.is_empty() {
        event.query_string_parameters
    } else {
        event.multi_value_query_string_parameters
    };
    let uri = uri(&path, &query.to_query_string())?;
    // `multiValueHeaders` is the canonical source, `headers` merged in (as lambda_http does).
    let mut headers = event.multi_value_headers;
    headers.extend(event.headers);
    let body = body(event.body.as_deref(), event.is_base64_encoded)?;
    let mut request = Request::new(body);
    *request.method_mut() = event.http_method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request
        .with_raw_http_path(raw_path)
        .with_query_string_parameters(query)
        .with_path_parameters(event.path_parameters)
        .with_stage_variables(event.stage_variables)
        .with_request_context(RequestContext::ApiGatewayV1(event.request_context))
        .with_lambda_context(context))
}

fn http_request(event: ApiGatewayV2httpRequest, context: Context) -> Result<Request, BadEvent> {
    let raw_path = event.raw_path.unwrap_or_default();
    let path = with_stage(event.request_context.stage.as_deref(), &raw_path);
    let uri = uri(&path, event.raw_query_string.as_deref().unwrap_or(""))?;
    let mut headers = event.headers;
    if let Some(value) = event
        .cookies
        .and_then(|cookies| HeaderValue::from_str(&cookies.join("; ")).ok())
    {
        headers.insert(COOKIE, value);
    }
    let body = body(event.body.as_deref(), event.is_base64_encoded)?;
    let mut request = Request::new(body);
    *request.method_mut() = event.request_context.http.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request
        .with_raw_http_path(raw_path)
        .with_query_string_parameters(event.query_string_parameters)
        .with_path_parameters(event.path_parameters)
        .with_stage_variables(event.stage_variables)
        .with_request_context(RequestContext::ApiGatewayV2(event.request_context))
        .with_lambda_context(context))
}

/// The path with the stage in front, as lambda_http makes it (`/dev/token`), unless the stage is
/// `$default` or the path already starts with it.
fn with_stage(stage: Option<&str>, path: &str) -> String {
    match stage {
        Some(stage) if stage != "$default" && !path.starts_with(&format!("/{stage}/")) => {
            format!("/{stage}{path}")
        }
        _ => path.to_owned(),
    }
}

/// A path-and-query URI (no scheme or authority: nothing here reads them).
fn uri(path: &str, query: &str) -> Result<Uri, BadEvent> {
    let mut text = String::with_capacity(path.len() + query.len() + 2);
    if !path.starts_with('/') {
        text.push('/');
    }
    text.extend(utf8_percent_encode(path, NOT_IN_PATH));
    if !query.is_empty() {
        text.push('?');
        text.extend(utf8_percent_encode(query, NOT_IN_URI));
    }
    Uri::try_from(text).map_err(|_| BadEvent::Uri)
}

fn body(body: Option<&str>, base64: bool) -> Result<Body, BadEvent> {
    match body {
        None => Ok(Body::Empty),
        Some(text) if base64 => STANDARD
            .decode(text)
            .map(Body::from)
            .map_err(|_| BadEvent::Base64Body),
        Some(text) => Ok(Body::from(text)),
    }
}

/// The response as API Gateway's JSON for `origin`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum HttpResponse {
    /// REST API.
    Rest(Box<ApiGatewayProxyResponse>),
    /// HTTP API, payload format 2.0.
    Http(Box<ApiGatewayV2httpResponse>),
}

/// `response` in the shape `origin` expects (as lambda_http's `LambdaResponse` makes it).
pub fn encode(origin: Origin, response: Response<Body>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let (is_base64_encoded, body) = match body {
        Body::Empty => (false, None),
        text @ Body::Text(_) => (false, Some(text)),
        binary @ Body::Binary(_) => (true, Some(binary)),
        _ => (false, None),
    };
    let status_code = i64::from(parts.status.as_u16());
    match origin {
        Origin::Rest => {
            let mut rest = ApiGatewayProxyResponse::default();
            rest.status_code = status_code;
            // Only `multiValueHeaders`: API Gateway merges both fields, duplicating headers.
            rest.headers = HeaderMap::new();
            rest.multi_value_headers = parts.headers;
            rest.body = body;
            rest.is_base64_encoded = is_base64_encoded;
            HttpResponse::Rest(Box::new(rest))
        }
        Origin::Http => {
            let mut headers = parts.headers;
            // HTTP APIs take Set-Cookie from `cookies`, not from the headers.
            let cookies = headers
                .get_all(SET_COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok().map(str::to_owned))
                .collect();
            headers.remove(SET_COOKIE);
            let mut http = ApiGatewayV2httpResponse::default();
            http.status_code = status_code;
            http.headers = headers;
            http.multi_value_headers = HeaderMap::new();
            http.cookies = cookies;
            http.body = body;
            http.is_base64_encoded = is_base64_encoded;
            HttpResponse::Http(Box::new(http))
        }
    }
}

/// Event bytes through the decoding and back out as response bytes, without the routes (fuzz
/// targets): `None` for bytes that are no HTTP event (the runtime's deserialize error), else the
/// JSON of a response in the event's shape, 400 for a [`BadEvent`] and otherwise one carrying
/// the request's body back.
pub fn round_trip(bytes: &[u8]) -> Option<Vec<u8>> {
    let event: HttpEvent = serde_json::from_slice(bytes).ok()?;
    let origin = event.origin();
    let response = match event.into_request(Context::default()) {
        Ok(request) => {
            let mut response = Response::new(request.body().clone());
            *response.headers_mut() = request.headers().clone();
            response
        }
        Err(bad) => {
            let mut response = Response::new(Body::from(bad.description()));
            *response.status_mut() = lambda_http::http::StatusCode::BAD_REQUEST;
            response
        }
    };
    serde_json::to_vec(&encode(origin, response)).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// A sample event (REST, or HTTP API with `http`) with `patch` merged into it.
    fn sample(http: bool, patch: Value) -> HttpEvent {
        let text = if http {
            include_str!("../../../events/token_generator/token-password-form-base64.json")
        } else {
            include_str!("../../../events/token_generator/token-password-form.json")
        };
        let mut event: Value = serde_json::from_str(text).unwrap();
        if let (Some(event), Some(patch)) = (event.as_object_mut(), patch.as_object()) {
            event.extend(patch.clone());
        }
        // A RawValue (the event's first step) deserializes from JSON text only, as the
        // runtime gives it.
        serde_json::from_str(&event.to_string()).unwrap()
    }

    fn rest(patch: Value) -> HttpEvent {
        sample(false, patch)
    }

    #[test]
    fn a_bad_base64_body_is_a_bad_event_not_a_panic() {
        let event = rest(json!({"body": "not base64!!", "isBase64Encoded": true}));
        assert_eq!(
            event.into_request(Context::default()).unwrap_err(),
            BadEvent::Base64Body
        );
        let event = rest(json!({"body": "Z3JhbnRfdHlwZT1wYXNzd29yZA==", "isBase64Encoded": true}));
        let request = event.into_request(Context::default()).unwrap();
        assert_eq!(request.body().as_ref(), b"grant_type=password");
    }

    #[test]
    fn paths_and_queries_no_url_holds_still_make_a_request() {
        // Each of these panics in lambda_http's conversion.
        let event = rest(json!({
            "path": "/to ken[]{}",
            "headers": {"host": "bad host:99999"},
            "queryStringParameters": {"a b": "c#d"}
        }));
        let request = event.into_request(Context::default()).unwrap();
        assert_eq!(request.uri().path(), "/dev/to%20ken%5B%5D%7B%7D");
        let http = sample(
            true,
            json!({"rawPath": "no-slash", "rawQueryString": "a=b c\u{7f}é#"}),
        );
        let request = http.into_request(Context::default()).unwrap();
        assert_eq!(request.uri().path(), "/no-slash");
        assert_eq!(request.uri().query(), Some("a=b%20c%7F%C3%A9%23"));
    }

    #[test]
    fn the_stage_is_put_in_front_of_the_path_once() {
        assert_eq!(with_stage(Some("dev"), "/token"), "/dev/token");
        assert_eq!(with_stage(Some("dev"), "/dev/token"), "/dev/token");
        assert_eq!(with_stage(Some("$default"), "/token"), "/token");
        assert_eq!(with_stage(None, "/token"), "/token");
    }

    #[test]
    fn responses_take_the_shape_of_their_event() {
        let response = Response::builder()
            .status(400)
            .header("set-cookie", "a=b")
            .body(Body::from("{}"))
            .unwrap();
        let rest = serde_json::to_value(encode(Origin::Rest, response.clone())).unwrap();
        assert_eq!(rest["statusCode"], 400);
        assert_eq!(rest["multiValueHeaders"]["set-cookie"][0], "a=b");
        let http = serde_json::to_value(encode(Origin::Http, response)).unwrap();
        assert_eq!(http["cookies"][0], "a=b");
        assert!(http["headers"].get("set-cookie").is_none());
        assert_eq!(http["body"], "{}");
    }

    /// The fuzz target's body (fuzz/fuzz_targets/token_generator_event_bytes.rs) over the
    /// sample events cut short, with bytes flipped and with hostile values spliced in: it never
    /// panics (run under cargo-fuzz for arbitrary bytes).
    #[test]
    fn mangled_sample_events_never_panic() {
        let samples = [
            include_str!("../../../events/token_generator/token-password-form.json"),
            include_str!("../../../events/token_generator/token-password-form-base64.json"),
            include_str!("../../../events/token_generator/health.json"),
        ];
        let fields = ["body", "path", "rawPath", "rawQueryString"];
        let hostile = ["%%%", "Z3Jh$$", "a b#\u{0}", "[::1", "/é?x=<y>", ""];
        // A small xorshift: the same bytes every run.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut runs = 0;
        let mut answered = 0;
        for sample in samples {
            let bytes = sample.as_bytes();
            for _ in 0..2_000 {
                let mut mangled = bytes.to_vec();
                let at = (next() as usize) % mangled.len();
                match next() % 3 {
                    0 => mangled.truncate(at),
                    1 => {
                        if let Some(byte) = mangled.get_mut(at) {
                            *byte ^= (next() % 255 + 1) as u8;
                        }
                    }
                    _ => {
                        let mut event: Value = serde_json::from_str(sample).unwrap();
                        let field = fields[(next() as usize) % fields.len()];
                        let value = hostile[(next() as usize) % hostile.len()];
                        event[field] = json!(value);
                        event["isBase64Encoded"] = json!(next() % 2 == 0);
                        mangled = event.to_string().into_bytes();
                    }
                }
                runs += 1;
                answered += usize::from(round_trip(&mangled).is_some());
            }
        }
        assert_eq!(runs, 6_000);
        assert!(answered > 0);
    }

    #[test]
    fn payloads_that_are_no_http_event_do_not_deserialize() {
        for payload in ["{}", "[]", "null", r#"{"httpMethod":5,"path":{}}"#] {
            assert!(
                serde_json::from_str::<HttpEvent>(payload).is_err(),
                "{payload}"
            );
        }
    }
}
