//! Why the rotation function could not start, or a rotation step failed.

use auth_aws::KeySetError;
use auth_core::KeyError;
use lambda_runtime::Diagnostic;
use thiserror::Error;

/// A bad setting: the cold start fails with a message naming the variable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `KEY_ALGORITHM` names no algorithm we generate.
    #[error("KEY_ALGORITHM is {0:?}; ES256, EdDSA or RS256 is required")]
    UnknownAlgorithm(String),
    /// `KEY_ALGORITHM=HS256`: a shared secret cannot be published in the JWKS.
    #[error(
        "KEY_ALGORITHM is HS256, a shared secret that cannot be published in the JWKS; \
         ES256, EdDSA or RS256 is required"
    )]
    SharedSecret,
    /// `KEY_RETIRE_AFTER_SECONDS` is not a number of seconds.
    #[error("KEY_RETIRE_AFTER_SECONDS is {0:?}; a number of seconds is required")]
    BadRetireAfter(String),
    /// `KEY_RETIRE_AFTER_SECONDS` is under the minimum.
    #[error(
        "KEY_RETIRE_AFTER_SECONDS is {actual}; at least {minimum} is required (and at least the \
         longest token lifetime, the refresh-token family's)"
    )]
    RetireAfterTooShort {
        /// The value given.
        actual: u64,
        /// [`crate::MIN_RETIRE_AFTER_SECS`].
        minimum: u64,
    },
}

/// Why a rotation step failed. Secrets Manager retries the step; the current version is never
/// touched before finishSecret, so signing and verifying go on meanwhile.
#[derive(Debug, Error)]
pub enum RotationError {
    /// The secret is not configured for rotation.
    #[error("rotation is not enabled on the secret")]
    RotationDisabled,
    /// The token names no version of the secret.
    #[error("version {0} is not a version of the secret")]
    UnknownVersion(String),
    /// The token's version is neither AWSCURRENT nor AWSPENDING.
    #[error("version {0} is not labelled AWSPENDING")]
    NotPending(String),
    /// The AWSPENDING version has no text value (testSecret before createSecret finished).
    #[error("version {0} holds no secret string")]
    NoValue(String),
    /// The current key set cannot be rotated (it holds keys, but not a usable set).
    #[error("the current key set cannot be rotated: {0}")]
    CurrentKeySet(KeyError),
    /// The pending key set does not load, or its active key cannot sign.
    #[error("the pending key set is not usable: {0}")]
    PendingKeySet(KeyError),
    /// A test token did not go through (testSecret).
    #[error("testSecret failed: {check}: {reason}")]
    TestFailed {
        /// What was being checked.
        check: &'static str,
        /// The error, as a short phrase.
        reason: String,
    },
    /// Publishing the public keys to SSM failed.
    #[error("{operation} of the public keys failed: {message}")]
    Ssm {
        /// The API operation.
        operation: &'static str,
        /// The SDK's error with its sources.
        message: String,
    },
    /// A Secrets Manager call failed.
    #[error("{operation} failed: {message}")]
    SecretsManager {
        /// The API operation.
        operation: &'static str,
        /// The SDK's error with its sources.
        message: String,
    },
}

impl From<KeySetError> for RotationError {
    fn from(err: KeySetError) -> Self {
        match err {
            KeySetError::SecretsManager { operation, message } => {
                Self::SecretsManager { operation, message }
            }
            KeySetError::Ssm { operation, message } => Self::Ssm { operation, message },
        }
    }
}

impl From<RotationError> for Diagnostic {
    fn from(err: RotationError) -> Self {
        Diagnostic {
            error_type: "RotationError".into(),
            error_message: err.to_string(),
        }
    }
}
