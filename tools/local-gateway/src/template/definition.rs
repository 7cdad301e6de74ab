//! The parts of the API that live in its definition: an inline OpenAPI `DefinitionBody` (its
//! methods, `security` and `x-amazon-apigateway-integration`), SAM's `Cors` preflights and the
//! `GatewayResponses`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Reader, anchored, verb_key};
use crate::api::{GatewayResponse, Integration, Method, Mock, MockResponse};
use crate::error::Error;

impl Reader<'_> {
    pub(super) fn definition_body(
        &self,
        body: &Value,
        pick: &dyn Fn(Option<&str>) -> Option<String>,
        resources: &mut BTreeMap<String, BTreeMap<String, Method>>,
    ) -> Result<(), Error> {
        let paths = body
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| self.error("DefinitionBody.paths", "missing"))?;
        for (path, methods) in paths {
            let Some(methods) = methods.as_object() else {
                continue;
            };
            for (verb, operation) in methods {
                let known = ["get", "put", "post", "delete", "options", "head", "patch"];
                if !known.contains(&verb.as_str()) && verb != "x-amazon-apigateway-any-method" {
                    continue;
                }
                let at = format!("DefinitionBody.paths.{path}.{verb}");
                // `security: []` (or `[{}]`) is an open method, like `NONE`.
                let named = operation
                    .get("security")
                    .and_then(Value::as_array)
                    .map(|list| {
                        list.iter()
                            .find_map(|entry| entry.as_object()?.keys().next().cloned())
                            .unwrap_or_else(|| "NONE".to_owned())
                    });
                let integration = operation
                    .get("x-amazon-apigateway-integration")
                    .ok_or_else(|| self.error(&at, "no x-amazon-apigateway-integration"))?;
                let method = Method {
                    authorizer: pick(named.as_deref()),
                    integration: self.integration(integration, &at)?,
                };
                resources
                    .entry(path.clone())
                    .or_default()
                    .insert(verb_key(verb), method);
            }
        }
        Ok(())
    }

    fn integration(&self, spec: &Value, at: &str) -> Result<Integration, Error> {
        let kind = self.string(spec.get("type"), &format!("{at}.type"))?;
        match kind.to_ascii_lowercase().as_str() {
            "aws_proxy" => Ok(Integration::Lambda {
                function: self.function(
                    spec.get("uri").unwrap_or(&Value::Null),
                    &format!("{at}.uri"),
                )?,
            }),
            "mock" => {
                let mut mock = Mock {
                    request_templates: self.templates(spec.get("requestTemplates"), at)?,
                    responses: Vec::new(),
                };
                for (pattern, response) in spec
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let at = format!("{at}.responses.{pattern}");
                    let status =
                        self.string(response.get("statusCode"), &format!("{at}.statusCode"))?;
                    let headers = response
                        .get("responseParameters")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .filter_map(|(key, value)| {
                            let name = key.strip_prefix("method.response.header.")?;
                            Some((name, value))
                        });
                    let selection = (pattern != "default").then(|| anchored(pattern));
                    mock.responses.push(MockResponse {
                        pattern: selection.transpose().map_err(|m| self.error(&at, m))?,
                        status: status
                            .parse()
                            .map_err(|_| self.error(&at, format!("bad statusCode {status:?}")))?,
                        headers: self.static_headers(headers, &at)?,
                        templates: self.templates(response.get("responseTemplates"), &at)?,
                    });
                }
                Ok(Integration::Mock(mock))
            }
            other => Ok(Integration::Unsupported(other.to_owned())),
        }
    }

    fn templates(
        &self,
        value: Option<&Value>,
        at: &str,
    ) -> Result<BTreeMap<String, String>, Error> {
        value
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(content_type, template)| {
                let text = self.string(Some(template), &format!("{at}.{content_type}"))?;
                Ok((content_type.to_ascii_lowercase(), text))
            })
            .collect()
    }

    /// Header values that are static (`"'value'"`); mappings from the request are skipped.
    fn static_headers<'v>(
        &self,
        headers: impl Iterator<Item = (&'v str, &'v Value)>,
        at: &str,
    ) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        for (name, value) in headers {
            let text = self.string(Some(value), &format!("{at}.{name}"))?;
            if let Some(literal) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
                out.push((name.to_owned(), literal.to_owned()));
            }
        }
        Ok(out)
    }

    /// SAM's `Cors`: an OPTIONS mock on every resource that has no OPTIONS method of its own.
    pub(super) fn cors(
        &self,
        cors: &Value,
        authorizer: Option<String>,
        resources: &mut BTreeMap<String, BTreeMap<String, Method>>,
    ) -> Result<(), Error> {
        let field = |key: &str| match cors {
            Value::Object(map) => map.get(key),
            other if key == "AllowOrigin" => Some(other),
            _ => None,
        };
        let mut configured = Vec::new();
        for (key, header) in [
            ("AllowOrigin", "Access-Control-Allow-Origin"),
            ("AllowHeaders", "Access-Control-Allow-Headers"),
            ("AllowMethods", "Access-Control-Allow-Methods"),
            ("MaxAge", "Access-Control-Max-Age"),
        ] {
            if let Some(value) = field(key) {
                configured.push((header, value));
            }
        }
        let allow_credentials = field("AllowCredentials").and_then(Value::as_bool) == Some(true);
        let headers = self.static_headers(configured.into_iter(), "Cors")?;
        for methods in resources.values_mut() {
            if methods.contains_key("OPTIONS") {
                continue;
            }
            let mut headers = headers.clone();
            if !headers
                .iter()
                .any(|(n, _)| n == "Access-Control-Allow-Methods")
            {
                // SAM's default: the methods of the path.
                let mut list: Vec<&str> = methods.keys().map(String::as_str).collect();
                list.push("OPTIONS");
                headers.push(("Access-Control-Allow-Methods".into(), list.join(",")));
            }
            if allow_credentials {
                headers.push(("Access-Control-Allow-Credentials".into(), "true".into()));
            }
            let preflight = Method {
                authorizer: authorizer.clone(),
                integration: Integration::Mock(Mock {
                    request_templates: BTreeMap::from([(
                        "application/json".to_owned(),
                        "{\"statusCode\": 200}".to_owned(),
                    )]),
                    responses: vec![MockResponse {
                        pattern: None,
                        status: 200,
                        headers,
                        templates: BTreeMap::from([(
                            "application/json".to_owned(),
                            "{}".to_owned(),
                        )]),
                    }],
                }),
            };
            methods.insert("OPTIONS".to_owned(), preflight);
        }
        Ok(())
    }

    pub(super) fn gateway_response(
        &self,
        kind: &str,
        spec: &Value,
    ) -> Result<GatewayResponse, Error> {
        let at = format!("GatewayResponses.{kind}");
        let headers = spec
            .pointer("/ResponseParameters/Headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v));
        Ok(GatewayResponse {
            status: spec
                .get("StatusCode")
                .map(|v| {
                    let text = self.string(Some(v), &format!("{at}.StatusCode"))?;
                    text.trim_matches('\'')
                        .parse()
                        .map_err(|_| self.error(&at, format!("bad StatusCode {text:?}")))
                })
                .transpose()?,
            headers: self.static_headers(headers, &at)?,
            templates: self.templates(spec.get("ResponseTemplates"), &at)?,
        })
    }
}
