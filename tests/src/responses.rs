//! Reading API Gateway proxy responses (REST v1 and HTTP API v2) in tests: the status, the body,
//! a header, an OAuth error.

use serde_json::Value;

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
