//! The signing key set's secret, for rotation: its versions and staging labels, the values of
//! the current and the pending version, and the label moves that finish a rotation.
//!
//! Only the calls key_rotation's steps make, each naming the secret (the event's `SecretId`);
//! the step logic (which version, when, in what order) stays in key_rotation.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, SdkError};

use crate::error::KeySetError;

/// The label of the version in use.
pub const AWSCURRENT: &str = "AWSCURRENT";
/// The label of the version being rotated to.
pub const AWSPENDING: &str = "AWSPENDING";

/// What DescribeSecret says about a rotation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretVersions {
    /// Whether rotation is enabled on the secret.
    pub rotation_enabled: bool,
    /// The staging labels of each version, by version id (`VersionIdsToStages`).
    pub stages: HashMap<String, Vec<String>>,
}

/// The Secrets Manager calls of a key-set rotation, through the real AWS SDK.
#[derive(Debug, Clone)]
pub struct KeySetSecret {
    client: Client,
}

impl KeySetSecret {
    /// The calls through a client of `sdk`.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            client: Client::new(sdk),
        }
    }

    /// Whether rotation is enabled, and the versions' labels (DescribeSecret).
    pub async fn describe(&self, secret_id: &str) -> Result<SecretVersions, KeySetError> {
        let described = self
            .client
            .describe_secret()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(secrets_manager("DescribeSecret"))?;
        Ok(SecretVersions {
            rotation_enabled: described.rotation_enabled().unwrap_or(false),
            stages: described
                .version_ids_to_stages()
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// The text of the version `token` labelled AWSPENDING; `None` while it has no value (an
    /// empty string when its value is not text).
    pub async fn pending_value(
        &self,
        secret_id: &str,
        token: &str,
    ) -> Result<Option<String>, KeySetError> {
        let existing = self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .version_id(token)
            .version_stage(AWSPENDING)
            .send()
            .await;
        match existing {
            Ok(existing) => Ok(Some(
                existing.secret_string().unwrap_or_default().to_owned(),
            )),
            // The version Secrets Manager labelled AWSPENDING when the rotation started has no
            // value until PutSecretValue gives it one.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(err) => Err(secrets_manager("GetSecretValue")(err)),
        }
    }

    /// The text of the version labelled `stage` (and with the id `version_id`, when given);
    /// `None` when its value is not text. A version without a value is an error.
    pub async fn read(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: &str,
    ) -> Result<Option<String>, KeySetError> {
        let value = self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .set_version_id(version_id.map(str::to_owned))
            .version_stage(stage)
            .send()
            .await
            .map_err(secrets_manager("GetSecretValue"))?;
        Ok(value.secret_string().map(str::to_owned))
    }

    /// Writes `value` as the version `token`, labelled AWSPENDING (PutSecretValue), passing back
    /// the event's rotation token when it has one.
    pub async fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: String,
        rotation_token: Option<String>,
    ) -> Result<(), KeySetError> {
        self.client
            .put_secret_value()
            .secret_id(secret_id)
            .client_request_token(token)
            .secret_string(value)
            .version_stages(AWSPENDING)
            .set_rotation_token(rotation_token)
            .send()
            .await
            .map_err(secrets_manager("PutSecretValue"))?;
        Ok(())
    }

    /// Moves AWSCURRENT to the version `token`, off `previous` (Secrets Manager then labels
    /// `previous` AWSPREVIOUS).
    pub async fn move_current(
        &self,
        secret_id: &str,
        token: &str,
        previous: Option<&str>,
    ) -> Result<(), KeySetError> {
        self.client
            .update_secret_version_stage()
            .secret_id(secret_id)
            .version_stage(AWSCURRENT)
            .move_to_version_id(token)
            .set_remove_from_version_id(previous.map(str::to_owned))
            .send()
            .await
            .map_err(secrets_manager("UpdateSecretVersionStage"))?;
        Ok(())
    }

    /// Takes AWSPENDING off the version `token`.
    pub async fn remove_pending(&self, secret_id: &str, token: &str) -> Result<(), KeySetError> {
        self.client
            .update_secret_version_stage()
            .secret_id(secret_id)
            .version_stage(AWSPENDING)
            .remove_from_version_id(token)
            .send()
            .await
            .map_err(secrets_manager("UpdateSecretVersionStage"))?;
        Ok(())
    }
}

/// Turns an SDK error into ours, with the error's sources (never a secret value: Secrets
/// Manager's error messages do not carry one).
fn secrets_manager<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> KeySetError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    move |err| KeySetError::SecretsManager {
        operation,
        message: DisplayErrorContext(&err).to_string(),
    }
}
