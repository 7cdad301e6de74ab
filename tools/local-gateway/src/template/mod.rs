//! Reads the API from template.yaml the way SAM would deploy it: the `AWS::Serverless::Api`
//! (stage, authorizers, default authorizer, CORS, gateway responses, an inline `DefinitionBody`
//! merged with the functions' `Api` events when `MergeDefinitions` is set) and the functions
//! behind it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use regex::Regex;
use serde_json::{Map, Value};

use crate::api::{Api, Authorizer, AuthorizerKind, IdentitySource, Integration, Method, Resource};
use crate::cfn::{Identity, Stack, function_in_arn, intrinsic};
use crate::error::Error;

mod definition;

/// Makes an identity source from its name.
type SourceOf = fn(String) -> IdentitySource;

/// SAM's default for `ReauthorizeEvery`.
const DEFAULT_TTL_SECS: u64 = 300;

/// How to read the template.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Parameter overrides (`AuthorizerCacheTtl=0`).
    pub parameters: Vec<(String, String)>,
    /// The logical id of the API, when the template has more than one.
    pub api: Option<String>,
    /// Region, account and API id of the local stack.
    pub identity: Identity,
}

/// Reads `path` and builds the API.
pub fn load(path: &Path, options: &LoadOptions) -> Result<(Stack, Api), Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let yaml = serde_yaml_ng::from_str(&text).map_err(|err| Error::Yaml {
        path: path.to_owned(),
        message: err.to_string(),
    })?;
    let stack = Stack::new(&yaml, &options.parameters, options.identity.clone())?;
    let api = build(&stack, options.api.as_deref())?;
    Ok((stack, api))
}

/// Builds the API `name` (or the template's only `AWS::Serverless::Api`).
pub fn build(stack: &Stack, name: Option<&str>) -> Result<Api, Error> {
    let apis: Vec<&String> = stack
        .resources()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Api"))
        .map(|(id, _)| id)
        .collect();
    let id = match (name, apis.as_slice()) {
        (Some(name), _) if apis.iter().any(|id| *id == name) => name.to_owned(),
        (Some(name), _) => {
            return Err(Error::Usage(format!(
                "--api {name}: no AWS::Serverless::Api of that name"
            )));
        }
        (None, [only]) => (*only).clone(),
        (None, []) => return Err(Error::template("Resources", "no AWS::Serverless::Api")),
        (None, _) => {
            return Err(Error::Usage(
                "the template has several AWS::Serverless::Api resources; choose one with --api"
                    .into(),
            ));
        }
    };
    let at = format!("Resources.{id}.Properties");
    let empty = Value::Object(Map::new());
    let props = stack
        .resource(&id)
        .and_then(|r| r.get("Properties"))
        .unwrap_or(&empty);
    let reader = Reader { stack, at: &at };
    let stage = reader.string(props.get("StageName"), "StageName")?;
    let auth = props.get("Auth").unwrap_or(&empty);
    let default = auth
        .get("DefaultAuthorizer")
        .map(|v| reader.string(Some(v), "Auth.DefaultAuthorizer"))
        .transpose()?;
    let mut authorizers = HashMap::new();
    for (name, spec) in auth
        .get("Authorizers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        authorizers.insert(name.clone(), reader.authorizer(name, spec)?);
    }
    if let Some(default) = &default
        && !authorizers.contains_key(default)
    {
        return Err(Error::template(
            format!("{at}.Auth.DefaultAuthorizer"),
            format!("{default} is not one of Auth.Authorizers"),
        ));
    }
    let pick = |named: Option<&str>| -> Option<String> {
        match named {
            Some("NONE") => None,
            Some(name) => Some(name.to_owned()),
            None => default.clone(),
        }
    };

    let mut resources: BTreeMap<String, BTreeMap<String, Method>> = BTreeMap::new();
    let body = props.get("DefinitionBody");
    if let Some(body) = body {
        reader.definition_body(body, &pick, &mut resources)?;
    }
    let merge = props
        .get("MergeDefinitions")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // SAM adds the functions' Api events to the definition only when it writes the definition
    // itself, or when MergeDefinitions asks it to.
    if body.is_none() || merge {
        events(stack, &id, &pick, &mut resources)?;
    }
    for (path, methods) in &resources {
        for (verb, method) in methods {
            if let Some(name) = &method.authorizer
                && !authorizers.contains_key(name)
            {
                return Err(Error::template(
                    format!("{verb} {path}"),
                    format!("authorizer {name} is not one of {at}.Auth.Authorizers"),
                ));
            }
        }
    }
    if let Some(cors) = props.get("Cors") {
        let preflight_auth = auth
            .get("AddDefaultAuthorizerToCorsPreflight")
            .and_then(Value::as_bool)
            .unwrap_or(true)
            .then(|| default.clone())
            .flatten();
        reader.cors(cors, preflight_auth, &mut resources)?;
    }
    let mut gateway_responses = HashMap::new();
    for (kind, spec) in props
        .get("GatewayResponses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        gateway_responses.insert(kind.clone(), reader.gateway_response(kind, spec)?);
    }
    Ok(Api {
        name: id.clone(),
        stage,
        resources: resources
            .into_iter()
            .map(|(path, methods)| Resource { path, methods })
            .collect(),
        authorizers,
        gateway_responses,
    })
}

/// The functions' `Api` events on the API `api_id`.
fn events(
    stack: &Stack,
    api_id: &str,
    pick: &dyn Fn(Option<&str>) -> Option<String>,
    resources: &mut BTreeMap<String, BTreeMap<String, Method>>,
) -> Result<(), Error> {
    for (function_id, resource) in stack.resources() {
        let Some(events) = resource
            .pointer("/Properties/Events")
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (event_name, event) in events {
            let at = format!("Resources.{function_id}.Properties.Events.{event_name}");
            if event.get("Type").and_then(Value::as_str) != Some("Api") {
                continue;
            }
            let props = event.get("Properties");
            let on_api = props
                .and_then(|p| p.get("RestApiId"))
                .and_then(intrinsic)
                .is_some_and(|(f, args)| f == "Ref" && args.as_str() == Some(api_id));
            if !on_api {
                continue;
            }
            let reader = Reader { stack, at: &at };
            let path = reader.string(props.and_then(|p| p.get("Path")), "Path")?;
            let verb = reader.string(props.and_then(|p| p.get("Method")), "Method")?;
            let named = props
                .and_then(|p| p.pointer("/Auth/Authorizer"))
                .map(|v| reader.string(Some(v), "Auth.Authorizer"))
                .transpose()?;
            let method = Method {
                authorizer: pick(named.as_deref()),
                integration: Integration::Lambda {
                    function: function_name(stack, function_id)?,
                },
            };
            resources
                .entry(path)
                .or_default()
                .insert(verb_key(&verb), method);
        }
    }
    Ok(())
}

/// The name `cargo lambda watch` serves a function under: its binary.
pub fn function_name(stack: &Stack, logical_id: &str) -> Result<String, Error> {
    let resource = stack.resource(logical_id).ok_or_else(|| {
        Error::template(
            format!("Resources.{logical_id}"),
            "no such function in the template",
        )
    })?;
    if let Some(binary) = resource
        .pointer("/Metadata/BuildProperties/Binary")
        .and_then(Value::as_str)
    {
        return Ok(binary.to_owned());
    }
    match resource.pointer("/Properties/FunctionName") {
        Some(name) => stack
            .resolve(name)
            .map_err(|m| Error::template(format!("Resources.{logical_id}.FunctionName"), m)),
        None => Ok(logical_id.to_owned()),
    }
}

/// `get` -> `GET`; `any` and OpenAPI's `x-amazon-apigateway-any-method` -> `ANY`.
fn verb_key(verb: &str) -> String {
    if verb.eq_ignore_ascii_case("x-amazon-apigateway-any-method") {
        "ANY".to_owned()
    } else {
        verb.to_ascii_uppercase()
    }
}

/// Resolves values under one place of the template, naming it in errors.
struct Reader<'a> {
    stack: &'a Stack,
    at: &'a str,
}

impl Reader<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> Error {
        Error::template(format!("{}.{field}", self.at), message)
    }

    fn string(&self, value: Option<&Value>, field: &str) -> Result<String, Error> {
        let value = value.ok_or_else(|| self.error(field, "missing"))?;
        self.stack.resolve(value).map_err(|m| self.error(field, m))
    }

    fn strings(&self, value: Option<&Value>, field: &str) -> Result<Vec<String>, Error> {
        match value {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| self.string(Some(item), field))
                .collect(),
            Some(_) => Err(self.error(field, "expected a list")),
        }
    }

    fn function(&self, arn: &Value, field: &str) -> Result<String, Error> {
        let arn = self.string(Some(arn), field)?;
        let id = function_in_arn(&arn)
            .ok_or_else(|| self.error(field, format!("{arn} does not name a Lambda function")))?;
        match self.stack.resource(id) {
            Some(_) => function_name(self.stack, id),
            // A function of another stack: cargo lambda may still serve it under that name.
            None => Ok(id.to_owned()),
        }
    }

    fn authorizer(&self, name: &str, spec: &Value) -> Result<Authorizer, Error> {
        let field = |f: &str| format!("Auth.Authorizers.{name}.{f}");
        let arn = spec.get("FunctionArn").ok_or_else(|| {
            self.error(
                &field("FunctionArn"),
                "missing: only Lambda authorizers are emulated",
            )
        })?;
        let function = self.function(arn, &field("FunctionArn"))?;
        let identity = spec.get("Identity");
        let get = |key: &str| identity.and_then(|i| i.get(key));
        let ttl = match get("ReauthorizeEvery") {
            None => DEFAULT_TTL_SECS,
            Some(v) => {
                let text = self.string(Some(v), &field("Identity.ReauthorizeEvery"))?;
                text.parse().map_err(|_| {
                    self.error(
                        &field("Identity.ReauthorizeEvery"),
                        format!("{text:?} is not a number of seconds"),
                    )
                })?
            }
        };
        let payload = match spec.get("FunctionPayloadType") {
            None => "TOKEN".to_owned(),
            Some(v) => self.string(Some(v), &field("FunctionPayloadType"))?,
        };
        let kind = match payload.as_str() {
            "TOKEN" => AuthorizerKind::Token {
                header: match get("Header") {
                    None => "Authorization".to_owned(),
                    Some(v) => self.string(Some(v), &field("Identity.Header"))?,
                },
                validation: get("ValidationExpression")
                    .map(|v| {
                        let f = field("Identity.ValidationExpression");
                        let expression = self.string(Some(v), &f)?;
                        anchored(&expression).map_err(|m| self.error(&f, m))
                    })
                    .transpose()?,
            },
            "REQUEST" => {
                let mut sources = Vec::new();
                let lists: [(&str, SourceOf); 4] = [
                    ("Headers", IdentitySource::Header),
                    ("QueryStrings", IdentitySource::QueryString),
                    ("StageVariables", IdentitySource::StageVariable),
                    ("Context", IdentitySource::Context),
                ];
                for (key, make) in lists {
                    let f = field(&format!("Identity.{key}"));
                    sources.extend(self.strings(get(key), &f)?.into_iter().map(make));
                }
                AuthorizerKind::Request { sources }
            }
            other => {
                return Err(self.error(
                    &field("FunctionPayloadType"),
                    format!("{other:?}: expected TOKEN or REQUEST"),
                ));
            }
        };
        Ok(Authorizer {
            name: name.to_owned(),
            function,
            kind,
            ttl: Duration::from_secs(ttl),
        })
    }
}

/// A regular expression that must match the whole value, as API Gateway applies them.
fn anchored(expression: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{expression})$")).map_err(|err| err.to_string())
}
