//! The four rotation steps against Secrets Manager, each safe to run again: Secrets Manager
//! retries a failed step, and a step whose work is done finds it done and returns.

use std::collections::HashMap;

use auth_core::{KeySet, RotationSettings, rotate_key_set};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, SdkError};
use tracing::info;

use crate::checks::{check_pending, key_list};
use crate::error::RotationError;
use crate::event::{Outcome, RotationEvent, Step, StepOutcome};
use crate::publish::PublicKeys;
use crate::versions::{AWSCURRENT, AWSPENDING, VersionState, check_version, current_version};

/// Runs the event's step on its secret; `now` (epoch seconds) dates the keys it adds, retires
/// and prunes. With `public_keys`, createSecret and finishSecret publish the public keys there.
pub async fn handle(
    client: &Client,
    public_keys: Option<&PublicKeys>,
    settings: &RotationSettings,
    event: &RotationEvent,
    now: u64,
) -> Result<StepOutcome, RotationError> {
    let described = client
        .describe_secret()
        .secret_id(&event.secret_id)
        .send()
        .await
        .map_err(sdk("DescribeSecret"))?;
    let no_versions = HashMap::new();
    let versions = described.version_ids_to_stages().unwrap_or(&no_versions);
    let state = check_version(
        described.rotation_enabled().unwrap_or(false),
        versions,
        &event.client_request_token,
    )?;
    let outcome = match (state, event.step) {
        (VersionState::AlreadyCurrent, _) => Outcome::AlreadyCurrent,
        (VersionState::Pending, Step::Create) => {
            create(client, public_keys, settings, event, now).await?
        }
        (VersionState::Pending, Step::Set) => Outcome::NothingToSet,
        (VersionState::Pending, Step::Test) => test(client, event).await?,
        (VersionState::Pending, Step::Finish) => {
            finish(client, public_keys, event, versions).await?
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
    client: &Client,
    public_keys: Option<&PublicKeys>,
    settings: &RotationSettings,
    event: &RotationEvent,
    now: u64,
) -> Result<Outcome, RotationError> {
    let token = &event.client_request_token;
    let existing = client
        .get_secret_value()
        .secret_id(&event.secret_id)
        .version_id(token)
        .version_stage(AWSPENDING)
        .send()
        .await;
    match existing {
        Ok(existing) => {
            let pending = existing.secret_string().unwrap_or_default();
            publish(public_keys, pending).await?;
            return Ok(Outcome::AlreadyCreated);
        }
        // The version Secrets Manager labelled AWSPENDING when the rotation started has no value
        // until PutSecretValue gives it one.
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) => {}
        Err(err) => return Err(sdk("GetSecretValue")(err)),
    }
    let current = read(client, &event.secret_id, None, AWSCURRENT).await?;
    let current = current.unwrap_or_default();
    let next = rotate_key_set(&current, settings, now).map_err(RotationError::CurrentKeySet)?;
    let next_keys = KeySet::from_json(&next).map_err(RotationError::CurrentKeySet)?;
    client
        .put_secret_value()
        .secret_id(&event.secret_id)
        .client_request_token(token)
        .secret_string(next)
        .version_stages(AWSPENDING)
        .set_rotation_token(event.rotation_token.clone())
        .send()
        .await
        .map_err(sdk("PutSecretValue"))?;
    if let Some(public_keys) = public_keys {
        public_keys.publish(&next_keys).await?;
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
async fn test(client: &Client, event: &RotationEvent) -> Result<Outcome, RotationError> {
    let token = &event.client_request_token;
    let pending = read(client, &event.secret_id, Some(token), AWSPENDING)
        .await?
        .ok_or_else(|| RotationError::NoValue(token.clone()))?;
    let current = read(client, &event.secret_id, None, AWSCURRENT).await?;
    let list = check_pending(&pending, current.as_deref().unwrap_or_default())?;
    info!(pending = %list, "pending key set signs and verifies");
    Ok(Outcome::Tested)
}

/// finishSecret: publishes the new version's public keys, moves AWSCURRENT to it (Secrets
/// Manager moves AWSPREVIOUS to the old one), then takes AWSPENDING off it.
async fn finish(
    client: &Client,
    public_keys: Option<&PublicKeys>,
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
        let pending = read(client, &event.secret_id, Some(token), AWSPENDING)
            .await?
            .ok_or_else(|| RotationError::NoValue(token.clone()))?;
        publish(public_keys, &pending).await?;
    }
    client
        .update_secret_version_stage()
        .secret_id(&event.secret_id)
        .version_stage(AWSCURRENT)
        .move_to_version_id(token)
        .set_remove_from_version_id(previous.map(str::to_owned))
        .send()
        .await
        .map_err(sdk("UpdateSecretVersionStage"))?;
    // Secrets Manager accepts AWSPENDING left on the current version, but a label on no other
    // version says plainly that no rotation is under way. Done after the move: if this call
    // fails, a retry finds the version AWSCURRENT and has nothing left to do.
    client
        .update_secret_version_stage()
        .secret_id(&event.secret_id)
        .version_stage(AWSPENDING)
        .remove_from_version_id(token)
        .send()
        .await
        .map_err(sdk("UpdateSecretVersionStage"))?;
    info!(
        previous = previous.unwrap_or("none"),
        "AWSCURRENT moved to the new version"
    );
    Ok(Outcome::Finished)
}

/// Publishes the public keys of the key set `text`, when there is a parameter to publish to.
async fn publish(public_keys: Option<&PublicKeys>, text: &str) -> Result<(), RotationError> {
    let Some(public_keys) = public_keys else {
        return Ok(());
    };
    let keys = KeySet::from_json(text).map_err(RotationError::PendingKeySet)?;
    public_keys.publish(&keys).await
}

/// The text of a version (by id and label, or by label alone); `None` when it has no text.
async fn read(
    client: &Client,
    secret_id: &str,
    version_id: Option<&String>,
    stage: &str,
) -> Result<Option<String>, RotationError> {
    let value = client
        .get_secret_value()
        .secret_id(secret_id)
        .set_version_id(version_id.cloned())
        .version_stage(stage)
        .send()
        .await
        .map_err(sdk("GetSecretValue"))?;
    Ok(value.secret_string().map(str::to_owned))
}

/// Turns an SDK error into ours, with the error's sources (never a secret value: Secrets
/// Manager's error messages do not carry one).
fn sdk<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> RotationError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    move |err| RotationError::SecretsManager {
        operation,
        message: DisplayErrorContext(&err).to_string(),
    }
}
