//! Route rules (`ROUTE_RULES`): which scopes each route needs, compiled into the IAM policy
//! API Gateway caches per token.
//!
//! Semantics, chosen so that the in-process decision and the cached policy can never disagree:
//! a pattern is an IAM resource pattern (`*` and `{param}` match any characters, `/` included;
//! a route cannot hold `?`, so `*` is a compiled pattern's only wildcard);
//! a request is allowed when every rule matching it is satisfied, or, when none matches, when
//! the default allows it. The policy lists Allow for the satisfied rules' patterns (and the
//! whole stage when the default is `authenticated`) and Deny for the unsatisfied ones; IAM's
//! "explicit Deny wins" then gives exactly that rule. The decision for the requested route is
//! computed by evaluating that same policy, with IAM's own matcher ([`wildcard_match`]).

use serde::Deserialize;

use crate::error::RulesError;
use crate::policy::{MethodArn, PolicyDocument, Statement};
use crate::wildcard::wildcard_match;

/// API Gateway refuses resource ARNs longer than this in a policy.
pub const MAX_RESOURCE_CHARS: usize = 512;
/// Budget for the serialized policy: API Gateway's authorizer response is limited (8 KiB in
/// total with the context), and the context gets the rest.
pub const MAX_POLICY_BYTES: usize = 5 * 1024;
const MAX_RULES: usize = 100;
/// A generous length for `arn:aws:execute-api:<region>:<account>:<api>/<stage>/` when checking
/// rules at load time.
const ARN_PREFIX_ESTIMATE: usize = 128;

/// Who is asking: a verified token's scopes, or nobody (no token on a public route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// No token.
    Anonymous,
    /// A valid token with its space-delimited `scope` claim.
    Token(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Public,
    Authenticated,
    AnyOf(Vec<String>),
    AllOf(Vec<String>),
}

impl Requirement {
    fn satisfied_by(&self, caller: Caller<'_>) -> bool {
        let scopes = match caller {
            Caller::Anonymous => return matches!(self, Self::Public),
            Caller::Token(scopes) => scopes,
        };
        let has = |wanted: &String| scopes.split_ascii_whitespace().any(|s| s == wanted);
        match self {
            Self::Public | Self::Authenticated => true,
            Self::AnyOf(wanted) => wanted.iter().any(has),
            Self::AllOf(wanted) => wanted.iter().all(has),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    /// Glob over the part of the method ARN after `<stage>/` (`GET/pets/*`, `$connect`).
    pattern: String,
    requirement: Requirement,
}

/// What the policy is for a caller, and whether it lets the requested route through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The policy to return (and for API Gateway to cache).
    pub policy: PolicyDocument,
    /// Whether the policy allows the route that was asked about.
    pub allowed: bool,
}

/// The compiled rules and the default for routes no rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRules {
    rules: Vec<Rule>,
    /// Whether an unlisted route is open to any valid token (`authenticated`) or denied.
    default_authenticated: bool,
}

impl Default for RouteRules {
    /// No rules: any valid token may call every route of the stage.
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            default_authenticated: true,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    default: DefaultAccess,
    rules: Vec<RuleSpec>,
}

#[derive(Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum DefaultAccess {
    #[default]
    Deny,
    Authenticated,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    route: String,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    authenticated: bool,
    any_of: Option<Vec<String>>,
    all_of: Option<Vec<String>>,
}

impl RouteRules {
    /// Parses `{"default": "deny"|"authenticated", "rules": [{"route": "GET /pets/{id}",
    /// "any_of": ["pets:read"]}, {"route": "ANY /admin/*", "all_of": [...]},
    /// {"route": "GET /health", "public": true}, {"route": "$connect", "authenticated": true}]}`.
    /// The default is `deny`.
    pub fn parse(json: &str) -> Result<Self, RulesError> {
        let file: RulesFile =
            serde_json::from_str(json).map_err(|e| RulesError::Json(e.to_string()))?;
        if file.rules.len() > MAX_RULES {
            return Err(RulesError::Json(format!(
                "at most {MAX_RULES} rules are supported"
            )));
        }
        let mut rules = Vec::with_capacity(file.rules.len());
        let mut budget = 0;
        for spec in file.rules {
            let pattern = compile_route(&spec.route)?;
            let requirement = match (spec.public, spec.authenticated, spec.any_of, spec.all_of) {
                (true, false, None, None) => Requirement::Public,
                (false, true, None, None) => Requirement::Authenticated,
                (false, false, Some(any), None) if !any.is_empty() => Requirement::AnyOf(any),
                (false, false, None, Some(all)) if !all.is_empty() => Requirement::AllOf(all),
                _ => return Err(RulesError::BadRequirement(spec.route)),
            };
            budget += ARN_PREFIX_ESTIMATE + pattern.len() + 4;
            if ARN_PREFIX_ESTIMATE + pattern.len() > MAX_RESOURCE_CHARS || budget > MAX_POLICY_BYTES
            {
                return Err(RulesError::Json(
                    "the rules would not fit in one authorizer policy".into(),
                ));
            }
            rules.push(Rule {
                pattern,
                requirement,
            });
        }
        Ok(Self {
            rules,
            default_authenticated: file.default == DefaultAccess::Authenticated,
        })
    }

    /// The policy for `caller` on this API and stage, and whether it allows `arn`'s route.
    /// `None` when the policy would exceed API Gateway's limits (the caller is then refused:
    /// widening a policy to make it fit is never an option).
    pub fn decide(&self, arn: &MethodArn<'_>, caller: Caller<'_>) -> Option<Decision> {
        let mut allow = Vec::new();
        let mut deny = Vec::new();
        let default_ok = self.default_authenticated && matches!(caller, Caller::Token(_));
        if default_ok {
            allow.push("*");
        }
        for rule in &self.rules {
            if rule.requirement.satisfied_by(caller) {
                allow.push(rule.pattern.as_str());
            } else {
                deny.push(rule.pattern.as_str());
            }
        }
        let allow = merge(allow);
        let deny = merge(deny);
        let allowed = !deny.iter().any(|p| wildcard_match(p, arn.route))
            && allow.iter().any(|p| wildcard_match(p, arn.route));
        let prefix = arn.stage_prefix();
        let resources = |patterns: Vec<&str>| -> Option<Vec<String>> {
            patterns
                .into_iter()
                .map(|p| Some(format!("{prefix}{p}")).filter(|r| r.len() <= MAX_RESOURCE_CHARS))
                .collect()
        };
        let mut statement = Vec::with_capacity(2);
        if !allow.is_empty() {
            statement.push(Statement::new("Allow", resources(allow)?));
        }
        if !deny.is_empty() {
            statement.push(Statement::new("Deny", resources(deny)?));
        }
        if statement.is_empty() {
            statement.push(Statement::new("Deny", vec![format!("{prefix}*")]));
        }
        let size: usize = statement
            .iter()
            .flat_map(|s| &s.resource)
            .map(|r| r.len() + 3)
            .sum();
        if size > MAX_POLICY_BYTES {
            return None;
        }
        Some(Decision {
            policy: PolicyDocument {
                version: "2012-10-17",
                statement,
            },
            allowed,
        })
    }

    /// Whether a request without a token may reach `arn`'s route (it is public).
    pub fn is_public(&self, arn: &MethodArn<'_>) -> bool {
        let mut matching = self
            .rules
            .iter()
            .filter(|r| wildcard_match(&r.pattern, arn.route))
            .peekable();
        matching.peek().is_some() && matching.all(|r| r.requirement == Requirement::Public)
    }
}

/// `GET /pets/{id}` -> `GET/pets/*`; `ANY /admin/*` -> `*/admin/*`; `$connect` -> `$connect`.
fn compile_route(route: &str) -> Result<String, RulesError> {
    let bad = || RulesError::BadRoute(route.to_owned());
    let route_key_char =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'$' | b'_' | b'-' | b'.');
    let Some((method, path)) = route.trim().split_once(' ') else {
        // A WebSocket route key.
        return if !route.is_empty() && route.bytes().all(route_key_char) {
            Ok(route.to_owned())
        } else {
            Err(bad())
        };
    };
    let method = match method.to_ascii_uppercase().as_str() {
        "ANY" => "*".to_owned(),
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m.to_owned(),
        _ => return Err(bad()),
    };
    let path = path.trim();
    if !path.starts_with('/') {
        return Err(bad());
    }
    let mut pattern = method;
    pattern.push('/');
    for (i, segment) in path.trim_start_matches('/').split('/').enumerate() {
        if i > 0 {
            pattern.push('/');
        }
        if segment == "*"
            || (segment.starts_with('{') && segment.ends_with('}') && segment.len() > 2)
        {
            pattern.push('*');
        } else if segment.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'.' | b'_' | b'~' | b'$' | b'@' | b':' | b'+' | b','
                )
        }) {
            pattern.push_str(segment);
        } else {
            return Err(bad());
        }
    }
    Ok(pattern)
}

/// Dedupes and drops patterns covered by a `prefix*` pattern of the same list.
fn merge(mut patterns: Vec<&str>) -> Vec<&str> {
    patterns.sort_unstable();
    patterns.dedup();
    let covering: Vec<&str> = patterns
        .iter()
        .filter_map(|p| p.strip_suffix('*').filter(|prefix| !prefix.contains('*')))
        .collect();
    patterns.retain(|p| {
        !covering
            .iter()
            .any(|prefix| p.strip_prefix(prefix).is_some_and(|rest| rest != "*"))
    });
    patterns
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"{"default": "deny", "rules": [
        {"route": "GET /pets/{id}", "any_of": ["pets:read", "pets:admin"]},
        {"route": "POST /pets", "all_of": ["pets:write", "pets:read"]},
        {"route": "ANY /admin/*", "all_of": ["admin"]},
        {"route": "GET /health", "public": true},
        {"route": "GET /me", "authenticated": true}
    ]}"#;

    fn arn(route: &str) -> MethodArn<'_> {
        MethodArn::parse_route("aws", "us-east-1", "123456789012", "api", "prod", route)
    }

    fn allowed(rules: &RouteRules, route: &str, caller: Caller<'_>) -> bool {
        rules.decide(&arn(route), caller).unwrap().allowed
    }

    #[test]
    fn routes_compile_to_iam_patterns() {
        assert_eq!(compile_route("GET /pets/{id}").unwrap(), "GET/pets/*");
        assert_eq!(compile_route("ANY /admin/*").unwrap(), "*/admin/*");
        assert_eq!(compile_route("get /").unwrap(), "GET/");
        assert_eq!(compile_route("$connect").unwrap(), "$connect");
        for bad in [
            "FETCH /x",
            "GET pets",
            "GET /a?b",
            "GET /a b",
            "",
            "GET /a/*x",
        ] {
            assert!(compile_route(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_decide_each_route() {
        let rules = RouteRules::parse(RULES).unwrap();
        let reader = Caller::Token("openid pets:read");
        assert!(allowed(&rules, "GET/pets/7", reader));
        assert!(!allowed(&rules, "POST/pets", reader));
        assert!(allowed(
            &rules,
            "POST/pets",
            Caller::Token("pets:write pets:read")
        ));
        assert!(!allowed(&rules, "DELETE/admin/users/1", reader));
        assert!(allowed(
            &rules,
            "DELETE/admin/users/1",
            Caller::Token("admin")
        ));
        assert!(allowed(&rules, "GET/me", Caller::Token("")));
        assert!(
            !allowed(&rules, "GET/unlisted", reader),
            "the default is deny"
        );
    }

    #[test]
    fn one_policy_is_right_for_every_route() {
        let rules = RouteRules::parse(RULES).unwrap();
        let decision = rules
            .decide(&arn("GET/pets/7"), Caller::Token("pets:read"))
            .unwrap();
        let allow = &decision.policy.statement[0];
        let deny = &decision.policy.statement[1];
        assert_eq!(allow.effect, "Allow");
        let p = "arn:aws:execute-api:us-east-1:123456789012:api/prod/";
        assert_eq!(
            allow.resource,
            vec![
                format!("{p}GET/health"),
                format!("{p}GET/me"),
                format!("{p}GET/pets/*")
            ]
        );
        assert_eq!(deny.effect, "Deny");
        assert_eq!(
            deny.resource,
            vec![format!("{p}*/admin/*"), format!("{p}POST/pets")]
        );
    }

    #[test]
    fn authenticated_default_allows_the_stage_but_denies_unmet_rules() {
        let rules = RouteRules::parse(&RULES.replace("\"deny\"", "\"authenticated\"")).unwrap();
        let caller = Caller::Token("");
        assert!(allowed(&rules, "GET/unlisted/thing", caller));
        assert!(!allowed(&rules, "GET/pets/1", caller));
        let decision = rules.decide(&arn("GET/x"), caller).unwrap();
        assert_eq!(
            decision.policy.statement[0].resource,
            vec!["arn:aws:execute-api:us-east-1:123456789012:api/prod/*"]
        );
    }

    #[test]
    fn every_matching_rule_must_hold() {
        let rules = RouteRules::parse(
            r#"{"rules": [{"route": "GET /pets/{id}", "any_of": ["read"]}, {"route": "ANY /pets/*", "all_of": ["vip"]}]}"#,
        )
        .unwrap();
        assert!(!allowed(&rules, "GET/pets/1", Caller::Token("read")));
        assert!(allowed(&rules, "GET/pets/1", Caller::Token("read vip")));
    }

    #[test]
    fn anonymous_callers_reach_public_routes_only() {
        let rules = RouteRules::parse(RULES).unwrap();
        assert!(rules.is_public(&arn("GET/health")));
        assert!(!rules.is_public(&arn("GET/me")));
        assert!(!rules.is_public(&arn("GET/unlisted")));
        assert!(allowed(&rules, "GET/health", Caller::Anonymous));
        assert!(!allowed(&rules, "GET/me", Caller::Anonymous));
    }

    #[test]
    fn websocket_route_keys_match_exactly() {
        let rules =
            RouteRules::parse(r#"{"rules": [{"route": "$connect", "any_of": ["chat"]}]}"#).unwrap();
        assert!(allowed(&rules, "$connect", Caller::Token("chat")));
        assert!(!allowed(&rules, "$connect", Caller::Token("other")));
    }

    #[test]
    fn no_rules_means_any_valid_token_everywhere() {
        let rules = RouteRules::default();
        assert!(allowed(&rules, "GET/anything", Caller::Token("")));
        assert!(!allowed(&rules, "GET/anything", Caller::Anonymous));
    }

    #[test]
    fn malformed_rule_files_are_refused() {
        for bad in [
            "[]",
            r#"{"rules": [{"route": "GET /x"}]}"#,
            r#"{"rules": [{"route": "GET /x", "public": true, "any_of": ["a"]}]}"#,
            r#"{"rules": [{"route": "GET /x", "any_of": []}]}"#,
            r#"{"rules": [{"route": "GET /x", "scopes": ["a"]}]}"#,
            r#"{"default": "allow", "rules": []}"#,
        ] {
            assert!(RouteRules::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn covered_patterns_are_merged() {
        assert_eq!(
            merge(vec!["GET/pets/*", "GET/pets/1", "*", "GET/pets/*"]),
            vec!["*"]
        );
        assert_eq!(
            merge(vec!["GET/pets/*", "GET/pets/1", "POST/x"]),
            vec!["GET/pets/*", "POST/x"]
        );
    }
}
