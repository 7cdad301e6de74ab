//! Method/route ARNs and the responses API Gateway expects from a Lambda authorizer.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::PolicyError;

/// Context handed to the backend: values are strings, numbers or booleans only.
pub type AuthorizerContext = Map<String, Value>;

/// The parts of `arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<method>/<path>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodArn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: &'a str,
    /// AWS region.
    pub region: &'a str,
    /// AWS account id.
    pub account: &'a str,
    /// API id.
    pub api_id: &'a str,
    /// Stage name (`$default` for HTTP APIs without stages).
    pub stage: &'a str,
    /// HTTP method (or `$connect` style route key for WebSocket APIs).
    pub method: &'a str,
    /// Resource path without the leading slash (may be empty).
    pub path: &'a str,
    /// Everything after `<stage>/`: `GET/pets/7`, or a WebSocket route key like `$connect`.
    pub route: &'a str,
}

impl<'a> MethodArn<'a> {
    /// Parses a method ARN (REST) or route ARN (HTTP API).
    pub fn parse(arn: &'a str) -> Result<Self, PolicyError> {
        let mut fields = arn.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some("execute-api"),
            Some(region),
            Some(account),
            Some(rest),
        ) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        )
        else {
            return Err(PolicyError::MalformedArn);
        };
        let mut parts = rest.splitn(3, '/');
        let (Some(api_id), Some(stage), Some(route)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(PolicyError::MalformedArn);
        };
        let method = route.split_once('/').map_or(route, |(method, _)| method);
        // Everything that ends up in our policy must be a plain name: no wildcards, separators
        // or quotes smuggled in through the event.
        let plain = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'$'))
        };
        if ![partition, region, account, api_id, stage]
            .into_iter()
            .all(plain)
            || method.is_empty()
        {
            return Err(PolicyError::MalformedArn);
        }
        Ok(Self::parse_route(
            partition, region, account, api_id, stage, route,
        ))
    }

    /// An ARN from its parts (tests and tools); [`MethodArn::parse`] validates before calling it.
    pub fn parse_route(
        partition: &'a str,
        region: &'a str,
        account: &'a str,
        api_id: &'a str,
        stage: &'a str,
        route: &'a str,
    ) -> Self {
        let (method, path) = route.split_once('/').unwrap_or((route, ""));
        Self {
            partition,
            region,
            account,
            api_id,
            stage,
            method,
            path,
            route,
        }
    }

    /// `arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/`.
    pub fn stage_prefix(&self) -> String {
        format!(
            "arn:{}:execute-api:{}:{}:{}/{}/",
            self.partition, self.region, self.account, self.api_id, self.stage
        )
    }

    /// `arn:...:<api-id>/<stage>/*`: every method and route of this API and stage, so that the
    /// decision API Gateway caches per token is right for all of them.
    pub fn stage_wildcard(&self) -> String {
        format!("{}*", self.stage_prefix())
    }
}

/// An IAM policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    /// Always `2012-10-17`.
    #[serde(rename = "Version")]
    pub version: &'static str,
    /// The statements.
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

/// One IAM policy statement over `execute-api:Invoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// Always `execute-api:Invoke`.
    #[serde(rename = "Action")]
    pub action: &'static str,
    /// `Allow` or `Deny`.
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    /// ARN patterns.
    #[serde(rename = "Resource")]
    pub resource: Vec<String>,
}

impl Statement {
    /// A statement over `execute-api:Invoke` with the given effect (`Allow` or `Deny`).
    pub fn new(effect: &'static str, resource: Vec<String>) -> Self {
        Self {
            action: "execute-api:Invoke",
            effect,
            resource,
        }
    }
}

impl PolicyDocument {
    /// Allows `execute-api:Invoke` on the given resources.
    pub fn allow(resource: Vec<String>) -> Self {
        Self {
            version: "2012-10-17",
            statement: vec![Statement::new("Allow", resource)],
        }
    }
}

/// The IAM-policy answer of a REST (TOKEN/REQUEST) or HTTP API (IAM mode) authorizer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IamResponse {
    /// The caller's identity (`sub`).
    pub principal_id: String,
    /// What the caller may invoke.
    pub policy_document: PolicyDocument,
    /// Passed to the backend as `requestContext.authorizer`.
    pub context: AuthorizerContext,
    /// The usage-plan API key, when usage plans are keyed by a claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_identifier_key: Option<String>,
}

/// The simple answer of an HTTP API (payload 2.0) authorizer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleResponse {
    /// Whether the request may proceed.
    pub is_authorized: bool,
    /// Passed to the backend as `requestContext.authorizer.lambda`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub context: AuthorizerContext,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/pets/7";

    #[test]
    fn websocket_arn_has_a_route_key() {
        let arn = MethodArn::parse("arn:aws:execute-api:us-east-1:123456789012:ws1/prod/$connect")
            .unwrap();
        assert_eq!(
            (arn.method, arn.path, arn.route),
            ("$connect", "", "$connect")
        );
    }

    #[test]
    fn method_arn_parts_are_parsed() {
        let arn = MethodArn::parse(ARN).unwrap();
        assert_eq!(arn.route, "GET/pets/7");
        assert_eq!(arn.route, "GET/pets/7");
        assert_eq!(
            (
                arn.region,
                arn.account,
                arn.api_id,
                arn.stage,
                arn.method,
                arn.path
            ),
            (
                "eu-west-1",
                "123456789012",
                "abc123",
                "prod",
                "GET",
                "pets/7"
            )
        );
    }

    #[test]
    fn wildcard_covers_every_route_of_the_stage() {
        let arn = MethodArn::parse(ARN).unwrap();
        assert_eq!(
            arn.stage_wildcard(),
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*"
        );
        let http = MethodArn::parse("arn:aws:execute-api:us-east-1:123456789012:api/$default/GET/")
            .unwrap();
        assert_eq!(
            http.stage_wildcard(),
            "arn:aws:execute-api:us-east-1:123456789012:api/$default/*"
        );
    }

    #[test]
    fn malformed_arns_are_refused() {
        for bad in [
            "",
            "arn:aws:s3:::bucket",
            "arn:aws:execute-api:eu-west-1:123456789012:abc123",
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod",
            "arn:aws:execute-api:eu-west-1:*:abc123/prod/GET/x",
            "arn:aws:execute-api:eu-west-1:123456789012:*/prod/GET/x",
            "arn:aws:execute-api:eu-west-1:123\"456:abc/prod/GET/x",
        ] {
            assert_eq!(
                MethodArn::parse(bad),
                Err(PolicyError::MalformedArn),
                "{bad}"
            );
        }
    }

    #[test]
    fn iam_response_has_api_gateway_shape() {
        let response = IamResponse {
            principal_id: "alice".into(),
            policy_document: PolicyDocument::allow(vec!["arn:x/*".into()]),
            context: AuthorizerContext::new(),
            usage_identifier_key: None,
        };
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["principalId"], "alice");
        assert_eq!(json["policyDocument"]["Version"], "2012-10-17");
        assert_eq!(
            json["policyDocument"]["Statement"][0]["Action"],
            "execute-api:Invoke"
        );
        assert_eq!(json["policyDocument"]["Statement"][0]["Effect"], "Allow");
        assert_eq!(
            json["policyDocument"]["Statement"][0]["Resource"][0],
            "arn:x/*"
        );
    }
}
