//! The events API Gateway (REST) sends: the Lambda proxy event (payload 1.0) for a backend, and
//! the TOKEN or REQUEST event for a Lambda authorizer, with the method ARN of the local stack.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::cfn::Identity;

/// One HTTP request as the gateway received it.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without the stage and without the query string, as sent (`/pets/42`).
    pub path: String,
    /// Headers in the order received.
    pub headers: Vec<(String, String)>,
    /// Query-string parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The body (empty for none).
    pub body: Bytes,
    /// The client's address.
    pub source_ip: String,
    /// This request's id (`requestContext.requestId`).
    pub request_id: String,
    /// When it arrived.
    pub time: SystemTime,
}

impl RequestInfo {
    /// The first value of a header, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a query-string parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
impl RequestInfo {
    /// A `GET` of `path` from 127.0.0.1, without headers, query or body, for unit tests.
    pub(crate) fn get(path: &str) -> Self {
        Self {
            method: "GET".into(),
            path: path.into(),
            headers: vec![],
            query: vec![],
            body: Bytes::new(),
            source_ip: "127.0.0.1".into(),
            request_id: "req-1".into(),
            time: SystemTime::now(),
        }
    }
}

/// Where in the API a request landed.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The local stack's region, account and API id.
    pub identity: &'a Identity,
    /// The stage.
    pub stage: &'a str,
    /// The resource's path template (`/pets/{id}`).
    pub resource: &'a str,
    /// The path parameters.
    pub params: &'a [(String, String)],
}

/// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path without leading />`.
pub fn method_arn(target: &Target<'_>, request: &RequestInfo) -> String {
    let identity = target.identity;
    format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
        identity.region,
        identity.account,
        identity.api_id,
        target.stage,
        request.method,
        request.path.strip_prefix('/').unwrap_or(&request.path)
    )
}

/// The TOKEN authorizer event.
pub fn token_event(token: &str, method_arn: &str) -> Value {
    json!({"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn})
}

/// The REQUEST authorizer event (REST API, payload 1.0): the proxy event's fields without the
/// body, plus `type` and `methodArn`.
pub fn request_event(target: &Target<'_>, request: &RequestInfo, method_arn: &str) -> Value {
    let mut event = common(target, request, None);
    if let Some(object) = event.as_object_mut() {
        object.insert("type".into(), json!("REQUEST"));
        object.insert("methodArn".into(), json!(method_arn));
    }
    event
}

/// The Lambda proxy event (payload 1.0); `authorizer` is `requestContext.authorizer`.
pub fn proxy_event(
    target: &Target<'_>,
    request: &RequestInfo,
    authorizer: Option<Map<String, Value>>,
) -> Value {
    let mut event = common(target, request, authorizer);
    let (body, encoded) = match (request.body.is_empty(), std::str::from_utf8(&request.body)) {
        (true, _) => (Value::Null, false),
        (false, Ok(text)) => (json!(text), false),
        (false, Err(_)) => (json!(STANDARD.encode(&request.body)), true),
    };
    if let Some(object) = event.as_object_mut() {
        object.insert("body".into(), body);
        object.insert("isBase64Encoded".into(), json!(encoded));
    }
    event
}

fn common(
    target: &Target<'_>,
    request: &RequestInfo,
    authorizer: Option<Map<String, Value>>,
) -> Value {
    let (headers, multi_headers) = maps(&request.headers);
    let (query, multi_query) = maps(&request.query);
    let nullable = |map: Map<String, Value>| {
        if map.is_empty() {
            Value::Null
        } else {
            Value::Object(map)
        }
    };
    let params: Map<String, Value> = target
        .params
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let identity = target.identity;
    let epoch_ms = request
        .time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let host = request.header("host").unwrap_or("localhost").to_owned();
    let mut context = json!({
        "resourceId": resource_id(target.resource),
        "resourcePath": target.resource,
        "httpMethod": request.method,
        "extendedRequestId": request.request_id,
        "requestTime": request_time(request.time),
        "path": format!("/{}{}", target.stage, request.path),
        "accountId": identity.account,
        "protocol": "HTTP/1.1",
        "stage": target.stage,
        "domainPrefix": host.split(['.', ':']).next().unwrap_or_default(),
        "requestTimeEpoch": epoch_ms,
        "requestId": request.request_id,
        "identity": {
            "cognitoIdentityPoolId": null, "accountId": null, "cognitoIdentityId": null,
            "caller": null, "sourceIp": request.source_ip, "principalOrgId": null,
            "accessKey": null, "cognitoAuthenticationType": null,
            "cognitoAuthenticationProvider": null, "userArn": null,
            "userAgent": request.header("user-agent"), "user": null
        },
        "domainName": host,
        "deploymentId": "local",
        "apiId": identity.api_id,
    });
    if let (Some(authorizer), Some(object)) = (authorizer, context.as_object_mut()) {
        object.insert("authorizer".into(), Value::Object(authorizer));
    }
    json!({
        "resource": target.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": nullable(headers),
        "multiValueHeaders": nullable(multi_headers),
        "queryStringParameters": nullable(query),
        "multiValueQueryStringParameters": nullable(multi_query),
        "pathParameters": nullable(params),
        "stageVariables": null,
        "requestContext": context,
    })
}

/// The single-value map (the last value of a repeated name, as API Gateway keeps it) and the
/// multi-value map.
fn maps(pairs: &[(String, String)]) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in pairs {
        single.insert(name.clone(), json!(value));
        match multi.get_mut(name) {
            Some(Value::Array(values)) => values.push(json!(value)),
            _ => {
                multi.insert(name.clone(), json!([value]));
            }
        }
    }
    (single, multi)
}

/// A stable made-up resource id, like API Gateway's six characters.
fn resource_id(resource: &str) -> String {
    let hash = resource.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{:06x}", hash & 0x00ff_ffff)
}

/// `25/Nov/2025:03:12:00 +0000`.
pub fn request_time(time: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    let name = MONTHS
        .get(usize::try_from(month.saturating_sub(1)).unwrap_or(0))
        .unwrap_or(&"Jan");
    format!(
        "{day:02}/{name}/{year}:{:02}:{:02}:{:02} +0000",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31); Howard Hinnant's algorithm.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::time::Duration;

    use super::*;

    fn request() -> RequestInfo {
        RequestInfo {
            headers: vec![
                ("host".into(), "127.0.0.1:3000".into()),
                ("x-multi".into(), "a".into()),
                ("x-multi".into(), "b".into()),
            ],
            query: vec![("view".into(), "full".into())],
            time: UNIX_EPOCH + Duration::from_secs(1_764_040_320),
            ..RequestInfo::get("/pets/42")
        }
    }

    fn target<'a>(identity: &'a Identity, params: &'a [(String, String)]) -> Target<'a> {
        Target {
            identity,
            stage: "dev",
            resource: "/pets/{id}",
            params,
        }
    }

    #[test]
    fn the_method_arn_names_api_stage_method_and_path() {
        let identity = Identity::default();
        assert_eq!(
            method_arn(&target(&identity, &[]), &request()),
            "arn:aws:execute-api:us-east-1:123456789012:local0000a/dev/GET/pets/42"
        );
    }

    #[test]
    fn the_proxy_event_has_the_rest_v1_shape() {
        let identity = Identity::default();
        let params = [("id".to_owned(), "42".to_owned())];
        let mut authorizer = Map::new();
        authorizer.insert("principalId".into(), json!("alice"));
        let event = proxy_event(&target(&identity, &params), &request(), Some(authorizer));
        assert_eq!(event["resource"], "/pets/{id}");
        assert_eq!(event["path"], "/pets/42");
        assert_eq!(event["headers"]["x-multi"], "b");
        assert_eq!(event["multiValueHeaders"]["x-multi"], json!(["a", "b"]));
        assert_eq!(event["queryStringParameters"]["view"], "full");
        assert_eq!(event["pathParameters"]["id"], "42");
        assert_eq!(event["body"], Value::Null);
        assert_eq!(event["isBase64Encoded"], false);
        let context = &event["requestContext"];
        assert_eq!(context["path"], "/dev/pets/42");
        assert_eq!(context["stage"], "dev");
        assert_eq!(context["apiId"], "local0000a");
        assert_eq!(context["requestTime"], "25/Nov/2025:03:12:00 +0000");
        assert_eq!(context["authorizer"]["principalId"], "alice");
        // The Rust runtime's own types read it as a REST (v1) proxy request.
        let parsed: aws_lambda_events::apigw::ApiGatewayProxyRequest =
            serde_json::from_value(event).unwrap();
        assert_eq!(parsed.path.as_deref(), Some("/pets/42"));
    }

    #[test]
    fn binary_bodies_are_base64_encoded() {
        let identity = Identity::default();
        let mut request = request();
        request.body = Bytes::from_static(&[0xff, 0xfe]);
        let event = proxy_event(&target(&identity, &[]), &request, None);
        assert_eq!(event["isBase64Encoded"], true);
        assert_eq!(event["body"], "//4=");
    }

    #[test]
    fn the_request_event_has_type_and_method_arn_but_no_body() {
        let identity = Identity::default();
        let event = request_event(&target(&identity, &[]), &request(), "arn:x");
        assert_eq!(event["type"], "REQUEST");
        assert_eq!(event["methodArn"], "arn:x");
        assert!(event.get("body").is_none());
    }
}
