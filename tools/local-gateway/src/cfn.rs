//! Just enough CloudFormation to read template.yaml: short-form tags turned into their long form,
//! parameters with their defaults and overrides, and `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::Join`
//! and `Fn::If` (over the template's `Conditions`) resolved to strings as they would be in the
//! local stack, SAM's `!Ref MyFunction.Alias` (the ARN of the alias AutoPublishAlias creates)
//! and an SSM parameter's `Value` attribute included.

use std::collections::HashMap;

use serde_json::{Map, Value};
use serde_yaml_ng::Value as Yaml;

use crate::error::Error;

/// How deeply conditions may refer to conditions: a template is refused beyond it rather than
/// recursing forever on a cycle.
const MAX_CONDITION_DEPTH: usize = 32;

/// The REST API id the local stack uses unless told otherwise (`--api-id`).
pub const DEFAULT_API_ID: &str = "local0000a";

/// Where the local stack pretends to live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `AWS::Region`; default `us-east-1`.
    pub region: String,
    /// `AWS::AccountId`; default `123456789012`.
    pub account: String,
    /// The REST API id used in method ARNs and events; default `local0000a`.
    pub api_id: String,
}

impl Default for Identity {
    fn default() -> Self {
        Self {
            region: "us-east-1".to_owned(),
            account: "123456789012".to_owned(),
            api_id: DEFAULT_API_ID.to_owned(),
        }
    }
}

/// A template with its parameter values, able to resolve intrinsic functions.
#[derive(Debug, Clone)]
pub struct Stack {
    /// The whole template as JSON, short-form tags expanded (`!Ref X` is `{"Ref": "X"}`).
    pub doc: Value,
    params: HashMap<String, String>,
    identity: Identity,
}

impl Stack {
    /// Builds the stack from parsed YAML; `overrides` win over the parameters' defaults and
    /// must name declared parameters.
    pub fn new(
        yaml: &Yaml,
        overrides: &[(String, String)],
        identity: Identity,
    ) -> Result<Self, Error> {
        let doc = to_json(yaml);
        let mut params = HashMap::new();
        let declared = doc.get("Parameters").and_then(Value::as_object);
        for (name, spec) in declared.into_iter().flatten() {
            if let Some(default) = spec.get("Default").and_then(scalar) {
                params.insert(name.clone(), default);
            }
        }
        for (name, value) in overrides {
            if !declared.is_some_and(|d| d.contains_key(name)) {
                return Err(Error::Usage(format!(
                    "--parameter {name}: the template declares no such parameter"
                )));
            }
            params.insert(name.clone(), value.clone());
        }
        Ok(Self {
            doc,
            params,
            identity,
        })
    }

    /// The resources, by logical id.
    pub fn resources(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.doc
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
    }

    /// One resource.
    pub fn resource(&self, logical_id: &str) -> Option<&Value> {
        self.doc.get("Resources")?.get(logical_id)
    }

    /// A resource's `Type`.
    pub fn resource_type(&self, logical_id: &str) -> Option<&str> {
        self.resource(logical_id)?.get("Type")?.as_str()
    }

    /// The identity of the local stack.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// A value as a string, with intrinsic functions resolved.
    pub fn resolve(&self, value: &Value) -> Result<String, String> {
        if let Some(s) = scalar(value) {
            return Ok(s);
        }
        let Some((function, args)) = intrinsic(value) else {
            return Err(format!("expected a string, found {value}"));
        };
        match function {
            "Ref" => self.reference(args.as_str().ok_or("Ref takes a name")?),
            "Fn::GetAtt" => match args.as_array().map(Vec::as_slice) {
                Some([Value::String(id), Value::String(attribute)]) => {
                    self.attribute(id, attribute)
                }
                _ => Err("Fn::GetAtt takes [LogicalId, Attribute]".to_owned()),
            },
            "Fn::Sub" => match args {
                Value::String(text) => self.sub(text, &Map::new()),
                Value::Array(list) => match list.as_slice() {
                    [Value::String(text), Value::Object(vars)] => self.sub(text, vars),
                    _ => Err("Fn::Sub takes a string or [string, {variables}]".to_owned()),
                },
                _ => Err("Fn::Sub takes a string or [string, {variables}]".to_owned()),
            },
            "Fn::Join" => match args.as_array().map(Vec::as_slice) {
                Some([Value::String(delimiter), Value::Array(items)]) => Ok(items
                    .iter()
                    .map(|item| self.resolve(item))
                    .collect::<Result<Vec<_>, _>>()?
                    .join(delimiter)),
                _ => Err("Fn::Join takes [delimiter, [values]]".to_owned()),
            },
            "Fn::If" => match args.as_array().map(Vec::as_slice) {
                Some([Value::String(condition), then, otherwise]) => {
                    let chosen = if self.condition(condition, 0)? {
                        then
                    } else {
                        otherwise
                    };
                    self.resolve(chosen)
                }
                _ => Err("Fn::If takes [Condition, value if true, value if false]".to_owned()),
            },
            other => Err(format!(
                "{other} is not supported by the local gateway here"
            )),
        }
    }

    /// Whether the template's condition `name` holds.
    fn condition(&self, name: &str, depth: usize) -> Result<bool, String> {
        let definition = self
            .doc
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| format!("Condition {name}: no such condition"))?;
        self.truth(definition, depth + 1)
    }

    /// A condition function (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
    fn truth(&self, value: &Value, depth: usize) -> Result<bool, String> {
        if depth > MAX_CONDITION_DEPTH {
            return Err("conditions nested too deeply (a cycle?)".to_owned());
        }
        let Some((function, args)) = intrinsic(value) else {
            return Err(format!("expected a condition, found {value}"));
        };
        let list = || {
            args.as_array()
                .ok_or_else(|| format!("{function} takes a list"))
        };
        match function {
            "Condition" => self.condition(args.as_str().ok_or("Condition takes a name")?, depth),
            "Fn::Equals" => match list()?.as_slice() {
                [a, b] => Ok(self.resolve(a)? == self.resolve(b)?),
                _ => Err("Fn::Equals takes [value, value]".to_owned()),
            },
            "Fn::Not" => match list()?.as_slice() {
                [inner] => Ok(!self.truth(inner, depth + 1)?),
                _ => Err("Fn::Not takes [condition]".to_owned()),
            },
            "Fn::And" => list()?
                .iter()
                .try_fold(true, |all, inner| Ok(self.truth(inner, depth + 1)? && all)),
            "Fn::Or" => list()?
                .iter()
                .try_fold(false, |any, inner| Ok(self.truth(inner, depth + 1)? || any)),
            other => Err(format!("{other} is not a condition function")),
        }
    }

    fn reference(&self, name: &str) -> Result<String, String> {
        let identity = &self.identity;
        match name {
            "AWS::Region" => return Ok(identity.region.clone()),
            "AWS::AccountId" => return Ok(identity.account.clone()),
            "AWS::Partition" => return Ok("aws".to_owned()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".to_owned()),
            "AWS::StackName" => return Ok("local".to_owned()),
            _ => {}
        }
        if let Some(value) = self.params.get(name) {
            return Ok(value.clone());
        }
        if let Some((id, "Alias")) = name.split_once('.') {
            return self.alias_arn(id);
        }
        if self
            .doc
            .get("Parameters")
            .is_some_and(|p| p.get(name).is_some())
        {
            return Err(format!(
                "parameter {name} has no Default; pass --parameter {name}=<value>"
            ));
        }
        match self.resource_type(name) {
            // Ref of a parameter resource is its name.
            Some("AWS::SSM::Parameter") => self
                .resource(name)
                .and_then(|r| r.pointer("/Properties/Name"))
                .map_or_else(|| Ok(name.to_owned()), |n| self.resolve(n)),
            Some("AWS::Serverless::Api" | "AWS::ApiGateway::RestApi") => {
                Ok(identity.api_id.clone())
            }
            Some(_) => Ok(name.to_owned()),
            None => Err(format!("Ref {name}: no such parameter or resource")),
        }
    }

    /// SAM's `MyFunction.Alias`: `<function ARN>:<alias>`, the alias being the function's
    /// `AutoPublishAlias` (or that of the template's `Globals`).
    fn alias_arn(&self, id: &str) -> Result<String, String> {
        if self.resource_type(id) != Some("AWS::Serverless::Function") {
            return Err(format!(
                "{id}.Alias: {id} is not an AWS::Serverless::Function"
            ));
        }
        let alias = self
            .resource(id)
            .and_then(|r| r.pointer("/Properties/AutoPublishAlias"))
            .or_else(|| self.doc.pointer("/Globals/Function/AutoPublishAlias"))
            .ok_or_else(|| format!("{id}.Alias: the function has no AutoPublishAlias"))?;
        let alias = self.resolve(alias)?;
        Ok(format!("{}:{alias}", self.attribute(id, "Arn")?))
    }

    fn attribute(&self, id: &str, attribute: &str) -> Result<String, String> {
        let kind = self
            .resource_type(id)
            .ok_or_else(|| format!("Fn::GetAtt {id}.{attribute}: no such resource"))?;
        let identity = &self.identity;
        Ok(match (kind, attribute) {
            ("AWS::Serverless::Function" | "AWS::Lambda::Function", "Arn") => format!(
                "arn:aws:lambda:{}:{}:function:{id}",
                identity.region, identity.account
            ),
            ("AWS::Serverless::Api" | "AWS::ApiGateway::RestApi", "RootResourceId") => {
                format!("{}-root", identity.api_id)
            }
            ("AWS::SSM::Parameter", "Value") => {
                let value = self
                    .resource(id)
                    .and_then(|r| r.pointer("/Properties/Value"))
                    .ok_or_else(|| format!("Fn::GetAtt {id}.Value: the parameter has no Value"))?;
                self.resolve(value)?
            }
            _ => format!("{id}.{attribute}"),
        })
    }

    fn sub(&self, text: &str, vars: &Map<String, Value>) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(rest.get(..start).unwrap_or_default());
            let after = rest.get(start + 2..).unwrap_or_default();
            let end = after
                .find('}')
                .ok_or_else(|| format!("Fn::Sub: unclosed ${{ in {text:?}"))?;
            let name = after.get(..end).unwrap_or_default();
            if let Some(literal) = name.strip_prefix('!') {
                // `${!Literal}` is the text `${Literal}`.
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = vars.get(name) {
                out.push_str(&self.resolve(value)?);
            } else if let Some((id, attribute)) = name.split_once('.') {
                out.push_str(&self.attribute(id, attribute)?);
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = after.get(end + 1..).unwrap_or_default();
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// A string, number or boolean as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `{"Ref": ...}` or `{"Fn::...": ...}`: the function's name and its arguments.
pub fn intrinsic(value: &Value) -> Option<(&str, &Value)> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    let (name, args) = object.iter().next()?;
    (name == "Ref" || name == "Condition" || name.starts_with("Fn::")).then_some((name, args))
}

/// The logical id of a function from its (resolved) ARN or integration URI:
/// `arn:aws:lambda:<region>:<account>:function:<Name>[:<alias>][/...]`.
pub fn function_in_arn(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":function:")?;
    let end = rest.find(['/', ':']).unwrap_or(rest.len());
    rest.get(..end).filter(|name| !name.is_empty())
}

/// YAML to JSON, expanding CloudFormation's short-form tags (`!Ref X` -> `{"Ref": "X"}`,
/// `!GetAtt A.B` -> `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` -> `{"Fn::Sub": "s"}`).
pub fn to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => n
            .as_u64()
            .map(Value::from)
            .or_else(|| n.as_i64().map(Value::from))
            .or_else(|| n.as_f64().map(Value::from))
            .unwrap_or(Value::Null),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(mapping) => Value::Object(
            mapping
                .iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let args = match (&tagged.value, name) {
                (Yaml::String(s), "GetAtt") => match s.split_once('.') {
                    Some((id, attribute)) => Value::from(vec![id, attribute]),
                    None => Value::String(s.clone()),
                },
                (value, _) => to_json(value),
            };
            let key = match name {
                "Ref" | "Condition" => name.to_owned(),
                _ => format!("Fn::{name}"),
            };
            Value::Object(Map::from_iter([(key, args)]))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  Environment: {Type: String, Default: dev}
  Ttl: {Type: Number, Default: 300}
  NoDefault: {Type: String}
  Issuer: {Type: String, Default: ""}
Conditions:
  HasIssuer: !Not [!Equals [!Ref Issuer, ""]]
  IsProd: !Equals [!Ref Environment, prod]
  ProdWithIssuer: !And [!Condition IsProd, !Condition HasIssuer]
  ProdOrIssuer: !Or [!Condition IsProd, !Condition HasIssuer]
  Loop: !Not [!Condition Loop]
Globals:
  Function:
    AutoPublishAlias: live
Resources:
  Fn:
    Type: AWS::Serverless::Function
  Own:
    Type: AWS::Serverless::Function
    Properties:
      AutoPublishAlias: !Ref Environment
  Api:
    Type: AWS::Serverless::Api
  Rules:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub /app/${Environment}/auth/route-rules
  IssuerParameter:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub /app/${Environment}/auth/token/issuer
      Value: !If [HasIssuer, !Ref Issuer, !Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Environment}"]
Outputs:
  A: {Value: !Ref Environment}
  B: {Value: !Sub "'${Environment}' ${!Literal} ${AWS::Region}"}
  C: {Value: !GetAtt Fn.Arn}
  D: {Value: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}
  E: {Value: !Ref Rules}
  F: {Value: !Ref Ttl}
  G: {Value: !Join ["-", [a, !Ref Environment]]}
  H: {Value: !Ref NoDefault}
  I: {Value: !Sub ["${X}!", {X: !Ref Environment}]}
  J: {Value: !Ref Fn.Alias}
  K: {Value: !Ref Own.Alias}
  L: {Value: !Ref Api.Alias}
  M: {Value: !GetAtt IssuerParameter.Value}
  N: {Value: !Sub "${IssuerParameter.Value}/.well-known/openid-configuration"}
  O: {Value: !If [ProdWithIssuer, both, not both]}
  P: {Value: !If [ProdOrIssuer, either, neither]}
  Q: {Value: !If [Loop, a, b]}
  R: {Value: !If [Nowhere, a, b]}
"#;

    fn stack(overrides: &[(&str, &str)]) -> Stack {
        let yaml: Yaml = serde_yaml_ng::from_str(TEMPLATE).unwrap();
        let overrides: Vec<_> = overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Stack::new(&yaml, &overrides, Identity::default()).unwrap()
    }

    fn output(stack: &Stack, name: &str) -> Result<String, String> {
        stack.resolve(&stack.doc["Outputs"][name]["Value"])
    }

    #[test]
    fn short_form_tags_resolve_like_cloudformation() {
        let stack = stack(&[]);
        assert_eq!(output(&stack, "A").unwrap(), "dev");
        assert_eq!(output(&stack, "B").unwrap(), "'dev' ${Literal} us-east-1");
        assert_eq!(
            output(&stack, "C").unwrap(),
            "arn:aws:lambda:us-east-1:123456789012:function:Fn"
        );
        assert_eq!(
            function_in_arn(&output(&stack, "D").unwrap()),
            Some("Fn"),
            "the integration URI names the function"
        );
        assert_eq!(output(&stack, "E").unwrap(), "/app/dev/auth/route-rules");
        assert_eq!(output(&stack, "F").unwrap(), "300");
        assert_eq!(output(&stack, "G").unwrap(), "a-dev");
        assert_eq!(output(&stack, "I").unwrap(), "dev!");
    }

    #[test]
    fn a_functions_alias_is_its_arn_and_alias_name() {
        let stack = stack(&[]);
        let alias = output(&stack, "J").unwrap();
        assert_eq!(
            alias,
            "arn:aws:lambda:us-east-1:123456789012:function:Fn:live"
        );
        assert_eq!(function_in_arn(&alias), Some("Fn"));
        assert_eq!(
            output(&stack, "K").unwrap(),
            "arn:aws:lambda:us-east-1:123456789012:function:Own:dev",
            "the function's own AutoPublishAlias wins over Globals'"
        );
        assert!(
            output(&stack, "L")
                .unwrap_err()
                .contains("not an AWS::Serverless::Function")
        );
    }

    #[test]
    fn fn_if_follows_the_templates_conditions() {
        let derived = stack(&[]);
        assert_eq!(
            output(&derived, "M").unwrap(),
            "https://local0000a.execute-api.us-east-1.amazonaws.com/dev"
        );
        assert_eq!(
            output(&derived, "N").unwrap(),
            "https://local0000a.execute-api.us-east-1.amazonaws.com/dev/.well-known/openid-configuration",
            "a parameter's Value attribute is its resolved Value"
        );
        assert_eq!(output(&derived, "O").unwrap(), "not both");
        assert_eq!(output(&derived, "P").unwrap(), "neither");

        let custom = stack(&[
            ("Issuer", "https://auth.example.com"),
            ("Environment", "prod"),
        ]);
        assert_eq!(output(&custom, "M").unwrap(), "https://auth.example.com");
        assert_eq!(output(&custom, "O").unwrap(), "both");
        assert_eq!(output(&custom, "P").unwrap(), "either");
    }

    #[test]
    fn a_missing_or_cyclic_condition_is_an_error() {
        let stack = stack(&[]);
        assert!(
            output(&stack, "Q")
                .unwrap_err()
                .contains("nested too deeply")
        );
        assert!(
            output(&stack, "R")
                .unwrap_err()
                .contains("no such condition")
        );
    }

    #[test]
    fn overrides_win_over_defaults() {
        let stack = stack(&[("Environment", "prod"), ("NoDefault", "x")]);
        assert_eq!(output(&stack, "A").unwrap(), "prod");
        assert_eq!(output(&stack, "H").unwrap(), "x");
    }

    #[test]
    fn a_parameter_without_default_must_be_given() {
        assert!(
            output(&stack(&[]), "H")
                .unwrap_err()
                .contains("--parameter")
        );
    }

    #[test]
    fn an_unknown_override_is_refused() {
        let yaml: Yaml = serde_yaml_ng::from_str(TEMPLATE).unwrap();
        let overrides = [("Nope".to_owned(), "1".to_owned())];
        assert!(Stack::new(&yaml, &overrides, Identity::default()).is_err());
    }
}
