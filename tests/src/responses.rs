//! Reading API Gateway proxy responses (REST v1 and HTTP API v2) in tests, and the environment
//! that points a function's AWS SDK at moto_server.

use serde_json::{Value, json};

use crate::moto::moto;

/// The status code.
pub fn status(response: &Value) -> u16 {
    response["statusCode"].as_u64().unwrap_or(0) as u16
}

/// The body parsed as JSON (`Null` when there is none or it is not JSON).
pub fn body(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// A response header: REST (v1) responses carry them in `multiValueHeaders`, HTTP API in `headers`.
pub fn header(response: &Value, name: &str) -> Option<String> {
    let find = |key: &str| {
        let (_, value) = response[key]
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))?;
        value
            .as_str()
            .or_else(|| value[0].as_str())
            .map(str::to_owned)
    };
    find("headers").or_else(|| find("multiValueHeaders"))
}

/// Asserts an OAuth error answer: the status, the `error` code and a description.
pub fn assert_oauth_error(response: &Value, status_code: u16, code: &str) {
    assert_eq!(status(response), status_code, "{response}");
    assert_eq!(body(response)["error"], code, "{response}");
    assert!(
        body(response)["error_description"].is_string(),
        "{response}"
    );
}

/// The event with its body replaced.
pub fn with_body(mut event: Value, body: &str) -> Value {
    event["body"] = json!(body);
    event
}

/// The variables that point a function's AWS SDK at the shared moto_server.
pub fn aws_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto().endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
    ]
}
