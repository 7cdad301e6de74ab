//! The public keys in SSM (`SIGNING_KEYS_PUBLIC_PARAM`) against moto_server: key rotation
//! publishes public members only, only a verifier reads them, it reads nothing private then, and
//! a refresh that finds a private member keeps the last good keys.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;

use auth_aws::{ConfigError, ConfigLoader, KeySetError, PublicKeysParameter, emulator_sdk_config};
use auth_core::{KeyAlgorithm, KeySet, KeyStatus, generate_jwk};
use serde_json::json;
use test_support::moto::moto;

async fn put(name: &str, value: &str) {
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

/// A private set of one ES256 key and its public JWK set.
fn key_set() -> (String, String) {
    let private =
        json!({ "keys": [generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap()] })
            .to_string();
    let public = KeySet::from_json(&private)
        .unwrap()
        .public_jwks()
        .to_string();
    (private, public)
}

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut map = HashMap::from([(
        "TOKEN_ISSUER".to_owned(),
        "https://auth.example.com/dev".to_owned(),
    )]);
    map.extend(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    map
}

#[tokio::test]
async fn a_verifier_reads_the_public_parameter_and_a_signer_ignores_it() {
    let param = test_support::unique("/test/auth/public-keys");
    let (private, public) = key_set();
    let (other_private, _) = key_set();
    put(&param, &public).await;
    // Both name the parameter and an inline private set (of another key).
    let map = vars(&[
        ("SIGNING_KEYS_PUBLIC_PARAM", &param),
        ("SIGNING_KEYS", &other_private),
    ]);
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    let verifier = ConfigLoader::verifier_from_lookup(|k| map.get(k).cloned(), Some(sdk.clone()))
        .await
        .unwrap()
        .config();
    assert!(verifier.issuer.is_none(), "a verifier holds no private key");
    let kid = KeySet::from_json(&private).unwrap().keys()[0]
        .kid()
        .unwrap()
        .to_owned();
    assert_eq!(verifier.verifier.keys().keys()[0].kid(), Some(kid.as_str()));

    let signer = ConfigLoader::from_lookup(|k| map.get(k).cloned(), Some(sdk))
        .await
        .unwrap()
        .config();
    assert!(signer.issuer.is_some(), "a signer keeps its private set");
}

#[tokio::test]
async fn a_private_member_arriving_later_keeps_the_last_good_keys() {
    let param = test_support::unique("/test/auth/public-keys");
    let (private, public) = key_set();
    put(&param, &public).await;
    let map = vars(&[
        ("SIGNING_KEYS_PUBLIC_PARAM", &param),
        ("SSM_CACHE_TTL", "0"),
    ]);
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    let loader = ConfigLoader::verifier_from_lookup(|k| map.get(k).cloned(), Some(sdk.clone()))
        .await
        .unwrap();
    put(&param, &private).await;
    let config = loader.current().await;
    assert_eq!(config.verifier.keys().keys().len(), 1);
    assert!(config.issuer.is_none());
    // A cold start now is refused.
    let err = ConfigLoader::verifier_from_lookup(|k| map.get(k).cloned(), Some(sdk))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, ConfigError::PrivateKey { member: "d", .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_published_set_holds_public_members_only_and_is_what_a_verifier_loads() {
    let param = test_support::unique("/test/auth/public-keys");
    // As template.yaml creates it; publishing overwrites it.
    put(&param, r#"{"keys":[]}"#).await;
    let (private, public) = key_set();
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    let parameter = PublicKeysParameter::new(&sdk, &param);
    assert_eq!(parameter.name(), param);
    parameter
        .publish(&KeySet::from_json(&private).unwrap())
        .await
        .unwrap();
    let output = aws_sdk_ssm::Client::new(&sdk)
        .get_parameter()
        .name(&param)
        .send()
        .await
        .unwrap();
    let stored = output.parameter().unwrap().value().unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(stored).unwrap(),
        serde_json::from_str::<serde_json::Value>(&public).unwrap()
    );
    let map = vars(&[("SIGNING_KEYS_PUBLIC_PARAM", &param)]);
    let verifier = ConfigLoader::verifier_from_lookup(|k| map.get(k).cloned(), Some(sdk))
        .await
        .unwrap()
        .config();
    assert_eq!(verifier.verifier.keys().keys().len(), 1);
}

#[tokio::test]
async fn a_failed_publication_names_its_operation() {
    // Nothing listens on port 9.
    let sdk = emulator_sdk_config("http://127.0.0.1:9").await;
    let (private, _) = key_set();
    let err = PublicKeysParameter::new(&sdk, "/p")
        .publish(&KeySet::from_json(&private).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            KeySetError::Ssm {
                operation: "PutParameter",
                ..
            }
        ),
        "{err}"
    );
}
