//! The event Secrets Manager invokes a rotation function with, once per step, and the answer.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `{"Step": "createSecret", "SecretId": "...", "ClientRequestToken": "...", "RotationToken": "..."}`
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationEvent {
    /// Which of the four steps to run.
    pub step: Step,
    /// The secret's ARN (or name).
    pub secret_id: String,
    /// The id of the version being rotated to, labelled AWSPENDING by Secrets Manager when the
    /// rotation started.
    pub client_request_token: String,
    /// Sent by Secrets Manager to be passed back on PutSecretValue (required when the function
    /// rotates through an assumed role); absent in older events.
    #[serde(default)]
    pub rotation_token: Option<String>,
}

impl fmt::Debug for RotationEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The rotation token is a credential of sorts: Secrets Manager marks it sensitive.
        f.debug_struct("RotationEvent")
            .field("step", &self.step)
            .field("secret_id", &self.secret_id)
            .field("client_request_token", &self.client_request_token)
            .field(
                "rotation_token",
                &self.rotation_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The rotation steps, in the order Secrets Manager runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Step {
    /// Write the next key set as the AWSPENDING version.
    #[serde(rename = "createSecret")]
    Create,
    /// Configure the new secret elsewhere: nothing to do for a key set.
    #[serde(rename = "setSecret")]
    Set,
    /// Check the AWSPENDING version.
    #[serde(rename = "testSecret")]
    Test,
    /// Move AWSCURRENT to the new version.
    #[serde(rename = "finishSecret")]
    Finish,
}

impl Step {
    /// The step's name in the event.
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "createSecret",
            Self::Set => "setSecret",
            Self::Test => "testSecret",
            Self::Finish => "finishSecret",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a step did; the function's answer (Secrets Manager only looks at success or failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepOutcome {
    /// The step that ran.
    pub step: Step,
    /// What it did.
    pub outcome: Outcome,
}

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The version is already AWSCURRENT: the rotation is over, nothing to do.
    AlreadyCurrent,
    /// createSecret wrote the AWSPENDING version.
    Created,
    /// createSecret found the AWSPENDING version already written (a retry).
    AlreadyCreated,
    /// setSecret: the key set lives only in the secret.
    NothingToSet,
    /// testSecret: the pending key set signs and verifies.
    Tested,
    /// finishSecret moved AWSCURRENT to the new version.
    Finished,
}

impl Outcome {
    /// The name in the answer and in the log.
    pub fn name(self) -> &'static str {
        match self {
            Self::AlreadyCurrent => "already_current",
            Self::Created => "created",
            Self::AlreadyCreated => "already_created",
            Self::NothingToSet => "nothing_to_set",
            Self::Tested => "tested",
            Self::Finished => "finished",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rotation_event_parses_with_or_without_rotation_token() {
        let event: RotationEvent = serde_json::from_value(json!({
            "Step": "createSecret", "SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys",
            "ClientRequestToken": "5f8a2a43-1f5e-4e43-9c8b-8b6a0c1f6a10", "RotationToken": "tok"
        }))
        .unwrap();
        assert_eq!(event.step, Step::Create);
        assert_eq!(event.rotation_token.as_deref(), Some("tok"));
        let event: RotationEvent = serde_json::from_value(json!({
            "Step": "finishSecret", "SecretId": "keys", "ClientRequestToken": "v1"
        }))
        .unwrap();
        assert_eq!(event.step, Step::Finish);
        assert_eq!(event.rotation_token, None);
    }

    #[test]
    fn an_unknown_step_is_refused() {
        let parsed = serde_json::from_value::<RotationEvent>(json!({
            "Step": "dropSecret", "SecretId": "keys", "ClientRequestToken": "v1"
        }));
        assert!(parsed.is_err());
    }

    #[test]
    fn debug_hides_the_rotation_token() {
        let event: RotationEvent = serde_json::from_value(json!({
            "Step": "createSecret", "SecretId": "keys", "ClientRequestToken": "v1",
            "RotationToken": "very-secret-rotation-token"
        }))
        .unwrap();
        assert!(!format!("{event:?}").contains("very-secret"));
    }

    #[test]
    fn outcome_names_are_the_serialized_ones() {
        for outcome in [
            Outcome::AlreadyCurrent,
            Outcome::Created,
            Outcome::AlreadyCreated,
            Outcome::NothingToSet,
            Outcome::Tested,
            Outcome::Finished,
        ] {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.name());
        }
    }

    #[test]
    fn the_answer_names_the_step_and_the_outcome() {
        let answer = StepOutcome {
            step: Step::Create,
            outcome: Outcome::AlreadyCreated,
        };
        assert_eq!(
            serde_json::to_value(answer).unwrap(),
            json!({"step": "createSecret", "outcome": "already_created"})
        );
    }
}
