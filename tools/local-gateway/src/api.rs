//! The REST API as the gateway serves it: resources and their methods, the integration and
//! authorizer of each method, the authorizers' settings and the customized gateway responses.
//! Built from template.yaml by [`crate::template`]; routing follows API Gateway's rules.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use regex::Regex;

/// One REST API and its stage.
#[derive(Debug, Clone)]
pub struct Api {
    /// The logical id of the `AWS::Serverless::Api`.
    pub name: String,
    /// The stage, as in the method ARNs and `requestContext.stage`.
    pub stage: String,
    /// Every resource (path) with at least one method.
    pub resources: Vec<Resource>,
    /// The Lambda authorizers, by name.
    pub authorizers: HashMap<String, Authorizer>,
    /// Customized gateway responses (`UNAUTHORIZED`, `ACCESS_DENIED`, `DEFAULT_4XX`, ...).
    pub gateway_responses: HashMap<String, GatewayResponse>,
}

/// A resource such as `/me`, `/pets/{id}` or `/{proxy+}`, and its methods.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The path template.
    pub path: String,
    /// By HTTP method in upper case, or `ANY`.
    pub methods: BTreeMap<String, Method>,
}

/// What a method does.
#[derive(Debug, Clone)]
pub struct Method {
    /// The authorizer in front of it, by name; `None` for an open method.
    pub authorizer: Option<String>,
    /// Where the request goes.
    pub integration: Integration,
}

/// A method's integration.
#[derive(Debug, Clone)]
pub enum Integration {
    /// Lambda proxy integration (`aws_proxy`), with the function's name as cargo lambda knows it.
    Lambda {
        /// The function (binary) name.
        function: String,
    },
    /// A MOCK integration: API Gateway answers itself from mapping templates.
    Mock(Mock),
    /// Any other integration type, which the local gateway does not emulate.
    Unsupported(String),
}

/// A MOCK integration's templates.
#[derive(Debug, Clone, Default)]
pub struct Mock {
    /// Request templates by content type; the rendered one gives `statusCode`.
    pub request_templates: BTreeMap<String, String>,
    /// Integration responses, in the template's order.
    pub responses: Vec<MockResponse>,
}

/// One integration response of a MOCK integration.
#[derive(Debug, Clone)]
pub struct MockResponse {
    /// The selection pattern over the status code; `None` for `default`.
    pub pattern: Option<Regex>,
    /// The method response status.
    pub status: u16,
    /// Static response headers (`method.response.header.X: "'value'"`).
    pub headers: Vec<(String, String)>,
    /// Response templates by content type.
    pub templates: BTreeMap<String, String>,
}

/// A Lambda authorizer.
#[derive(Debug, Clone)]
pub struct Authorizer {
    /// Its name in the template (`JwtAuthorizer`).
    pub name: String,
    /// The function (binary) name.
    pub function: String,
    /// TOKEN or REQUEST, with the identity sources.
    pub kind: AuthorizerKind,
    /// How long a policy is cached per identity; zero disables caching.
    pub ttl: Duration,
}

/// The authorizer's type and where the identity comes from.
#[derive(Debug, Clone)]
pub enum AuthorizerKind {
    /// `TOKEN`: one header, optionally checked against a regular expression first.
    Token {
        /// The header (`Authorization`).
        header: String,
        /// `ValidationExpression`, anchored at both ends.
        validation: Option<Regex>,
    },
    /// `REQUEST`: headers, query strings, stage variables and context variables.
    Request {
        /// The identity sources, all required.
        sources: Vec<IdentitySource>,
    },
}

/// One identity source of a REQUEST authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `method.request.header.<name>`.
    Header(String),
    /// `method.request.querystring.<name>`.
    QueryString(String),
    /// `stageVariables.<name>`.
    StageVariable(String),
    /// `context.<name>`.
    Context(String),
}

/// A customized gateway response.
#[derive(Debug, Clone, Default)]
pub struct GatewayResponse {
    /// Replaces the default status.
    pub status: Option<u16>,
    /// Static headers added to the response.
    pub headers: Vec<(String, String)>,
    /// Response templates by content type.
    pub templates: BTreeMap<String, String>,
}

/// A matched route: the resource, its method and the path parameters.
#[derive(Debug, Clone)]
pub struct Matched<'a> {
    /// The resource's path template (`/pets/{id}`).
    pub resource: &'a str,
    /// The method that serves the request.
    pub method: &'a Method,
    /// Path parameters by name (`proxy` for `{proxy+}`), as they appear in the path.
    pub params: Vec<(String, String)>,
}

/// Why no route serves a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoute {
    /// No resource matches the path.
    NoResource,
    /// The most specific resource has no such method (API Gateway does not fall back to a
    /// less specific resource).
    NoMethod,
}

impl Api {
    /// Finds the resource for `path` (without the stage) as API Gateway does: the most specific
    /// match wins, segment by segment (a literal before `{param}` before `{proxy+}`), then the
    /// method, or `ANY`.
    pub fn route(&self, method: &str, path: &str) -> Result<Matched<'_>, NoRoute> {
        let segments = split(path);
        let best = self
            .resources
            .iter()
            .filter_map(|resource| {
                let (rank, params) = match_path(&resource.path, &segments)?;
                Some((rank, params, resource))
            })
            .min_by(|a, b| a.0.cmp(&b.0));
        let Some((_, params, resource)) = best else {
            return Err(NoRoute::NoResource);
        };
        let method = resource
            .methods
            .get(method)
            .or_else(|| resource.methods.get("ANY"))
            .ok_or(NoRoute::NoMethod)?;
        Ok(Matched {
            resource: &resource.path,
            method,
            params,
        })
    }
}

/// `/a/b/` -> `["a", "b"]`; `/` -> `[]`.
fn split(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

/// A match's rank (lower is more specific, compared segment by segment) and its parameters.
type PathMatch = (Vec<u8>, Vec<(String, String)>);

/// Whether `template` matches `segments`, and how.
fn match_path(template: &str, segments: &[&str]) -> Option<PathMatch> {
    let parts = split(template);
    let mut rank = Vec::with_capacity(parts.len());
    let mut params = Vec::new();
    let mut rest = segments;
    for (i, part) in parts.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            // A greedy parameter is the last part and takes at least one segment.
            if i + 1 != parts.len() || rest.is_empty() {
                return None;
            }
            params.push((name.to_owned(), rest.join("/")));
            rank.push(2);
            return Some((rank, params));
        }
        let (segment, tail) = rest.split_first()?;
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            params.push((name.to_owned(), (*segment).to_owned()));
            rank.push(1);
        } else if part == segment {
            rank.push(0);
        } else {
            return None;
        }
        rest = tail;
    }
    rest.is_empty().then_some((rank, params))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn api(paths: &[(&str, &str)]) -> Api {
        let mut resources: Vec<Resource> = Vec::new();
        for (path, method) in paths {
            let entry = Method {
                authorizer: None,
                integration: Integration::Unsupported((*path).to_owned()),
            };
            match resources.iter_mut().find(|r| r.path == *path) {
                Some(resource) => {
                    resource.methods.insert((*method).to_owned(), entry);
                }
                None => resources.push(Resource {
                    path: (*path).to_owned(),
                    methods: BTreeMap::from([((*method).to_owned(), entry)]),
                }),
            }
        }
        Api {
            name: "Api".into(),
            stage: "dev".into(),
            resources,
            authorizers: HashMap::new(),
            gateway_responses: HashMap::new(),
        }
    }

    fn target(api: &Api, method: &str, path: &str) -> Result<String, NoRoute> {
        api.route(method, path)
            .map(|m| match &m.method.integration {
                Integration::Unsupported(p) => p.clone(),
                _ => unreachable!(),
            })
    }

    #[test]
    fn the_most_specific_resource_wins() {
        let api = api(&[
            ("/{proxy+}", "OPTIONS"),
            ("/token", "POST"),
            ("/token", "OPTIONS"),
            ("/pets/{id}", "GET"),
            ("/pets/mine", "GET"),
            ("/admin/{proxy+}", "ANY"),
        ]);
        assert_eq!(target(&api, "OPTIONS", "/token").unwrap(), "/token");
        assert_eq!(
            target(&api, "OPTIONS", "/elsewhere/x").unwrap(),
            "/{proxy+}"
        );
        assert_eq!(target(&api, "GET", "/pets/mine").unwrap(), "/pets/mine");
        assert_eq!(target(&api, "GET", "/pets/42").unwrap(), "/pets/{id}");
        assert_eq!(
            target(&api, "DELETE", "/admin/a/b").unwrap(),
            "/admin/{proxy+}"
        );
    }

    #[test]
    fn a_missing_method_does_not_fall_back_to_a_greedy_resource() {
        let api = api(&[("/{proxy+}", "OPTIONS"), ("/token", "POST")]);
        assert_eq!(target(&api, "GET", "/token"), Err(NoRoute::NoMethod));
        assert_eq!(target(&api, "GET", "/nowhere"), Err(NoRoute::NoMethod));
    }

    #[test]
    fn parameters_are_captured() {
        let api = api(&[("/pets/{id}", "GET"), ("/admin/{proxy+}", "ANY")]);
        let m = api.route("GET", "/pets/42").unwrap();
        assert_eq!(m.params, vec![("id".to_owned(), "42".to_owned())]);
        let m = api.route("GET", "/admin/a/b").unwrap();
        assert_eq!(m.params, vec![("proxy".to_owned(), "a/b".to_owned())]);
        assert_eq!(target(&api, "GET", "/admin"), Err(NoRoute::NoResource));
    }

    #[test]
    fn a_trailing_slash_is_the_same_resource() {
        let api = api(&[("/me", "GET")]);
        assert!(api.route("GET", "/me/").is_ok());
        assert_eq!(target(&api, "GET", "/me/x"), Err(NoRoute::NoResource));
    }
}
