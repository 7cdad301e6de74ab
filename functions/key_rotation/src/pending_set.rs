//! testSecret's checks of the pending key set, against itself and against the current set:
//! the pending set must sign, its tokens must verify with the set every running function holds
//! now (so they are accepted the moment finishSecret makes it current), and the tokens of the
//! current signing key must verify with it (so tokens in flight survive the rotation).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{Grant, KeySet, TokenIssuer, TokenSettings, Verifier};

use crate::error::RotationError;

/// The grant of the test tokens (never leave the function).
const TEST_GRANT: Grant<'static> = Grant {
    sub: "rotation-test",
    client_id: "key_rotation",
    scope: None,
    audience: None,
};

/// Checks the pending key set (`pending`, the AWSPENDING text) against itself and, when the
/// current text holds a usable key set, against that. On success, the pending set's
/// [`key_list`].
pub fn check_pending(pending: &str, current: &str) -> Result<String, RotationError> {
    let settings = TokenSettings::default();
    // The verifier reads the wall clock for `exp`, so the test tokens are issued on it too.
    let now = wall_clock();
    let pending = Arc::new(KeySet::from_json(pending).map_err(RotationError::PendingKeySet)?);
    let issuer =
        TokenIssuer::new(Arc::clone(&pending), &settings).map_err(RotationError::PendingKeySet)?;
    let token = issuer
        .issue_access(&TEST_GRANT, now)
        .map_err(|err| failed("signing with the pending set's active key", err))?;
    let verifier = Verifier::new(Arc::clone(&pending), &settings);
    verifier
        .verify_access_at(&token.token, now)
        .map_err(|err| failed("verifying a token of the pending set with that set", err))?;
    if let Ok(current) = KeySet::from_json(current) {
        let current = Arc::new(current);
        Verifier::new(Arc::clone(&current), &settings)
            .verify_access_at(&token.token, now)
            .map_err(|err| {
                failed(
                    "the pending set's active key is not in the current set (running functions \
                     would refuse its tokens)",
                    err,
                )
            })?;
        // A current set without private keys signs nothing, so no token of it is in flight.
        if let Ok(current_issuer) = TokenIssuer::new(current, &settings) {
            let old = current_issuer
                .issue_access(&TEST_GRANT, now)
                .map_err(|err| failed("signing with the current set's active key", err))?;
            verifier.verify_access_at(&old.token, now).map_err(|err| {
                failed(
                    "tokens of the current set's active key would not verify with the \
                         pending set",
                    err,
                )
            })?;
        }
    }
    Ok(key_list(&pending))
}

/// `kid:status` of every key, comma-separated: what the log says about a set (never more).
pub fn key_list(keys: &KeySet) -> String {
    keys.keys()
        .iter()
        .map(|key| format!("{}:{}", key.kid().unwrap_or("-"), key.status().name()))
        .collect::<Vec<_>>()
        .join(",")
}

fn failed(check: &'static str, err: impl std::fmt::Display) -> RotationError {
    RotationError::TestFailed {
        check,
        reason: err.to_string(),
    }
}

fn wall_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::{KeyAlgorithm, RotationSettings, rotate_key_set};
    use serde_json::{Value, json};

    const NOW: u64 = 1_764_000_000;

    fn rotate(text: &str) -> String {
        rotate_key_set(text, &RotationSettings::default(), NOW).unwrap()
    }

    #[test]
    fn each_rotation_of_a_cycle_passes() {
        let mut current = r#"{"keys":[]}"#.to_owned();
        for _ in 0..4 {
            let pending = rotate(&current);
            check_pending(&pending, &current).unwrap();
            current = pending;
        }
    }

    #[test]
    fn a_broken_pending_set_fails() {
        let current = rotate(r#"{"keys":[]}"#);
        for broken in ["", "{}", r#"{"keys":[]}"#, "not json"] {
            assert!(matches!(
                check_pending(broken, &current),
                Err(RotationError::PendingKeySet(_))
            ));
        }
    }

    #[test]
    fn a_pending_set_without_private_keys_fails() {
        let current = rotate(r#"{"keys":[]}"#);
        let public = KeySet::from_json(&current).unwrap().public_jwks();
        let mut public: Value = public;
        public["keys"][0]["status"] = "active".into();
        assert!(matches!(
            check_pending(&public.to_string(), &current),
            Err(RotationError::PendingKeySet(_))
        ));
    }

    #[test]
    fn a_signing_key_unknown_to_the_current_set_fails() {
        // Promoting a key that was never published: running verifiers would refuse its tokens.
        let current = rotate(r#"{"keys":[]}"#);
        let jwk =
            auth_core::generate_jwk(KeyAlgorithm::ES256, auth_core::KeyStatus::Active).unwrap();
        let mut old: Value = serde_json::from_str(&current).unwrap();
        old["keys"][0]["status"] = "retired".into();
        let pending = json!({"keys": [old["keys"][0].clone(), jwk]}).to_string();
        assert!(matches!(
            check_pending(&pending, &current),
            Err(RotationError::TestFailed { .. })
        ));
    }

    #[test]
    fn dropping_the_current_signing_key_fails() {
        let current = rotate(&rotate(r#"{"keys":[]}"#));
        let mut next: Value = serde_json::from_str(&rotate(&current)).unwrap();
        // Remove the key that signs today's tokens (retired by the rotation).
        next["keys"].as_array_mut().unwrap().remove(0);
        assert!(matches!(
            check_pending(&next.to_string(), &current),
            Err(RotationError::TestFailed { .. })
        ));
    }

    #[test]
    fn the_key_list_has_kids_and_statuses_only() {
        let text = rotate(&rotate(r#"{"keys":[]}"#));
        let doc: Value = serde_json::from_str(&text).unwrap();
        let list = key_list(&KeySet::from_json(&text).unwrap());
        let (a, b) = (
            doc["keys"][0]["kid"].as_str().unwrap(),
            doc["keys"][1]["kid"].as_str().unwrap(),
        );
        assert_eq!(list, format!("{a}:active,{b}:pending"));
        assert!(!list.contains(doc["keys"][0]["d"].as_str().unwrap()));
    }
}
