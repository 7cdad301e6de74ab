//! What an authorizer answered, checked as API Gateway checks it, and IAM's evaluation of its
//! policy against a method ARN: an explicit Deny wins, then any Allow, else the call is denied.

use auth_core::wildcard_match;
use serde_json::{Map, Value};

/// A well-formed authorizer answer (REST API, IAM policy).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// `principalId`.
    pub principal_id: String,
    /// The statements that concern `execute-api:Invoke`.
    pub statements: Vec<Statement>,
    /// `context`: strings, numbers and booleans only.
    pub context: Map<String, Value>,
}

/// One policy statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Allow` (true) or `Deny` (false).
    pub allow: bool,
    /// Resource ARN patterns, with `*` and `?` wildcards.
    pub resources: Vec<String>,
}

/// The outcome of evaluating a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An Allow statement matches and no Deny does.
    Allow,
    /// A Deny statement matches.
    ExplicitDeny,
    /// Nothing matches.
    ImplicitDeny,
}

impl Answer {
    /// Checks the authorizer's answer; the error says what API Gateway would have refused
    /// (it answers 500 for any of these).
    pub fn parse(value: &Value) -> Result<Self, String> {
        let principal_id = match value.get("principalId") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err("principalId is missing or not a string".to_owned()),
        };
        let document = value
            .get("policyDocument")
            .and_then(Value::as_object)
            .ok_or("policyDocument is missing")?;
        let statements = match document.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => return Err("policyDocument.Statement is missing".to_owned()),
        };
        let mut parsed = Vec::with_capacity(statements.len());
        for statement in statements {
            let allow = match statement.get("Effect").and_then(Value::as_str) {
                Some("Allow") => true,
                Some("Deny") => false,
                _ => return Err("a statement's Effect is neither Allow nor Deny".to_owned()),
            };
            let actions = strings(statement.get("Action"))
                .ok_or("a statement has no Action (NotAction is not supported)")?;
            if !actions.iter().any(|a| covers_invoke(a)) {
                continue;
            }
            let resources = strings(statement.get("Resource"))
                .ok_or("a statement has no Resource (NotResource is not supported)")?;
            parsed.push(Statement { allow, resources });
        }
        let context = match value.get("context") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => {
                // API Gateway refuses context values that are objects, arrays or null.
                if let Some((key, _)) = map.iter().find(|(_, v)| {
                    !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
                }) {
                    return Err(format!("context.{key} is not a string, number or boolean"));
                }
                map.clone()
            }
            Some(_) => return Err("context is not an object".to_owned()),
        };
        Ok(Self {
            principal_id,
            statements: parsed,
            context,
        })
    }

    /// IAM's decision for `method_arn`.
    pub fn evaluate(&self, method_arn: &str) -> Verdict {
        let matching = |allow: bool| {
            self.statements
                .iter()
                .filter(|s| s.allow == allow)
                .flat_map(|s| &s.resources)
                .any(|pattern| wildcard_match(pattern, method_arn))
        };
        if matching(false) {
            Verdict::ExplicitDeny
        } else if matching(true) {
            Verdict::Allow
        } else {
            Verdict::ImplicitDeny
        }
    }

    /// The context as the backend sees it: every value a string, `principalId` added.
    pub fn backend_context(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert(
            "principalId".to_owned(),
            Value::String(self.principal_id.clone()),
        );
        for (key, value) in &self.context {
            // API Gateway (REST) hands context values to the integration as strings.
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.insert(key.clone(), Value::String(text));
        }
        out
    }
}

/// A string or a list of strings.
fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    match value? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// Whether an Action pattern covers `execute-api:Invoke` (actions are case-insensitive).
fn covers_invoke(action: &str) -> bool {
    wildcard_match(&action.to_ascii_lowercase(), "execute-api:invoke")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    const PREFIX: &str = "arn:aws:execute-api:us-east-1:123456789012:local0000a/dev/";

    fn answer(statements: Value) -> Answer {
        Answer::parse(&json!({
            "principalId": "alice",
            "policyDocument": {"Version": "2012-10-17", "Statement": statements},
            "context": {"sub": "alice", "n": 1, "b": true}
        }))
        .unwrap()
    }

    #[test]
    fn resources_match_with_iam_wildcards() {
        let a = answer(json!({"Action": "execute-api:Invoke", "Effect": "Allow",
                              "Resource": [format!("{PREFIX}GET/pets/?"), format!("{PREFIX}*/admin/*")]}));
        assert_eq!(a.evaluate(&format!("{PREFIX}GET/pets/4")), Verdict::Allow);
        assert_eq!(
            a.evaluate(&format!("{PREFIX}GET/pets/42")),
            Verdict::ImplicitDeny
        );
        assert_eq!(
            a.evaluate(&format!("{PREFIX}GET/admin/x/y")),
            Verdict::Allow
        );
    }

    #[test]
    fn an_explicit_deny_wins_over_an_allow() {
        let a = answer(json!([
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [format!("{PREFIX}*")]},
            {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [format!("{PREFIX}*/admin/*")]}
        ]));
        assert_eq!(a.evaluate(&format!("{PREFIX}GET/me")), Verdict::Allow);
        assert_eq!(
            a.evaluate(&format!("{PREFIX}DELETE/admin/users/1")),
            Verdict::ExplicitDeny
        );
    }

    #[test]
    fn nothing_allowed_is_denied() {
        let a = answer(json!({"Action": "execute-api:Invoke", "Effect": "Allow",
                              "Resource": format!("{PREFIX}GET/me")}));
        assert_eq!(
            a.evaluate(&format!("{PREFIX}GET/other")),
            Verdict::ImplicitDeny
        );
    }

    #[test]
    fn statements_for_other_actions_are_ignored() {
        let a = answer(json!([{"Action": "s3:GetObject", "Effect": "Allow", "Resource": "*"}]));
        assert_eq!(
            a.evaluate(&format!("{PREFIX}GET/me")),
            Verdict::ImplicitDeny
        );
        let a = answer(json!([{"Action": "execute-api:*", "Effect": "Allow", "Resource": "*"}]));
        assert_eq!(a.evaluate(&format!("{PREFIX}GET/me")), Verdict::Allow);
    }

    #[test]
    fn the_backend_gets_string_context_values() {
        let a = answer(json!([]));
        assert_eq!(
            Value::Object(a.backend_context()),
            json!({"principalId": "alice", "sub": "alice", "n": "1", "b": "true"})
        );
    }

    #[test]
    fn malformed_answers_are_refused() {
        for bad in [
            json!({}),
            json!({"principalId": "a"}),
            json!({"principalId": "a", "policyDocument": {}}),
            json!({"principalId": "a", "policyDocument": {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}}),
            json!({"principalId": "a", "policyDocument": {"Statement": []}, "context": {"x": {"nested": 1}}}),
            json!({"principalId": "a", "policyDocument": {"Statement": []}, "context": {"x": null}}),
            json!({"isAuthorized": true}),
        ] {
            assert!(Answer::parse(&bad).is_err(), "{bad}");
        }
    }
}
