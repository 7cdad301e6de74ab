//! The context handed to backends: `sub`, `iss`, `scope` and the claims named in
//! `CONTEXT_CLAIMS`, flattened to what API Gateway accepts (strings, numbers, booleans) and kept
//! small.
//!
//! `sub` is the principal (a trusted issuer's is `<principal_prefix>|<sub>`), `iss` the token's
//! issuer and `scope` our scopes (a trusted issuer's as its `scopes` maps them): `CONTEXT_CLAIMS`
//! can never replace these with the token's raw claims, nor set `anonymous`.

use auth_core::AuthorizerContext;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// A context value longer than this is left out (and logged).
const MAX_VALUE_BYTES: usize = 1024;
/// The whole context stays under this, leaving the rest of the response budget to the policy.
const MAX_CONTEXT_BYTES: usize = 2 * 1024;
/// Keys only the authorizer writes: a claim of the same name is never copied over them.
const RESERVED: [&str; 4] = ["sub", "iss", "scope", "anonymous"];

/// Who a verified token speaks for, in our terms.
pub struct Identity<'a> {
    /// The principal: our `sub`, or a trusted issuer's `<principal_prefix>|<sub>`.
    pub principal: &'a str,
    /// The token's issuer.
    pub issuer: &'a str,
    /// Our scopes, space-delimited.
    pub scope: Option<&'a str>,
}

/// `sub`, `iss`, `scope` and the configured claims (`all`: every claim of the verified token).
pub fn build(
    identity: &Identity<'_>,
    all: Option<&Map<String, Value>>,
    extra: &[String],
) -> AuthorizerContext {
    let mut context = AuthorizerContext::new();
    context.insert(
        "sub".to_owned(),
        Value::String(identity.principal.to_owned()),
    );
    context.insert("iss".to_owned(), Value::String(identity.issuer.to_owned()));
    if let Some(scope) = identity.scope {
        context.insert("scope".to_owned(), Value::String(scope.to_owned()));
    }
    let Some(all) = all.filter(|_| !extra.is_empty()) else {
        return context;
    };
    let mut size: usize = context
        .iter()
        .map(|(k, v)| k.len() + v.to_string().len() + 4)
        .sum();
    for name in extra {
        if RESERVED.contains(&name.as_str()) || context.contains_key(name) {
            continue;
        }
        let Some(value) = all.get(name).and_then(flatten) else {
            continue;
        };
        let cost = name.len() + value.to_string().len() + 4;
        if cost > MAX_VALUE_BYTES || size + cost > MAX_CONTEXT_BYTES {
            tracing::info!(claim = %name, "claim left out of the context: too large");
            continue;
        }
        size += cost;
        context.insert(name.clone(), value);
    }
    context
}

/// A claim's value as API Gateway accepts it: arrays joined with commas, objects as JSON text,
/// null left out.
pub fn flatten(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(value.clone()),
        Value::Array(items) => Some(Value::String(
            items
                .iter()
                .map(|item| match item {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
        )),
        Value::Object(_) => Some(Value::String(value.to_string())),
    }
}

/// The claims of a token whose signature has already been verified.
pub fn payload(token: &str) -> Option<Map<String, Value>> {
    let encoded = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn claims_never_replace_the_identity_keys() {
        let claims = json!({"sub": "alice", "iss": "https://idp", "scope": "admin",
                            "anonymous": true, "username": "al"});
        let identity = Identity {
            principal: "idp|alice",
            issuer: "https://idp",
            scope: None,
        };
        let extra: Vec<String> = ["sub", "iss", "scope", "anonymous", "username"]
            .map(str::to_owned)
            .to_vec();
        let context = build(&identity, claims.as_object(), &extra);
        // Without a mapped scope there is no `scope` at all, not the token's own.
        assert_eq!(
            Value::Object(context),
            json!({"sub": "idp|alice", "iss": "https://idp", "username": "al"})
        );
    }

    #[test]
    fn values_are_flattened() {
        assert_eq!(flatten(&json!(["a", "b", 3])), Some(json!("a,b,3")));
        assert_eq!(flatten(&json!({"k": 1})), Some(json!("{\"k\":1}")));
        assert_eq!(flatten(&json!(true)), Some(json!(true)));
        assert_eq!(flatten(&json!(12)), Some(json!(12)));
        assert_eq!(flatten(&json!(null)), None);
    }
}
