//! MOCK integrations: the status a request template selects, and the integration response
//! rendered for it.

use serde_json::Value;

use crate::api::Mock;
use crate::mapping::{TemplateContext, pick};
use crate::responses::Reply;

/// What a MOCK integration answers: status, headers and body; `Err` for what API Gateway
/// reports as an execution failure (a 500).
pub fn answer(mock: &Mock, context: &TemplateContext<'_>) -> Result<Reply, String> {
    let request = context.request;
    let status = match pick(&mock.request_templates, request.header("content-type")) {
        None => 200,
        Some(template) => {
            let rendered = context.render(template);
            let value: Value = serde_json::from_str(&rendered)
                .map_err(|e| format!("request template is not JSON: {e}"))?;
            value
                .get("statusCode")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(200)
        }
    };
    let code = status.to_string();
    let response = mock
        .responses
        .iter()
        .find(|r| r.pattern.as_ref().is_some_and(|p| p.is_match(&code)))
        .or_else(|| mock.responses.iter().find(|r| r.pattern.is_none()))
        .ok_or_else(|| format!("no integration response for status {status} and no default"))?;
    let body = pick(&response.templates, Some("application/json"))
        .map(|t| context.render(t))
        .unwrap_or_default();
    let mut headers = response.headers.clone();
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    Ok(Reply {
        status: response.status,
        headers,
        body: body.into(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;

    use regex::Regex;

    use super::*;
    use crate::api::MockResponse;
    use crate::events::RequestInfo;

    #[test]
    fn the_request_template_status_selects_the_integration_response() {
        let mock = Mock {
            request_templates: BTreeMap::from([(
                "application/json".to_owned(),
                r#"{"statusCode": 404}"#.to_owned(),
            )]),
            responses: vec![
                MockResponse {
                    pattern: Some(Regex::new("^(?:4\\d\\d)$").unwrap()),
                    status: 404,
                    headers: vec![],
                    templates: BTreeMap::from([("application/json".into(), "{\"nf\": 1}".into())]),
                },
                MockResponse {
                    pattern: None,
                    status: 200,
                    headers: vec![("X-A".into(), "1".into())],
                    templates: BTreeMap::new(),
                },
            ],
        };
        let request = RequestInfo::get("/pets/42");
        let context = TemplateContext {
            request: &request,
            target: None,
            authorizer: None,
            error: None,
        };
        let reply = answer(&mock, &context).unwrap();
        assert_eq!((reply.status, &reply.body[..]), (404, &b"{\"nf\": 1}"[..]));
        assert!(
            reply
                .headers
                .iter()
                .any(|(n, v)| n == "Content-Type" && v == "application/json")
        );
    }
}
