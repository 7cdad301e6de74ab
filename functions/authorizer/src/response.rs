//! From an event and a verified token to the answer API Gateway expects.

use std::borrow::Cow;

use auth_aws::{Config, ResponseMode};
use auth_core::{
    AuthorizerContext, Caller, Claims, IamResponse, MethodArn, SimpleResponse, TrustedClaims,
};
use serde::Serialize;
use serde_json::Value;

use crate::checks::Checks;
use crate::context;
use crate::error::Denied;
use crate::event::{AuthorizerEvent, Flavour};
use crate::reason::DenyReason;
use crate::token_source;

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

/// Decides on one event with our own key set only (no trusted issuers, no revocation check):
/// what benchmarks, property tests and the fuzz target drive. REST and WebSocket events, and
/// HTTP API events in IAM mode, are refused with [`Denied`] (API Gateway answers 401); HTTP API
/// simple mode answers `isAuthorized: false` (403). A valid token whose scopes do not cover the
/// requested route gets its full policy, which does not allow that route (403), so that the
/// cached answer is right for every route.
pub fn authorize(config: &Config, event: &AuthorizerEvent) -> Result<Answer, Denied> {
    let simple = is_simple(config, event);
    let result = match prepare(config, event, simple) {
        Ok(Prepared::Done(answer)) => Ok(answer),
        Ok(Prepared::Token { arn, token }) => config
            .verifier
            .verify_access(&token)
            .map_err(Denied::from)
            .and_then(|claims| finish(config, &arn, &token, Verified::Own(claims), simple)),
        Err(denied) => Err(denied),
    };
    fold(simple, result)
}

/// [`authorize`] with the optional checks: tokens of trusted issuers (their JWKS may be fetched
/// on the way) and the revocation check of our own tokens.
pub async fn authorize_with(
    config: &Config,
    checks: &Checks,
    event: &AuthorizerEvent,
) -> Result<Answer, Denied> {
    decide_with(config, checks, event).await.answer
}

/// An answer, and why the request is refused when it is: also when HTTP API simple mode folds
/// the refusal into `isAuthorized: false`, which is not an error for Lambda.
pub struct Outcome {
    /// What the handler returns.
    pub answer: Result<Answer, Denied>,
    /// Why the request is refused (`expired`, `insufficient_scope`, ...), `None` when allowed.
    pub refused: Option<DenyReason>,
}

/// [`authorize_with`], keeping the reason of a refusal for metrics. The one place a denial is
/// logged: a refusal at debug level (bad input is not an error, and every refusal is already
/// counted by reason in the metrics: a line each would be most of the authorizer's log bytes), a
/// failure of ours ([`DenyReason::is_failure`]) at warn. A scope miss has its own debug line,
/// with the principal, where it is decided.
pub async fn decide_with(config: &Config, checks: &Checks, event: &AuthorizerEvent) -> Outcome {
    let simple = is_simple(config, event);
    let result = match prepare(config, event, simple) {
        Ok(Prepared::Done(answer)) => Ok(answer),
        Ok(Prepared::Token { arn, token }) => match verify(config, checks, &token).await {
            Ok(verified) => finish(config, &arn, &token, verified, simple),
            Err(denied) => Err(denied),
        },
        Err(denied) => Err(denied),
    };
    let refused = match &result {
        Err(denied) => {
            log_denial(denied.reason);
            Some(denied.reason)
        }
        Ok(answer) if !answer.allows_request() => Some(DenyReason::InsufficientScope),
        Ok(_) => None,
    };
    Outcome {
        answer: fold(simple, result),
        refused,
    }
}

fn log_denial(reason: DenyReason) {
    let code = reason.code();
    if reason.is_failure() {
        tracing::warn!(
            reason = code,
            "request denied: the authorizer could not decide"
        );
    } else {
        tracing::debug!(reason = code, "request denied");
    }
}

fn is_simple(config: &Config, event: &AuthorizerEvent) -> bool {
    event.flavour() == Flavour::HttpApi && config.authorizer_response == ResponseMode::Simple
}

/// HTTP API simple mode answers a refusal with `isAuthorized: false` rather than an error.
fn fold(simple: bool, result: Result<Answer, Denied>) -> Result<Answer, Denied> {
    match result {
        Err(_) if simple => Ok(Answer::Simple(SimpleResponse {
            is_authorized: false,
            context: AuthorizerContext::new(),
        })),
        result => result,
    }
}

/// An event either decided before any token is verified, or its token and route.
enum Prepared<'e> {
    Done(Answer),
    Token {
        arn: MethodArn<'e>,
        token: Cow<'e, str>,
    },
}

/// A verified token: one of ours, or one of a trusted issuer.
enum Verified {
    Own(Claims),
    Trusted(TrustedClaims),
}

fn prepare<'e>(
    config: &Config,
    event: &'e AuthorizerEvent,
    simple: bool,
) -> Result<Prepared<'e>, Denied> {
    if event.is_not_json() {
        return Err(Denied::new(DenyReason::NotJson));
    }
    if event.flavour() == Flavour::Unknown {
        return Err(Denied::new(DenyReason::NotAnAuthorizerEvent));
    }
    let arn = event
        .arn()
        .ok_or_else(|| Denied::new(DenyReason::MissingMethodArn))?;
    let arn = MethodArn::parse(arn).map_err(|_| Denied::new(DenyReason::MalformedMethodArn))?;
    let rules = &config.route_rules;
    if let Some(token) = token_source::find(&config.token_sources, event)? {
        return Ok(Prepared::Token { arn, token });
    }
    if !rules.is_public(&arn) {
        return Err(Denied::new(DenyReason::MissingToken));
    }
    let decision = rules
        .decide(&arn, Caller::Anonymous)
        .ok_or_else(|| Denied::new(DenyReason::PolicyTooLarge))?;
    let mut context = AuthorizerContext::new();
    context.insert("anonymous".to_owned(), Value::Bool(true));
    Ok(Prepared::Done(answer(
        simple,
        "anonymous".to_owned(),
        decision,
        context,
        None,
    )))
}

/// Routes the token by its (unverified) `iss`: a trusted issuer's keys verify its tokens, our
/// own key set ours; any other issuer is refused. Without trusted issuers, every token goes to
/// our verifier, as before they existed.
async fn verify(config: &Config, checks: &Checks, token: &str) -> Result<Verified, Denied> {
    if let Some(trusted) = &checks.trusted {
        let iss = auth_core::unverified_issuer(token).map_err(Denied::from)?;
        if let Some(iss) = iss.filter(|iss| *iss != config.tokens.issuer) {
            let issuer = trusted
                .find(&iss)
                .ok_or_else(|| Denied::new(DenyReason::UntrustedIssuer))?;
            return trusted.verify(issuer, token).await.map(Verified::Trusted);
        }
    }
    let claims = verify_own(config, checks, token)?;
    if let Some(trusted) = &checks.trusted
        && trusted.owns_principal(&claims.sub)
    {
        // A `sub` of ours shaped like a trusted issuer's principal (`<prefix>|<sub>`) would pass
        // for that issuer's user: the two namespaces must never meet.
        return Err(Denied::new(DenyReason::ReservedPrincipal));
    }
    if let Some(revocation) = &checks.revocation {
        revocation.check(&claims).await?;
    }
    Ok(Verified::Own(claims))
}

/// Our own token, verified, or found in the token cache when the key set holds an asymmetric key
/// (an HMAC check costs about what the cache lookup does).
fn verify_own(config: &Config, checks: &Checks, token: &str) -> Result<Claims, Denied> {
    let keys = config.verifier.keys();
    let cache = checks
        .token_cache
        .as_ref()
        .filter(|_| keys.keys().iter().any(|k| k.algorithm().is_public_key()));
    let verify = || config.verifier.verify_access(token).map_err(Denied::from);
    let Some(cache) = cache else {
        return verify();
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let lock = || {
        cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(claims) = lock().get(keys, token, now) {
        return Ok(claims);
    }
    let claims = verify()?;
    lock().insert(keys, token, &claims, now);
    Ok(claims)
}

fn finish(
    config: &Config,
    arn: &MethodArn<'_>,
    token: &str,
    verified: Verified,
    simple: bool,
) -> Result<Answer, Denied> {
    // The verified claims beyond our own, decoded once and only when something needs them (a
    // trusted issuer's token has them all already).
    let wants_claims = !config.context_claims.is_empty() || config.usage_identifier_claim.is_some();
    // A trusted issuer's token speaks for `<principal_prefix>|<sub>` with the scopes its entry
    // maps, never for our user of the same `sub` nor with our scopes of the same name.
    let (principal, issuer, scope, all_claims) = match verified {
        Verified::Own(claims) => {
            let all = if wants_claims {
                context::payload(token)
            } else {
                None
            };
            (claims.sub, claims.iss, claims.scope, all)
        }
        Verified::Trusted(trusted) => (
            trusted.principal,
            trusted.issuer,
            trusted.scope,
            Some(trusted.claims),
        ),
    };
    let caller = Caller::Token(scope.as_deref().unwrap_or(""));
    let decision = config
        .route_rules
        .decide(arn, caller)
        .ok_or_else(|| Denied::new(DenyReason::PolicyTooLarge))?;
    if !decision.allowed {
        tracing::debug!(reason = DenyReason::InsufficientScope.code(), sub = %principal, "route not covered by the token's scopes");
    }
    let identity = context::Identity {
        principal: &principal,
        issuer: &issuer,
        scope: scope.as_deref(),
    };
    let context = context::build(&identity, all_claims.as_ref(), &config.context_claims);
    let usage_key = config
        .usage_identifier_claim
        .as_ref()
        .and_then(|name| all_claims.as_ref()?.get(name)?.as_str().map(str::to_owned));
    Ok(answer(simple, principal, decision, context, usage_key))
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
        // docs/authorizer.md on caching with route keys in the identity sources).
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use auth_aws::ConfigLoader;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::trusted::TrustedIssuers;

    const SECRET: &str = "unit-test-secret-0123456789abcdef-0123";

    fn config() -> std::sync::Arc<Config> {
        config_with(&[])
    }

    fn config_with(extra: &[(&str, &str)]) -> std::sync::Arc<Config> {
        let mut vars = HashMap::from([("JWT_SECRET", SECRET), ("TOKEN_AUDIENCE", "api")]);
        vars.extend(extra.iter().copied());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let lookup = |key: &str| vars.get(key).map(|v| (*v).to_owned());
        runtime
            .block_on(ConfigLoader::from_lookup(lookup, None))
            .unwrap()
            .config()
    }

    fn checks() -> Checks {
        // Nothing listens on port 9: any fetch would fail.
        let list = json!([{"issuer": "https://idp.example", "audience": "api",
                           "jwks_uri": "http://127.0.0.1:9/jwks.json"}]);
        Checks {
            trusted: Some(TrustedIssuers::parse(&list.to_string(), "lambda-api", 30).unwrap()),
            revocation: None,
            token_cache: None,
        }
    }

    fn event(iss: &str, kid: Option<&str>) -> AuthorizerEvent {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = json!({"iss": iss, "sub": "alice", "iat": now, "exp": now + 600,
                            "jti": "j", "type": "access", "aud": "api"});
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_owned);
        let token = jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        let event = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"),
                           "methodArn": "arn:aws:execute-api:us-east-1:1:api/dev/GET/me"});
        AuthorizerEvent::from_slice(event.to_string().as_bytes())
    }

    fn decide(checks: &Checks, event: &AuthorizerEvent) -> Result<Answer, Denied> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(authorize_with(&config(), checks, event))
    }

    #[test]
    fn tokens_are_routed_by_their_issuer() {
        let checks = checks();
        // Ours: our key set, as without trusted issuers.
        assert!(decide(&checks, &event("lambda-api", None)).is_ok());
        // Not ours and not trusted: refused before any key is looked for.
        assert_eq!(
            decide(&checks, &event("https://other.example", Some("k1")))
                .unwrap_err()
                .reason
                .code(),
            "untrusted_issuer"
        );
        // Trusted, but its JWKS cannot be fetched (a kid is required before anything is).
        assert_eq!(
            decide(&checks, &event("https://idp.example", None))
                .unwrap_err()
                .reason
                .code(),
            "unknown_kid"
        );
        assert_eq!(
            decide(&checks, &event("https://idp.example", Some("k1")))
                .unwrap_err()
                .reason
                .code(),
            "jwks_unavailable"
        );
        // Without trusted issuers, another issuer is simply the wrong one.
        assert_eq!(
            decide(&Checks::none(), &event("https://other.example", None))
                .unwrap_err()
                .reason
                .code(),
            "wrong_issuer"
        );
    }

    #[test]
    fn the_plain_and_the_checked_paths_agree_without_checks() {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = json!({"iss": "lambda-api", "sub": "alice", "iat": now, "exp": now + 600,
                            "jti": "j", "type": "access", "aud": "api"});
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        let event = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"),
                           "methodArn": "arn:aws:execute-api:us-east-1:1:api/dev/GET/me"});
        let event = AuthorizerEvent::from_slice(event.to_string().as_bytes());
        let plain = serde_json::to_value(authorize(&config(), &event).unwrap()).unwrap();
        let checked = serde_json::to_value(decide(&Checks::none(), &event).unwrap()).unwrap();
        assert_eq!(plain, checked);
        assert_eq!(plain["principalId"], "alice");
    }

    /// Pins what template.yaml says next to the HTTP API authorizer's identity sources: a simple
    /// answer is for the requested path, while API Gateway caches it per identity sources
    /// (`Authorization` + `$context.routeKey`), so under a greedy route key (`ANY /{proxy+}`,
    /// `$default`) one path's answer would be reused for every other path of the route.
    #[test]
    fn a_simple_answer_holds_for_the_requested_path_only_and_a_policy_for_all() {
        let rules = json!({"default": "deny", "rules": [
            {"route": "GET /me", "authenticated": true},
            {"route": "ANY /admin/*", "all_of": ["admin"]}]})
        .to_string();
        let now = jsonwebtoken::get_current_timestamp();
        let claims = json!({"iss": "lambda-api", "sub": "alice", "iat": now, "exp": now + 600,
                            "jti": "j", "type": "access", "aud": "api"});
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        let event = |path: &str| {
            let event = json!({"version": "2.0", "type": "REQUEST", "routeKey": "ANY /{proxy+}",
                "rawPath": path,
                "routeArn": format!("arn:aws:execute-api:us-east-1:1:api/$default/GET{path}"),
                "identitySource": [format!("Bearer {token}")],
                "headers": {"authorization": format!("Bearer {token}")}});
            AuthorizerEvent::from_slice(event.to_string().as_bytes())
        };
        let (me, admin) = (event("/me"), event("/admin/users"));

        // Simple mode: the same route key, two answers. Cached by route key, whichever came
        // first would answer both paths: caching must be off (ReauthorizeEvery: 0) or each
        // route key must fall under one rule.
        let simple = config_with(&[("ROUTE_RULES", &rules), ("AUTHORIZER_RESPONSE", "simple")]);
        let allowed = |event: &AuthorizerEvent| {
            let answer = authorize(&simple, event).unwrap();
            assert!(matches!(answer, Answer::Simple(_)));
            answer.allows_request()
        };
        assert!(allowed(&me));
        assert!(!allowed(&admin));

        // IAM mode: one policy that is right for every path, whichever path it was asked for.
        let iam = config_with(&[("ROUTE_RULES", &rules), ("AUTHORIZER_RESPONSE", "iam")]);
        let policy = |event: &AuthorizerEvent| match authorize(&iam, event).unwrap() {
            Answer::Iam(iam) => serde_json::to_value(iam.policy_document).unwrap(),
            Answer::Simple(_) => panic!("an IAM answer expected"),
        };
        assert_eq!(policy(&me), policy(&admin));
        assert_eq!(
            policy(&admin)["Statement"][1],
            json!({"Action": "execute-api:Invoke", "Effect": "Deny",
                   "Resource": ["arn:aws:execute-api:us-east-1:1:api/$default/*/admin/*"]})
        );
    }

    #[test]
    fn an_asymmetric_token_presented_again_is_served_from_the_token_cache() {
        use auth_core::{Grant, KeyAlgorithm, KeyStatus, generate_jwk};
        let set = json!({"keys": [generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap()]});
        let es256 = config_with(&[("SIGNING_KEYS", &set.to_string())]);
        let grant = Grant {
            sub: "alice",
            client_id: "public",
            scope: None,
            audience: None,
        };
        let now = jsonwebtoken::get_current_timestamp();
        let token = es256
            .issuer
            .as_ref()
            .unwrap()
            .issue_access(&grant, now)
            .unwrap()
            .token;
        let rest = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"),
                          "methodArn": "arn:aws:execute-api:us-east-1:1:api/dev/GET/me"});
        let rest = AuthorizerEvent::from_slice(rest.to_string().as_bytes());
        let checks = Checks::none().with_token_cache(|_| None).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for _ in 0..3 {
            let outcome = runtime.block_on(decide_with(&es256, &checks, &rest));
            assert!(outcome.answer.is_ok() && outcome.refused.is_none());
        }
        let cache = checks.token_cache.as_ref().unwrap();
        assert_eq!(cache.lock().unwrap().take_counts(), (2, 1));

        // An HMAC key set verifies every time: the lookup would cost about as much.
        let hs256 = Checks::none().with_token_cache(|_| None).unwrap();
        let answer = decide(&hs256, &event(&config().tokens.issuer, None));
        assert!(answer.is_ok());
        let cache = hs256.token_cache.as_ref().unwrap();
        assert_eq!(cache.lock().unwrap().take_counts(), (0, 0));
        // TOKEN_CACHE_ENTRIES=0 turns it off; a bad number fails the cold start.
        let off = Checks::none()
            .with_token_cache(|name| (name == "TOKEN_CACHE_ENTRIES").then(|| "0".to_owned()));
        assert!(off.unwrap().token_cache.is_none());
        let bad = Checks::none().with_token_cache(|_| Some("lots".to_owned()));
        assert!(matches!(bad, Err(crate::SetupError::TokenCache { .. })));
    }
}
