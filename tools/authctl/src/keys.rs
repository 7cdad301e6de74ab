//! Signing key sets, by hand: a new set, a pending key added, the pending key promoted, old
//! retired keys pruned, the public JWKS. The set transitions are auth-core's (`rotation`), the
//! ones the rotation Lambda applies, so a set rotated by hand is a set the Lambda can go on with.
//!
//! Input and output are JWK sets with private members: every result is checked to load as a
//! key set before it is printed, so what comes out can go straight into Secrets Manager.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;

use auth_core::{
    KeyAlgorithm, KeyError, KeySet, KeyStatus, add_pending, generate_jwk, promote_pending,
    prune_retired,
};
use serde_json::{Value, json};

use crate::Failure;

/// Far more than a set of [`auth_core::MAX_KEYS`] RSA keys takes.
const MAX_INPUT_BYTES: u64 = 1 << 20;

/// The key set text from `path`, or from standard input when there is none.
pub fn read_set(path: Option<&Path>) -> Result<String, Failure> {
    let mut text = String::new();
    let read = match path {
        Some(path) if path != Path::new("-") => std::fs::File::open(path)
            .and_then(|file| file.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text))
            .map_err(|err| Failure::Failed(format!("cannot read {}: {err}", path.display()))),
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                return Err(Failure::Usage(
                    "the key set is read from standard input (authctl keys ... < set.json) or a \
                     FILE argument"
                        .to_owned(),
                ));
            }
            stdin
                .lock()
                .take(MAX_INPUT_BYTES + 1)
                .read_to_string(&mut text)
                .map_err(|err| Failure::Failed(format!("cannot read standard input: {err}")))
        }
    };
    let bytes = read?;
    if bytes as u64 > MAX_INPUT_BYTES {
        return Err(Failure::Failed(format!(
            "the key set is over {MAX_INPUT_BYTES} bytes"
        )));
    }
    Ok(text)
}

/// A new key set of one active key.
pub fn generate(alg: KeyAlgorithm) -> Result<Value, Failure> {
    let jwk = generate_jwk(alg, KeyStatus::Active)
        .map_err(|err| Failure::Failed(format!("cannot generate a key: {err}")))?;
    checked(json!({ "keys": [jwk] }))
}

/// The public JWKS of the set: asymmetric keys, public members only.
pub fn public(text: &str) -> Result<Value, Failure> {
    Ok(load(text)?.public_jwks())
}

/// The set with a new pending key of `alg`. A set that already has one is refused: promote it
/// first (auth-core would return the set unchanged, which by hand is more likely a slip).
pub fn add(text: &str, alg: KeyAlgorithm, now: u64) -> Result<Value, Failure> {
    let set = parse(text)?;
    if let Some(kid) = kid_with_status(&set, KeyStatus::Pending) {
        return Err(Failure::Failed(format!(
            "the set already has a pending key ({kid}); promote it first"
        )));
    }
    add_pending(set, alg, now).map_err(rotation_failed)
}

/// The set with its pending key active and its active key retired (`retired_at: now`). A set
/// without a pending key is refused: there is nothing to promote.
pub fn promote(text: &str, now: u64) -> Result<Value, Failure> {
    let set = parse(text)?;
    if kid_with_status(&set, KeyStatus::Pending).is_none() {
        return Err(Failure::Failed(
            "the set has no pending key to promote; add one first (authctl keys add)".to_owned(),
        ));
    }
    promote_pending(set, now).map_err(rotation_failed)
}

/// The set without the keys retired `retire_after_secs` or longer ago (and the number removed).
pub fn prune(text: &str, retire_after_secs: u64, now: u64) -> Result<(Value, usize), Failure> {
    let set = parse(text)?;
    let before = key_count(&set);
    let pruned = prune_retired(set, now, retire_after_secs).map_err(rotation_failed)?;
    let removed = before.saturating_sub(key_count(&pruned));
    Ok((pruned, removed))
}

fn key_count(set: &Value) -> usize {
    set.get("keys")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// The `kid` of the first key with `status`.
fn kid_with_status(set: &Value, status: KeyStatus) -> Option<String> {
    set.get("keys")?
        .as_array()?
        .iter()
        .find(|key| key.get("status").and_then(Value::as_str) == Some(status.name()))
        .map(|key| {
            key.get("kid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
}

fn rotation_failed(err: KeyError) -> Failure {
    Failure::Failed(format!("the resulting key set is not usable: {err}"))
}

/// The input as a document, once it has loaded as a key set.
fn parse(text: &str) -> Result<Value, Failure> {
    load(text)?;
    serde_json::from_str(text)
        .map_err(|err| Failure::Failed(format!("the input is not JSON: {err}")))
}

fn load(text: &str) -> Result<KeySet, Failure> {
    KeySet::from_json(text)
        .map_err(|err| Failure::Failed(format!("the input is not a usable key set: {err}")))
}

/// `set`, once it loads as a key set (one active key, every key well-formed).
fn checked(set: Value) -> Result<Value, Failure> {
    KeySet::from_json(&set.to_string())
        .map_err(|err| Failure::Failed(format!("the resulting key set is not usable: {err}")))?;
    Ok(set)
}
