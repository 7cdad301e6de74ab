//! The four rotation steps against Secrets Manager, each safe to run again: Secrets Manager
//! retries a failed step, and a step whose work is done finds it done and returns.

use std::collections::HashMap;

use auth_aws::{KeySetSecret, PublicKeysParameter};
use auth_core::{KeySet, RotationSettings, rotate_key_set};
use tracing::info;

use crate::error::RotationError;
use crate::event::{Outcome, RotationEvent, Step, StepOutcome};
use crate::pending_set::{check_pending, key_list};
use crate::publish::publish_keys;
use crate::versions::{AWSCURRENT, AWSPENDING, VersionState, check_version, current_version};

/// Runs the event's step on its secret; `now` (epoch seconds) dates the keys it adds, retires
/// and prunes. With `public_keys`, createSecret and finishSecret publish the public keys there.
pub async fn handle(
    secret: &KeySetSecret,
    public_keys: Option<&PublicKeysParameter>,
    settings: &RotationSettings,
    event: &RotationEvent,
    now: u64,
) -> Result<StepOutcome, RotationError> {
    let described = secret.describe(&event.secret_id).await?;
    let versions = &described.stages;
    let state = check_version(
        described.rotation_enabled,
        versions,
        &event.client_request_token,
    )?;
    let outcome = match (state, event.step) {
        (VersionState::AlreadyCurrent, _) => Outcome::AlreadyCurrent,
        (VersionState::Pending, Step::Create) => {
            create(secret, public_keys, settings, event, now).await?
        }
        (VersionState::Pending, Step::Set) => Outcome::NothingToSet,
        (VersionState::Pending, Step::Test) => test(secret, event).await?,
        (VersionState::Pending, Step::Finish) => {
            finish(secret, public_keys, event, versions).await?
        }
    };
    info!(
        step = event.step.name(),
        secret = %event.secret_id,
        version = %event.client_request_token,
        outcome = outcome.name(),
        "rotation step done"
    );
    Ok(StepOutcome {
        step: event.step,
        outcome,
    })
}

/// createSecret: writes the next key set (prune, promote, add: see `auth_core::rotate_key_set`)
/// as the AWSPENDING version, unless that version already has a value, and publishes its public
/// keys (again, when it had: a retry after a failed publication publishes then).
async fn create(
    secret: &KeySetSecret,
    public_keys: Option<&PublicKeysParameter>,
    settings: &RotationSettings,
    event: &RotationEvent,
    now: u64,
) -> Result<Outcome, RotationError> {
    let token = &event.client_request_token;
    // `None`: the version Secrets Manager labelled AWSPENDING when the rotation started has no
    // value until PutSecretValue gives it one.
    if let Some(pending) = secret.pending_value(&event.secret_id, token).await? {
        publish(public_keys, &pending).await?;
        return Ok(Outcome::AlreadyCreated);
    }
    let current = secret.read(&event.secret_id, None, AWSCURRENT).await?;
    let current = current.unwrap_or_default();
    let next = rotate_key_set(&current, settings, now).map_err(RotationError::CurrentKeySet)?;
    let next_keys = KeySet::from_json(&next).map_err(RotationError::CurrentKeySet)?;
    secret
        .put_pending(&event.secret_id, token, next, event.rotation_token.clone())
        .await?;
    if let Some(public_keys) = public_keys {
        publish_keys(public_keys, &next_keys).await?;
    }
    let current_list = KeySet::from_json(&current)
        .map(|keys| key_list(&keys))
        .unwrap_or_else(|_| "none".to_owned());
    info!(
        current = %current_list,
        pending = %key_list(&next_keys),
        "pending key set written"
    );
    Ok(Outcome::Created)
}

/// testSecret: the AWSPENDING key set signs, and its tokens and the current set's verify with
/// both sets (see [`check_pending`]).
async fn test(secret: &KeySetSecret, event: &RotationEvent) -> Result<Outcome, RotationError> {
    let token = &event.client_request_token;
    let pending = secret
        .read(&event.secret_id, Some(token.as_str()), AWSPENDING)
        .await?
        .ok_or_else(|| RotationError::NoValue(token.clone()))?;
    let current = secret.read(&event.secret_id, None, AWSCURRENT).await?;
    let list = check_pending(&pending, current.as_deref().unwrap_or_default())?;
    info!(pending = %list, "pending key set signs and verifies");
    Ok(Outcome::Tested)
}

/// finishSecret: publishes the new version's public keys, moves AWSCURRENT to it (Secrets
/// Manager moves AWSPREVIOUS to the old one), then takes AWSPENDING off it.
async fn finish(
    secret: &KeySetSecret,
    public_keys: Option<&PublicKeysParameter>,
    event: &RotationEvent,
    versions: &HashMap<String, Vec<String>>,
) -> Result<Outcome, RotationError> {
    let token = &event.client_request_token;
    let previous = current_version(versions);
    if previous == Some(token.as_str()) {
        return Ok(Outcome::AlreadyCurrent);
    }
    // Before the move: the set that is about to sign is published first, whatever happened to
    // createSecret's publication.
    if public_keys.is_some() {
        let pending = secret
            .read(&event.secret_id, Some(token.as_str()), AWSPENDING)
            .await?
            .ok_or_else(|| RotationError::NoValue(token.clone()))?;
        publish(public_keys, &pending).await?;
    }
    secret
        .move_current(&event.secret_id, token, previous)
        .await?;
    // Secrets Manager accepts AWSPENDING left on the current version, but a label on no other
    // version says plainly that no rotation is under way. Done after the move: if this call
    // fails, a retry finds the version AWSCURRENT and has nothing left to do.
    secret.remove_pending(&event.secret_id, token).await?;
    info!(
        previous = previous.unwrap_or("none"),
        "AWSCURRENT moved to the new version"
    );
    Ok(Outcome::Finished)
}

/// Publishes the public keys of the key set `text`, when there is a parameter to publish to.
async fn publish(
    public_keys: Option<&PublicKeysParameter>,
    text: &str,
) -> Result<(), RotationError> {
    let Some(public_keys) = public_keys else {
        return Ok(());
    };
    let keys = KeySet::from_json(text).map_err(RotationError::PendingKeySet)?;
    publish_keys(public_keys, &keys).await
}
