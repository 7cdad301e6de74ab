//! Publishing the public keys: every step that changes the key set writes its public JWK set
//! (`KeySet::public_jwks`: the active, pending and retired keys, public members only) to the SSM
//! String parameter `SIGNING_KEYS_PUBLIC_PARAM` names, which the authorizer reads instead of the
//! secret, so that it never holds a private key.
//!
//! createSecret writes the AWSPENDING set: it holds every key that signs now (the active key,
//! retired by it, keeps verifying), the key that will sign after finishSecret (pending since the
//! previous rotation, so published a whole rotation period ago) and the new pending key; only
//! retired keys past `KEY_RETIRE_AFTER_SECONDS` are gone, and every token they signed has
//! expired. finishSecret writes the same set again before AWSCURRENT moves to it, so the
//! parameter is right even when createSecret's write was lost or the parameter was edited. Each
//! write overwrites the whole value: the steps stay idempotent.

use auth_core::KeySet;
use aws_sdk_ssm::error::DisplayErrorContext;
use aws_sdk_ssm::types::{ParameterTier, ParameterType};

use crate::checks::key_list;
use crate::error::RotationError;

/// The parameter the public keys are published to.
pub struct PublicKeys {
    client: aws_sdk_ssm::Client,
    name: String,
}

impl PublicKeys {
    /// Publishes to the parameter `name` through `client`.
    pub fn new(client: aws_sdk_ssm::Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Overwrites the parameter with the public JWK set of `keys`.
    pub async fn publish(&self, keys: &KeySet) -> Result<(), RotationError> {
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
            .map_err(|err| RotationError::Ssm {
                operation: "PutParameter",
                message: DisplayErrorContext(&err).to_string(),
            })?;
        tracing::info!(parameter = %self.name, keys = %key_list(keys), "public keys published");
        Ok(())
    }
}
