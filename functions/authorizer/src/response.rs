//! From an event and a verified token to the answer API Gateway expects.

use auth_aws::{Config, ResponseMode};
use auth_core::{AuthorizerContext, Caller, IamResponse, MethodArn, SimpleResponse};
use serde::Serialize;
use serde_json::Value;

use crate::context;
use crate::error::Denied;
use crate::event::{AuthorizerEvent, Flavour};
use crate::token;

/// What the function returns: an IAM policy or an HTTP API simple response.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// REST TOKEN/REQUEST, WebSocket, and HTTP API in IAM mode.
    Iam(IamResponse),
    /// HTTP API in simple mode.
    Simple(SimpleResponse),
}

impl Answer {
    /// Whether the answer lets the requested route through.
    pub fn allows_request(&self) -> bool {
        match self {
            Self::Simple(simple) => simple.is_authorized,
            Self::Iam(_) => true,
        }
    }
}

/// Decides on one event. REST and WebSocket events, and HTTP API events in IAM mode, are refused
/// with [`Denied`] (API Gateway answers 401); HTTP API simple mode answers `isAuthorized: false`
/// (403). A valid token whose scopes do not cover the requested route gets its full policy,
/// which does not allow that route (403), so that the cached answer is right for every route.
pub fn authorize(config: &Config, event: &AuthorizerEvent) -> Result<Answer, Denied> {
    let simple =
        event.flavour() == Flavour::HttpApi && config.authorizer_response == ResponseMode::Simple;
    match decide(config, event, simple) {
        Err(_) if simple => Ok(Answer::Simple(SimpleResponse {
            is_authorized: false,
            context: AuthorizerContext::new(),
        })),
        result => result,
    }
}

fn decide(config: &Config, event: &AuthorizerEvent, simple: bool) -> Result<Answer, Denied> {
    if event.flavour() == Flavour::Unknown {
        return Err(Denied::new("not_an_authorizer_event"));
    }
    let arn = event
        .arn()
        .ok_or_else(|| Denied::new("missing_method_arn"))?;
    let arn = MethodArn::parse(arn).map_err(|_| Denied::new("malformed_method_arn"))?;
    let rules = &config.route_rules;
    let Some(token) = token::find(&config.token_sources, event)? else {
        if !rules.is_public(&arn) {
            return Err(Denied::new("missing_token"));
        }
        let decision = rules
            .decide(&arn, Caller::Anonymous)
            .ok_or_else(|| Denied::new("policy_too_large"))?;
        let mut context = AuthorizerContext::new();
        context.insert("anonymous".to_owned(), Value::Bool(true));
        return Ok(answer(
            simple,
            "anonymous".to_owned(),
            decision,
            context,
            None,
        ));
    };
    let claims = config
        .verifier
        .verify_access(&token)
        .map_err(|err| Denied::new(err.reason()))?;
    let caller = Caller::Token(claims.scope.as_deref().unwrap_or(""));
    let decision = rules
        .decide(&arn, caller)
        .ok_or_else(|| Denied::new("policy_too_large"))?;
    if !decision.allowed {
        tracing::info!(reason = "insufficient_scope", sub = %claims.sub, "route not covered by the token's scopes");
    }
    // The verified claims beyond our own, decoded once and only when something needs them.
    let wants_claims = !config.context_claims.is_empty() || config.usage_identifier_claim.is_some();
    let all_claims = if wants_claims {
        context::payload(&token)
    } else {
        None
    };
    let context = context::build(&claims, all_claims.as_ref(), &config.context_claims);
    let usage_key = config
        .usage_identifier_claim
        .as_ref()
        .and_then(|name| all_claims.as_ref()?.get(name)?.as_str().map(str::to_owned));
    Ok(answer(simple, claims.sub, decision, context, usage_key))
}

fn answer(
    simple: bool,
    principal_id: String,
    decision: auth_core::Decision,
    context: AuthorizerContext,
    usage_identifier_key: Option<String>,
) -> Answer {
    if simple {
        // A simple response cannot list routes: the answer is for this route only (see the
        // README on caching with route keys in the identity sources).
        let context = if decision.allowed {
            context
        } else {
            AuthorizerContext::new()
        };
        return Answer::Simple(SimpleResponse {
            is_authorized: decision.allowed,
            context,
        });
    }
    Answer::Iam(IamResponse {
        principal_id,
        policy_document: decision.policy,
        context,
        usage_identifier_key,
    })
}
