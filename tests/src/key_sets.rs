//! Signing key sets as `SIGNING_KEYS` and the secret hold them (JWK Sets with `status`), and
//! their public halves.

use auth_core::{KeyAlgorithm, KeySet, KeyStatus, generate_jwk};
use serde_json::{Value, json};

/// A key set of one new active key of `alg`.
pub fn active(alg: KeyAlgorithm) -> Value {
    json!({ "keys": [generate_jwk(alg, KeyStatus::Active).unwrap()] })
}

/// `set` loaded as the functions load it.
pub fn load(set: &Value) -> KeySet {
    KeySet::from_json(&set.to_string()).unwrap()
}

/// The public JWK Set of `set`, as it is published and as the authorizer verifies with it.
pub fn public_jwks(set: &Value) -> Value {
    load(set).public_jwks()
}
