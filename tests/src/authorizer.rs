//! What tests ask the built `authorizer`: its answer to the REST TOKEN sample event
//! (`events/authorizer/rest-token.json`) carrying a token, whether that answer allows, and what.

use serde_json::Value;

use crate::requests::with_token;
use crate::runtime_api::Function;

/// The authorizer's policy for `token`; `None` when it refused (`Unauthorized`, which API
/// Gateway answers with 401). Panics on any other error.
pub fn answer(authorizer: &Function, token: &str) -> Option<Value> {
    let outcome = authorizer.invoke(&with_token("authorizer/rest-token.json", token));
    if outcome.is_unauthorized() {
        return None;
    }
    Some(outcome.response())
}

/// Whether the policy's (first) statement allows.
pub fn allows(policy: &Value) -> bool {
    policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
}

/// Whether the authorizer allows `token`.
pub fn allowed(authorizer: &Function, token: &str) -> bool {
    answer(authorizer, token).is_some_and(|policy| allows(&policy))
}

/// The resources of every statement of the policy with `effect` (`Allow` or `Deny`), in order.
pub fn resources(policy: &Value, effect: &str) -> Vec<String> {
    policy["policyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == effect)
        .flat_map(|s| s["Resource"].as_array().unwrap().clone())
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}
