//! The signing key set's secret, as key rotation calls it, against moto_server through the real
//! SDK: the versions and their labels, the pending value by token, writing it, and the label
//! moves; a failed call names its operation and never the value.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use auth_aws::{AWSCURRENT, AWSPENDING, KeySetError, KeySetSecret, emulator_sdk_config};
use test_support::moto::moto;

const TOKEN: &str = "5f8a2a43-1f5e-4e43-9c8b-8b6a0c1f6a10";

/// A new secret holding `value`, and the calls on it.
async fn secret(value: &str) -> (String, KeySetSecret) {
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    let name = test_support::unique("/test/auth/signing-keys");
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    (name, KeySetSecret::new(&sdk))
}

/// The ids of the versions labelled `label`.
fn labelled(stages: &std::collections::HashMap<String, Vec<String>>, label: &str) -> Vec<String> {
    stages
        .iter()
        .filter(|(_, labels)| labels.iter().any(|l| l == label))
        .map(|(id, _)| id.clone())
        .collect()
}

#[tokio::test]
async fn a_new_secret_has_one_current_version_and_no_rotation() {
    let (name, secret) = secret(r#"{"keys":[]}"#).await;
    let described = secret.describe(&name).await.unwrap();
    assert!(!described.rotation_enabled);
    assert_eq!(described.stages.len(), 1);
    let current = labelled(&described.stages, AWSCURRENT);
    assert_eq!(current.len(), 1);
    assert_eq!(
        secret
            .read(&name, Some(&current[0]), AWSCURRENT)
            .await
            .unwrap()
            .as_deref(),
        Some(r#"{"keys":[]}"#)
    );
}

#[tokio::test]
async fn a_pending_version_is_none_until_written_then_read_by_token_and_by_label() {
    let (name, secret) = secret(r#"{"keys":[]}"#).await;
    assert_eq!(secret.pending_value(&name, TOKEN).await.unwrap(), None);
    secret
        .put_pending(
            &name,
            TOKEN,
            "next".to_owned(),
            Some("rotation-token".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        secret.pending_value(&name, TOKEN).await.unwrap().as_deref(),
        Some("next")
    );
    assert_eq!(
        secret
            .read(&name, Some(TOKEN), AWSPENDING)
            .await
            .unwrap()
            .as_deref(),
        Some("next")
    );
    // AWSCURRENT has not moved.
    assert_eq!(
        secret
            .read(&name, None, AWSCURRENT)
            .await
            .unwrap()
            .as_deref(),
        Some(r#"{"keys":[]}"#)
    );
    let stages = secret.describe(&name).await.unwrap().stages;
    assert_eq!(stages[TOKEN], [AWSPENDING]);
}

#[tokio::test]
async fn finishing_moves_aws_current_and_takes_aws_pending_off() {
    let (name, secret) = secret("first").await;
    let previous = labelled(&secret.describe(&name).await.unwrap().stages, AWSCURRENT);
    secret
        .put_pending(&name, TOKEN, "second".to_owned(), None)
        .await
        .unwrap();
    secret
        .move_current(&name, TOKEN, previous.first().map(String::as_str))
        .await
        .unwrap();
    secret.remove_pending(&name, TOKEN).await.unwrap();
    let stages = secret.describe(&name).await.unwrap().stages;
    assert_eq!(labelled(&stages, AWSCURRENT), [TOKEN]);
    assert!(labelled(&stages, AWSPENDING).is_empty());
    assert_eq!(labelled(&stages, "AWSPREVIOUS"), previous);
    assert_eq!(
        secret
            .read(&name, None, AWSCURRENT)
            .await
            .unwrap()
            .as_deref(),
        Some("second")
    );
}

#[tokio::test]
async fn a_failed_call_names_its_operation_and_not_the_value() {
    let (name, secret) = secret("do-not-repeat-me").await;
    let missing = test_support::unique("/test/auth/no-such-secret");
    let err = secret.describe(&missing).await.unwrap_err();
    assert!(
        matches!(
            err,
            KeySetError::SecretsManager {
                operation: "DescribeSecret",
                ..
            }
        ),
        "{err}"
    );
    // A version that has no value is an error when read (only pending_value says None).
    let err = secret
        .read(&name, Some(TOKEN), AWSPENDING)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            KeySetError::SecretsManager {
                operation: "GetSecretValue",
                ..
            }
        ),
        "{err}"
    );
    let err = secret
        .move_current(&name, "00000000-0000-4000-8000-000000000000", None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            KeySetError::SecretsManager {
                operation: "UpdateSecretVersionStage",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("do-not-repeat-me"));
    // Nothing listens on port 9.
    let unreachable = KeySetSecret::new(&emulator_sdk_config("http://127.0.0.1:9").await);
    let err = unreachable
        .put_pending(&name, TOKEN, "do-not-repeat-me".to_owned(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            KeySetError::SecretsManager {
                operation: "PutSecretValue",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("do-not-repeat-me"));
}
