//! Configuration from SSM Parameter Store against moto_server, through the real SDK.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;

use auth_aws::{ConfigError, ConfigLoader, emulator_sdk_config};
use aws_sdk_ssm::types::ParameterType;
use e2e::moto::moto;

const SECRET: &str = "ssm-test-secret-0123456789abcdef-0123";

async fn put(name: &str, value: &str, kind: ParameterType) {
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

async fn load(vars: &[(&str, String)]) -> Result<ConfigLoader, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    ConfigLoader::from_lookup(|key| map.get(key).cloned(), Some(sdk)).await
}

#[tokio::test]
async fn secret_and_token_time_come_from_ssm() {
    let secret_param = format!("/{}/secret", e2e::unique("app"));
    let ttl_param = format!("/{}/token/time", e2e::unique("app"));
    put(&secret_param, SECRET, ParameterType::SecureString).await;
    put(&ttl_param, "1234", ParameterType::String).await;
    let loader = load(&[
        ("JWT_SECRET_PARAM", secret_param),
        ("ACCESS_TOKEN_TTL_PARAM", ttl_param),
    ])
    .await
    .unwrap();
    let config = loader.current().await;
    assert_eq!(config.tokens.access_ttl_secs, 1234);
    let grant = auth_core::Grant {
        sub: "alice",
        client_id: "public",
        scope: None,
    };
    let access = config
        .issuer
        .as_ref()
        .unwrap()
        .issue_access(&grant, jsonwebtoken_now())
        .unwrap();
    assert_eq!(
        config.verifier.verify_access(&access.token).unwrap().sub,
        "alice"
    );
}

#[tokio::test]
async fn short_secret_in_ssm_names_the_parameter() {
    let secret_param = format!("/{}/secret", e2e::unique("app"));
    put(&secret_param, "short", ParameterType::SecureString).await;
    let err = load(&[("JWT_SECRET_PARAM", secret_param.clone())])
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, ConfigError::SecretTooShort { source_name, .. } if *source_name == secret_param)
    );
}

#[tokio::test]
async fn missing_parameter_is_a_clear_error() {
    let err = load(&[("JWT_SECRET_PARAM", "/does/not/exist".to_owned())])
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, ConfigError::Remote { name, .. } if name == "SSM parameter /does/not/exist")
    );
}

#[tokio::test]
async fn stale_values_are_re_read() {
    let ttl_param = format!("/{}/token/time", e2e::unique("app"));
    put(&ttl_param, "600", ParameterType::String).await;
    let loader = load(&[
        ("JWT_SECRET", SECRET.to_owned()),
        ("ACCESS_TOKEN_TTL_PARAM", ttl_param.clone()),
        ("SSM_CACHE_TTL", "0".to_owned()),
    ])
    .await
    .unwrap();
    assert_eq!(loader.config().tokens.access_ttl_secs, 600);
    put(&ttl_param, "700", ParameterType::String).await;
    assert_eq!(loader.current().await.tokens.access_ttl_secs, 700);
}

fn jsonwebtoken_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
