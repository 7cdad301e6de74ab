//! API Gateway mapping templates, for MOCK integrations and gateway responses. Only the part of
//! API Gateway's VTL that a MOCK echo needs is rendered: `$context.<variable>` (including
//! `$context.authorizer.<key>` and `$context.error.message[String]`) and
//! `$input.params('name')`; anything else stays as written.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::{Map, Value};

use crate::events::{RequestInfo, Target, request_time};

static VARIABLE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"\$(?:context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)|input\.params\(\s*'([^']*)'\s*\))",
    )
    .ok()
});

/// What a mapping template can refer to.
#[derive(Debug, Clone, Copy)]
pub struct TemplateContext<'a> {
    /// The request.
    pub request: &'a RequestInfo,
    /// Where it landed; `None` before routing (a missing route).
    pub target: Option<&'a Target<'a>>,
    /// `$context.authorizer.*`: `principalId` and the context, as strings.
    pub authorizer: Option<&'a Map<String, Value>>,
    /// `$context.error.message`, for gateway responses.
    pub error: Option<&'a str>,
}

impl TemplateContext<'_> {
    fn variable(&self, name: &str) -> String {
        let request = self.request;
        if let Some(key) = name.strip_prefix("authorizer.") {
            return self
                .authorizer
                .and_then(|a| a.get(key))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
        }
        let target = self.target;
        match name {
            "requestId" | "extendedRequestId" => request.request_id.clone(),
            "httpMethod" => request.method.clone(),
            "requestTime" => request_time(request.time),
            "protocol" => "HTTP/1.1".to_owned(),
            "identity.sourceIp" => request.source_ip.clone(),
            "identity.userAgent" => request.header("user-agent").unwrap_or_default().to_owned(),
            "domainName" => request.header("host").unwrap_or_default().to_owned(),
            "stage" => target.map(|t| t.stage.to_owned()).unwrap_or_default(),
            "resourcePath" => target.map(|t| t.resource.to_owned()).unwrap_or_default(),
            "path" => target
                .map(|t| format!("/{}{}", t.stage, request.path))
                .unwrap_or_default(),
            "apiId" => target
                .map(|t| t.identity.api_id.clone())
                .unwrap_or_default(),
            "accountId" => target
                .map(|t| t.identity.account.clone())
                .unwrap_or_default(),
            "error.message" => self.error.unwrap_or_default().to_owned(),
            "error.messageString" => self
                .error
                .map_or_else(|| "null".to_owned(), |m| Value::from(m).to_string()),
            _ => String::new(),
        }
    }

    /// `$input.params('x')`: a path parameter, else a query-string parameter, else a header.
    fn param(&self, name: &str) -> String {
        let path = self
            .target
            .and_then(|t| t.params.iter().find(|(n, _)| n == name))
            .map(|(_, v)| v.as_str());
        path.or_else(|| self.request.query_param(name))
            .or_else(|| self.request.header(name))
            .unwrap_or_default()
            .to_owned()
    }

    /// Renders `template`. Values go in as they are, unescaped, as in API Gateway (templates
    /// that need JSON escaping use `$util.escapeJavaScript`, which is not emulated).
    pub fn render(&self, template: &str) -> String {
        let Some(regex) = VARIABLE.as_ref() else {
            return template.to_owned();
        };
        regex
            .replace_all(template, |caps: &Captures<'_>| {
                match (caps.get(1), caps.get(2)) {
                    (Some(name), _) => self.variable(name.as_str()),
                    (None, Some(param)) => self.param(param.as_str()),
                    (None, None) => String::new(),
                }
            })
            .into_owned()
    }
}

/// A template for the request's content type, else `application/json`, else the first one.
pub fn pick<'a>(
    templates: &'a BTreeMap<String, String>,
    content_type: Option<&str>,
) -> Option<&'a str> {
    let wanted = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    wanted
        .and_then(|c| templates.get(&c))
        .or_else(|| templates.get("application/json"))
        .or_else(|| templates.values().next())
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;
    use crate::cfn::Identity;

    fn request() -> RequestInfo {
        RequestInfo {
            headers: vec![("x-h".into(), "header".into())],
            query: vec![("q".into(), "query".into())],
            ..RequestInfo::get("/pets/42")
        }
    }

    #[test]
    fn context_variables_and_params_are_rendered() {
        let identity = Identity::default();
        let params = [("id".to_owned(), "42".to_owned())];
        let target = Target {
            identity: &identity,
            stage: "dev",
            resource: "/pets/{id}",
            params: &params,
        };
        let request = request();
        let authorizer = json!({"principalId": "alice", "sub": "alice"});
        let context = TemplateContext {
            request: &request,
            target: Some(&target),
            authorizer: authorizer.as_object(),
            error: None,
        };
        let out = context.render(
            r#"{"p": "$context.authorizer.principalId", "s": "$context.authorizer.sub", "x": "$context.authorizer.missing", "id": "$input.params('id')", "q": "$input.params('q')", "h": "$input.params('x-h')", "stage": "$context.stage.", "path": "$context.path"}"#,
        );
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            json!({"p": "alice", "s": "alice", "x": "", "id": "42", "q": "query", "h": "header", "stage": "dev.", "path": "/dev/pets/42"})
        );
    }
}
