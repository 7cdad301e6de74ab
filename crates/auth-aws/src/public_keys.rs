//! The public signing keys (`SIGNING_KEYS_PUBLIC_PARAM`): the JWK set that key_rotation
//! publishes to an SSM String parameter ([`PublicKeysParameter`]), public members only, and that
//! a verifier reads.
//!
//! A set holding any private member is refused whole, naming the key and the member, never its
//! value: a verifier is never handed a signing key, and a key that reached the parameter has
//! leaked to everyone who may read it, so it must be rotated out rather than used.

use auth_core::KeySet;
use aws_config::SdkConfig;
use aws_sdk_ssm::error::DisplayErrorContext;
use aws_sdk_ssm::types::{ParameterTier, ParameterType};
use serde_json::Value;

use crate::error::{ConfigError, KeySetError};

/// The JWK members that are private key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037
/// §2): EC and OKP `d`, the RSA private members, and the `k` of a shared secret.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Longest `kid` an error repeats.
const MAX_KID_IN_ERROR: usize = 64;

/// The SSM String parameter the public keys are published to.
#[derive(Debug, Clone)]
pub struct PublicKeysParameter {
    client: aws_sdk_ssm::Client,
    name: String,
}

impl PublicKeysParameter {
    /// The parameter `name`, through a client of `sdk`.
    pub fn new(sdk: &SdkConfig, name: impl Into<String>) -> Self {
        Self {
            client: aws_sdk_ssm::Client::new(sdk),
            name: name.into(),
        }
    }

    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Overwrites the parameter with the public JWK set of `keys` (`KeySet::public_jwks`: public
    /// members only).
    pub async fn publish(&self, keys: &KeySet) -> Result<(), KeySetError> {
        self.client
            .put_parameter()
            .name(&self.name)
            .value(keys.public_jwks().to_string())
            .r#type(ParameterType::String)
            .overwrite(true)
            // A standard parameter holds 4 KB, about four RSA-4096 keys: past that SSM makes it
            // an advanced one rather than refusing the write.
            .tier(ParameterTier::IntelligentTiering)
            .send()
            .await
            .map_err(|err| KeySetError::Ssm {
                operation: "PutParameter",
                message: DisplayErrorContext(&err).to_string(),
            })?;
        Ok(())
    }
}

/// The key set in `text`, from `source_name`, if it holds public keys only.
pub(crate) fn parse_public_keys(source_name: &str, text: &str) -> Result<KeySet, ConfigError> {
    let keys = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|doc| doc.get("keys").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    for key in &keys {
        if let Some(member) = PRIVATE_MEMBERS.into_iter().find(|m| key.get(m).is_some()) {
            let kid = key.get("kid").and_then(Value::as_str).unwrap_or("-");
            return Err(ConfigError::PrivateKey {
                source_name: source_name.to_owned(),
                kid: kid.chars().take(MAX_KID_IN_ERROR).collect(),
                member,
            });
        }
    }
    KeySet::from_json(text).map_err(|err| ConfigError::KeySet {
        source_name: source_name.to_owned(),
        reason: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use auth_core::{KeyAlgorithm, KeyStatus, generate_jwk};
    use serde_json::json;

    use super::*;

    fn private_set(alg: KeyAlgorithm) -> Value {
        json!({ "keys": [generate_jwk(alg, KeyStatus::Active).unwrap()] })
    }

    #[test]
    fn a_published_set_loads_and_verifies_only() {
        for alg in [
            KeyAlgorithm::ES256,
            KeyAlgorithm::EdDSA,
            KeyAlgorithm::RS256,
        ] {
            let private = KeySet::from_json(&private_set(alg).to_string()).unwrap();
            let public = private.public_jwks().to_string();
            let set = parse_public_keys("SSM parameter /p", &public).unwrap();
            assert_eq!(set.keys().len(), 1);
            assert!(set.keys().iter().all(|k| k.encoding_key().is_none()));
        }
    }

    #[test]
    fn a_set_with_any_private_member_is_refused_naming_it_but_not_its_value() {
        for alg in [
            KeyAlgorithm::ES256,
            KeyAlgorithm::EdDSA,
            KeyAlgorithm::RS256,
            KeyAlgorithm::HS256,
        ] {
            let set = private_set(alg);
            let kid = set["keys"][0]["kid"].as_str().unwrap().to_owned();
            let err = parse_public_keys("SSM parameter /p", &set.to_string()).unwrap_err();
            let ConfigError::PrivateKey {
                kid: named, member, ..
            } = &err
            else {
                panic!("{alg:?}: {err}");
            };
            assert_eq!(named, &kid);
            assert!(["d", "k"].contains(member), "{member}");
            let secret = set["keys"][0][*member].as_str().unwrap();
            assert!(!err.to_string().contains(secret));
        }
    }

    #[test]
    fn a_private_key_among_public_ones_is_refused() {
        let public = KeySet::from_json(&private_set(KeyAlgorithm::ES256).to_string())
            .unwrap()
            .public_jwks();
        let private = private_set(KeyAlgorithm::ES256);
        let mixed = json!({ "keys": [public["keys"][0], private["keys"][0]] });
        assert!(matches!(
            parse_public_keys("p", &mixed.to_string()),
            Err(ConfigError::PrivateKey { member: "d", .. })
        ));
    }

    #[test]
    fn an_empty_or_broken_set_is_no_key_set() {
        for text in [r#"{"keys":[]}"#, "", "not json", "{}"] {
            assert!(matches!(
                parse_public_keys("p", text),
                Err(ConfigError::KeySet { .. })
            ));
        }
    }
}
