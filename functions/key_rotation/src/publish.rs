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

use auth_aws::PublicKeysParameter;
use auth_core::KeySet;

use crate::error::RotationError;
use crate::pending_set::key_list;

/// Overwrites the parameter with the public JWK set of `keys`.
pub(crate) async fn publish_keys(
    parameter: &PublicKeysParameter,
    keys: &KeySet,
) -> Result<(), RotationError> {
    parameter.publish(keys).await?;
    tracing::info!(parameter = %parameter.name(), keys = %key_list(keys), "public keys published");
    Ok(())
}
