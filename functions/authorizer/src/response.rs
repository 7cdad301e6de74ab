//! From a classified event and a verified token to the answer API Gateway expects.

use auth_aws::{Config, ResponseMode};
use auth_core::{
    AuthorizerContext, BearerToken, Claims, IamResponse, MethodArn, PolicyDocument, SimpleResponse,
};
use serde::Serialize;
use serde_json::Value;

use crate::error::Denied;
use crate::event::{AuthorizerEvent, Flavour};

/// What the function returns: an IAM policy or an HTTP API simple response.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Iam(IamResponse),
    Simple(SimpleResponse),
}

/// Decides on one event. REST events and HTTP API events in IAM mode are refused with
/// [`Denied`] (API Gateway: 401); HTTP API simple mode answers `isAuthorized: false` (403).
pub fn authorize(config: &Config, payload: &Value) -> Result<Answer, Denied> {
    let Some(event) = AuthorizerEvent::classify(payload) else {
        return Err(Denied::new("not_an_authorizer_event"));
    };
    let simple =
        event.flavour == Flavour::HttpApi && config.authorizer_response == ResponseMode::Simple;
    match decide(config, &event) {
        Ok(answer) => Ok(answer),
        // The reason was logged when the denial was made.
        Err(_) if simple => Ok(Answer::Simple(SimpleResponse {
            is_authorized: false,
            context: AuthorizerContext::new(),
        })),
        Err(denied) => Err(denied),
    }
}

fn decide(config: &Config, event: &AuthorizerEvent<'_>) -> Result<Answer, Denied> {
    let value = event
        .authorization
        .map_err(Denied::new)?
        .ok_or_else(|| Denied::new("missing_token"))?;
    let token = BearerToken::parse(value).map_err(|_| Denied::new("malformed_authorization"))?;
    let claims = config
        .verifier
        .verify_access(token.as_str())
        .map_err(|err| Denied::new(err.reason()))?;
    let context = context(&claims);
    if event.flavour == Flavour::HttpApi && config.authorizer_response == ResponseMode::Simple {
        return Ok(Answer::Simple(SimpleResponse {
            is_authorized: true,
            context,
        }));
    }
    let arn = event.arn.ok_or_else(|| Denied::new("missing_method_arn"))?;
    let arn = MethodArn::parse(arn).map_err(|_| Denied::new("malformed_method_arn"))?;
    Ok(Answer::Iam(IamResponse {
        principal_id: claims.sub.clone(),
        // API Gateway caches this answer per token and applies it to every route of the API,
        // so it must cover the whole stage, not just the method that was asked about.
        policy_document: PolicyDocument::allow(vec![arn.stage_wildcard()]),
        context,
    }))
}

fn context(claims: &Claims) -> AuthorizerContext {
    let mut context = AuthorizerContext::new();
    context.insert("sub".to_owned(), Value::String(claims.sub.clone()));
    context
}
