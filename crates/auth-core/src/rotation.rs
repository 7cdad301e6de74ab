//! Rotating a stored key set: the transitions that move keys through `pending`, `active` and
//! `retired`, applied by Secrets Manager's rotation function (`functions/key_rotation`) and by
//! hand (`authctl keys`), so a set rotated either way can be rotated on by the other.
//!
//! Each function takes the stored JWK Set document (`{"keys": [...]}`, private members and all)
//! and returns the next one. Only `status`, `retired_at` and `created_at` are written; members
//! this crate does not know, on the document or on a key, are kept as they are. Every document
//! returned that holds a key loads with [`KeySet::from_json`] (exactly one active key, every key
//! well-formed), or the function fails and nothing is to be stored.
//!
//! One rotation ([`rotate_key_set`]) is: prune, promote, add. The key that becomes active at a
//! rotation was added as `pending` at the previous one, so every verifier has had it (published
//! in the JWKS and accepted) for a whole rotation period before the first token it signs:
//!
//! | rotation | before | after |
//! | --- | --- | --- |
//! | 1st (empty secret) | no key | A active (nothing was signed yet, so it signs at once) |
//! | 2nd | A active | A active, B pending |
//! | 3rd | A active, B pending | A retired, B active, C pending |
//! | nth | retired keys older than `retire_after_secs` | dropped |

use serde_json::{Map, Value, json};

use crate::error::KeyError;
use crate::keyset::{KeyAlgorithm, KeySet, KeyStatus, generate_jwk};

/// Default of [`RotationSettings::retire_after_secs`]: 31 days, far beyond the longest life of a
/// signed token (an access token: ACCESS_TOKEN_TTL, at most a day; refresh tokens are opaque and
/// signed by no key), so a retired key outlives everything it signed.
pub const DEFAULT_RETIRE_AFTER_SECS: u64 = 2_678_400;

/// How a rotation makes the next key set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationSettings {
    /// Algorithm of the keys added. Default ES256.
    pub algorithm: KeyAlgorithm,
    /// Seconds a retired key stays in the set (verifying) before it is pruned. It must be at
    /// least the longest lifetime of an access token (ACCESS_TOKEN_TTL), or tokens it signed
    /// stop verifying before they expire. Default [`DEFAULT_RETIRE_AFTER_SECS`].
    pub retire_after_secs: u64,
}

impl Default for RotationSettings {
    fn default() -> Self {
        Self {
            algorithm: KeyAlgorithm::ES256,
            retire_after_secs: DEFAULT_RETIRE_AFTER_SECS,
        }
    }
}

/// The stored text as a document. Text that holds no key set at all (empty, not JSON, or JSON
/// that is not an object: a secret as first created) is the empty set `{"keys": []}`, so the
/// first rotation starts one; a JSON object is returned as it is, for the functions to judge.
pub fn parse_document(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(doc @ Value::Object(_)) => doc,
        _ => json!({ "keys": [] }),
    }
}

/// The next key set of one rotation: [`prune_retired`], then [`promote_pending`], then
/// [`add_pending`], from the stored text to the text to store.
pub fn rotate_key_set(
    current: &str,
    settings: &RotationSettings,
    now: u64,
) -> Result<String, KeyError> {
    let doc = prune_retired(parse_document(current), now, settings.retire_after_secs)?;
    let doc = promote_pending(doc, now)?;
    let doc = add_pending(doc, settings.algorithm, now)?;
    Ok(doc.to_string())
}

/// Adds a new `pending` key of `alg` (with `created_at: now`), published and verifying but not
/// signing yet. Idempotent: a set that already has a pending key is returned as it is. A
/// document without any key gets an `active` key instead, since nothing can have been signed.
pub fn add_pending(mut doc: Value, alg: KeyAlgorithm, now: u64) -> Result<Value, KeyError> {
    let keys = keys_mut(&mut doc, true)?.ok_or(KeyError::NotAKeySet)?;
    normalize(keys);
    if keys.iter().any(|k| status(k) == Some(KeyStatus::Pending)) {
        return checked(doc);
    }
    let status = if keys.is_empty() {
        KeyStatus::Active
    } else {
        KeyStatus::Pending
    };
    let mut jwk = generate_jwk(alg, status)?;
    if let Some(members) = jwk.as_object_mut() {
        members.insert("created_at".into(), now.into());
    }
    keys.push(jwk);
    checked(doc)
}

/// Makes the pending key active and retires the active key (`retired_at: now`). Idempotent: a
/// set without a pending key (or without any key) is returned as it is. With several pending
/// keys (only ever made by hand), the first one in the set is promoted.
pub fn promote_pending(mut doc: Value, now: u64) -> Result<Value, KeyError> {
    let Some(keys) = keys_mut(&mut doc, false)?.filter(|keys| !keys.is_empty()) else {
        return Ok(doc);
    };
    normalize(keys);
    let Some(promoted) = keys
        .iter()
        .position(|k| status(k) == Some(KeyStatus::Pending))
    else {
        return checked(doc);
    };
    for (index, key) in keys.iter_mut().enumerate() {
        let Some(members) = key.as_object_mut() else {
            continue;
        };
        if index == promoted {
            set_status(members, KeyStatus::Active);
        } else if status_of(members) == Some(KeyStatus::Active) {
            set_status(members, KeyStatus::Retired);
            members.insert("retired_at".into(), now.into());
        }
    }
    checked(doc)
}

/// Drops the retired keys whose `retired_at + retire_after_secs <= now`: every token they signed
/// has expired, provided `retire_after_secs` is at least the longest token lifetime. Retired
/// keys without a (numeric) `retired_at` are kept: when they retired is unknown.
pub fn prune_retired(mut doc: Value, now: u64, retire_after_secs: u64) -> Result<Value, KeyError> {
    let Some(keys) = keys_mut(&mut doc, false)?.filter(|keys| !keys.is_empty()) else {
        return Ok(doc);
    };
    normalize(keys);
    keys.retain(|key| {
        let retired_at = key.get("retired_at").and_then(Value::as_u64);
        match (status(key), retired_at) {
            (Some(KeyStatus::Retired), Some(at)) => at.saturating_add(retire_after_secs) > now,
            _ => true,
        }
    });
    checked(doc)
}

/// The `keys` array of the document; `None` when it has none (and `create` is false).
fn keys_mut(doc: &mut Value, create: bool) -> Result<Option<&mut Vec<Value>>, KeyError> {
    let members = doc.as_object_mut().ok_or(KeyError::NotAKeySet)?;
    if create && !members.contains_key("keys") {
        members.insert("keys".into(), Value::Array(Vec::new()));
    }
    match members.get_mut("keys") {
        None => Ok(None),
        Some(Value::Array(keys)) => Ok(Some(keys)),
        Some(_) => Err(KeyError::NotAKeySet),
    }
}

/// Writes out the statuses [`KeySet::from_json`] gives keys without one (the first key of a set
/// without any `status` is active, every other such key retired), so that adding a key with a
/// status does not change what the others are.
fn normalize(keys: &mut [Value]) {
    let any_status = keys.iter().any(|k| k.get("status").is_some());
    for (index, key) in keys.iter_mut().enumerate() {
        let Some(members) = key.as_object_mut() else {
            continue;
        };
        if !members.contains_key("status") {
            let implied = if !any_status && index == 0 {
                KeyStatus::Active
            } else {
                KeyStatus::Retired
            };
            set_status(members, implied);
        }
    }
}

fn status(key: &Value) -> Option<KeyStatus> {
    key.as_object().and_then(status_of)
}

fn status_of(members: &Map<String, Value>) -> Option<KeyStatus> {
    members
        .get("status")
        .and_then(Value::as_str)
        .and_then(KeyStatus::parse)
}

fn set_status(members: &mut Map<String, Value>, status: KeyStatus) {
    members.insert("status".into(), status.name().into());
}

/// `doc`, once it loads as a key set.
fn checked(doc: Value) -> Result<Value, KeyError> {
    KeySet::from_json(&doc.to_string())?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_764_000_000;
    const DAY: u64 = 86_400;

    fn kids_by_status(doc: &Value) -> Vec<(String, String)> {
        doc["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["kid"].as_str().unwrap().to_owned(),
                    k["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn statuses(doc: &Value) -> Vec<String> {
        kids_by_status(doc).into_iter().map(|(_, s)| s).collect()
    }

    fn one_active() -> Value {
        add_pending(json!({"keys": []}), KeyAlgorithm::ES256, T0).unwrap()
    }

    fn loads(doc: &Value) -> KeySet {
        KeySet::from_json(&doc.to_string()).unwrap()
    }

    #[test]
    fn a_document_without_keys_gets_an_active_key() {
        for doc in [
            json!({"keys": []}),
            json!({}),
            parse_document(""),
            parse_document("not json"),
            parse_document("[1, 2]"),
        ] {
            let next = add_pending(doc, KeyAlgorithm::ES256, T0).unwrap();
            assert_eq!(statuses(&next), ["active"]);
            assert_eq!(next["keys"][0]["created_at"], T0);
            loads(&next);
        }
    }

    #[test]
    fn add_pending_appends_a_pending_key() {
        let set = one_active();
        let next = add_pending(set.clone(), KeyAlgorithm::EdDSA, T0 + DAY).unwrap();
        assert_eq!(statuses(&next), ["active", "pending"]);
        assert_eq!(
            next["keys"][0], set["keys"][0],
            "the active key is untouched"
        );
        assert_eq!(next["keys"][1]["alg"], "EdDSA");
        assert_eq!(next["keys"][1]["created_at"], T0 + DAY);
        let keys = loads(&next);
        assert_eq!(keys.active().unwrap().kid(), set["keys"][0]["kid"].as_str());
    }

    #[test]
    fn add_pending_is_idempotent() {
        let once = add_pending(one_active(), KeyAlgorithm::ES256, T0).unwrap();
        let twice = add_pending(once.clone(), KeyAlgorithm::ES256, T0 + 1).unwrap();
        assert_eq!(once, twice);
    }

    #[test]
    fn promote_pending_activates_the_pending_key_and_retires_the_active_one() {
        let set = add_pending(one_active(), KeyAlgorithm::ES256, T0).unwrap();
        let (old, new) = (set["keys"][0]["kid"].clone(), set["keys"][1]["kid"].clone());
        let next = promote_pending(set, T0 + 30 * DAY).unwrap();
        assert_eq!(statuses(&next), ["retired", "active"]);
        assert_eq!(next["keys"][0]["kid"], old);
        assert_eq!(next["keys"][0]["retired_at"], T0 + 30 * DAY);
        assert_eq!(next["keys"][1]["kid"], new);
        assert!(next["keys"][1].get("retired_at").is_none());
        assert_eq!(loads(&next).active().unwrap().kid(), new.as_str());
    }

    #[test]
    fn promote_pending_is_idempotent() {
        let set = add_pending(one_active(), KeyAlgorithm::ES256, T0).unwrap();
        let once = promote_pending(set, T0 + DAY).unwrap();
        let twice = promote_pending(once.clone(), T0 + 2 * DAY).unwrap();
        assert_eq!(
            once, twice,
            "no pending key: nothing changes, retired_at included"
        );
        let lone = one_active();
        assert_eq!(promote_pending(lone.clone(), T0).unwrap(), lone);
        let empty = json!({"keys": []});
        assert_eq!(promote_pending(empty.clone(), T0).unwrap(), empty);
    }

    #[test]
    fn prune_drops_keys_retired_at_least_retire_after_ago() {
        let mut doc = one_active();
        for (kid, retired_at) in [
            ("old", Some(T0 - 100)),
            ("edge", Some(T0)),
            ("new", Some(T0 + 1)),
            ("undated", None),
        ] {
            let mut key = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Retired).unwrap();
            key["kid"] = kid.into();
            if let Some(at) = retired_at {
                key["retired_at"] = at.into();
            }
            doc["keys"].as_array_mut().unwrap().push(key);
        }
        let pruned = prune_retired(doc, T0 + 1000, 1000).unwrap();
        let kids: Vec<String> = kids_by_status(&pruned)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(kids.len(), 3);
        assert!(!kids.contains(&"old".to_owned()));
        assert!(
            !kids.contains(&"edge".to_owned()),
            "retired_at + retire_after == now is expired"
        );
        assert!(kids.contains(&"new".to_owned()));
        assert!(kids.contains(&"undated".to_owned()));
        let again = prune_retired(pruned.clone(), T0 + 1000, 1000).unwrap();
        assert_eq!(again, pruned, "idempotent");
    }

    #[test]
    fn prune_never_drops_the_active_or_pending_key() {
        let set = add_pending(one_active(), KeyAlgorithm::ES256, 0).unwrap();
        let pruned = prune_retired(set.clone(), u64::MAX, 0).unwrap();
        assert_eq!(pruned, set);
    }

    #[test]
    fn unknown_members_are_kept() {
        let mut set = one_active();
        set["comment"] = "managed by key_rotation".into();
        set["keys"][0]["x-owner"] = "team-a".into();
        let next = add_pending(set, KeyAlgorithm::ES256, T0).unwrap();
        let next = promote_pending(next, T0 + DAY).unwrap();
        let next = prune_retired(next, T0 + 2 * DAY, DAY).unwrap();
        assert_eq!(next["comment"], "managed by key_rotation");
        assert_eq!(statuses(&next), ["active"]);
        let next = add_pending(next, KeyAlgorithm::ES256, T0).unwrap();
        assert_eq!(next["comment"], "managed by key_rotation");
        // The key with x-owner was retired at T0 + DAY and pruned at T0 + 2 DAY.
        assert!(
            next["keys"]
                .as_array()
                .unwrap()
                .iter()
                .all(|k| k.get("x-owner").is_none())
        );
        let mut set = one_active();
        set["keys"][0]["x-owner"] = "team-a".into();
        let next = promote_pending(add_pending(set, KeyAlgorithm::ES256, T0).unwrap(), T0).unwrap();
        assert_eq!(next["keys"][0]["x-owner"], "team-a");
    }

    #[test]
    fn a_set_without_statuses_keeps_its_meaning() {
        let mut a = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        let mut b = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        a.as_object_mut().unwrap().remove("status");
        b.as_object_mut().unwrap().remove("status");
        let doc = json!({"keys": [a.clone(), b]});
        let next = add_pending(doc, KeyAlgorithm::ES256, T0).unwrap();
        assert_eq!(statuses(&next), ["active", "retired", "pending"]);
        assert_eq!(loads(&next).active().unwrap().kid(), a["kid"].as_str());
        assert!(next["keys"][1].get("retired_at").is_none());
    }

    #[test]
    fn broken_sets_are_refused() {
        let a = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        let b = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        let two_active = json!({"keys": [a, b]});
        assert!(matches!(
            add_pending(two_active.clone(), KeyAlgorithm::ES256, T0),
            Err(KeyError::ActiveCount(2))
        ));
        assert!(promote_pending(two_active.clone(), T0).is_err());
        assert!(prune_retired(two_active, T0, 0).is_err());
        let not_a_list = json!({"keys": "none"});
        assert!(matches!(
            add_pending(not_a_list.clone(), KeyAlgorithm::ES256, T0),
            Err(KeyError::NotAKeySet)
        ));
        assert!(promote_pending(not_a_list, T0).is_err());
        assert!(add_pending(json!([]), KeyAlgorithm::ES256, T0).is_err());
        assert!(matches!(
            rotate_key_set(
                r#"{"keys": [{"kid": "x"}]}"#,
                &RotationSettings::default(),
                T0
            ),
            Err(KeyError::MissingMember(_))
        ));
    }

    #[test]
    fn a_full_cycle_of_rotations() {
        let settings = RotationSettings {
            algorithm: KeyAlgorithm::ES256,
            retire_after_secs: 31 * DAY,
        };
        let rotate = |text: &str, now: u64| -> Value {
            let next = rotate_key_set(text, &settings, now).unwrap();
            KeySet::from_json(&next).unwrap();
            serde_json::from_str(&next).unwrap()
        };
        // 1: the secret as created.
        let first = rotate(r#"{"keys":[]}"#, T0);
        let a = kids_by_status(&first);
        assert_eq!(statuses(&first), ["active"]);
        // 2: a pending key, published a period before it signs.
        let second = rotate(&first.to_string(), T0 + 30 * DAY);
        assert_eq!(statuses(&second), ["active", "pending"]);
        let b = kids_by_status(&second)[1].0.clone();
        // 3: it signs; the first key retires and a new pending key is added.
        let third = rotate(&second.to_string(), T0 + 60 * DAY);
        assert_eq!(statuses(&third), ["retired", "active", "pending"]);
        assert_eq!(third["keys"][0]["kid"], a[0].0.as_str());
        assert_eq!(third["keys"][0]["retired_at"], T0 + 60 * DAY);
        assert_eq!(third["keys"][1]["kid"], b.as_str());
        // 4: 30 days later the retired key is still needed (31-day retention).
        let fourth = rotate(&third.to_string(), T0 + 90 * DAY);
        assert_eq!(
            statuses(&fourth),
            ["retired", "retired", "active", "pending"]
        );
        // 5: the first key is gone, the second retired, never more than four keys.
        let fifth = rotate(&fourth.to_string(), T0 + 120 * DAY);
        assert_eq!(
            statuses(&fifth),
            ["retired", "retired", "active", "pending"]
        );
        assert!(kids_by_status(&fifth).iter().all(|(kid, _)| *kid != a[0].0));
        assert_eq!(fifth["keys"][0]["kid"], b.as_str());
    }
}
