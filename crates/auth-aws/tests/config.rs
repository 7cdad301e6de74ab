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
use test_support::moto::moto;

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

/// Loads `vars`, with a URL issuer (its origin is the audience) unless they name one.
async fn load(vars: &[(&str, String)]) -> Result<ConfigLoader, ConfigError> {
    let mut map = HashMap::from([(
        "TOKEN_ISSUER".to_owned(),
        "https://auth.example.com/dev".to_owned(),
    )]);
    map.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    ConfigLoader::from_lookup(|key| map.get(key).cloned(), Some(sdk)).await
}

#[tokio::test]
async fn issuer_and_audience_come_from_ssm() {
    let app = test_support::unique("app");
    let issuer_param = format!("/{app}/auth/token/issuer");
    let audience_param = format!("/{app}/auth/token/audience");
    put(
        &issuer_param,
        "https://abc.execute-api.us-east-1.amazonaws.com/prod",
        ParameterType::String,
    )
    .await;
    put(
        &audience_param,
        "https://abc.execute-api.us-east-1.amazonaws.com",
        ParameterType::String,
    )
    .await;
    let loader = load(&[
        ("JWT_SECRET", SECRET.to_owned()),
        ("TOKEN_ISSUER", String::new()),
        ("TOKEN_ISSUER_PARAM", issuer_param),
        ("TOKEN_AUDIENCE_PARAM", audience_param.clone()),
    ])
    .await
    .unwrap();
    let config = loader.current().await;
    assert_eq!(
        config.tokens.issuer,
        "https://abc.execute-api.us-east-1.amazonaws.com/prod"
    );
    assert_eq!(
        config.tokens.audience,
        "https://abc.execute-api.us-east-1.amazonaws.com"
    );
    // A parameter that makes the audience the issuer fails the cold start, naming it.
    put(
        &audience_param,
        "https://abc.execute-api.us-east-1.amazonaws.com/prod",
        ParameterType::String,
    )
    .await;
    let err = load(&[
        ("JWT_SECRET", SECRET.to_owned()),
        (
            "TOKEN_ISSUER",
            "https://abc.execute-api.us-east-1.amazonaws.com/prod".to_owned(),
        ),
        ("TOKEN_AUDIENCE_PARAM", audience_param.clone()),
    ])
    .await
    .err()
    .unwrap();
    assert!(err.to_string().contains(&audience_param), "{err}");
}

#[tokio::test]
async fn secret_and_token_time_come_from_ssm() {
    let secret_param = format!("/{}/secret", test_support::unique("app"));
    let ttl_param = format!("/{}/token/time", test_support::unique("app"));
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
        audience: None,
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
    let secret_param = format!("/{}/secret", test_support::unique("app"));
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
    let ttl_param = format!("/{}/token/time", test_support::unique("app"));
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
