//! Error types of the AWS adapters.

use thiserror::Error;

/// Why configuration could not be loaded. Messages name the variable or parameter at fault.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// No key source is set.
    #[error(
        "no signing keys: set SIGNING_KEYS_SECRET_ID, SIGNING_KEYS_PARAM or SIGNING_KEYS (a JWK set), SIGNING_KEYS_PUBLIC_PARAM (public keys, for the authorizer), or JWT_SECRET / JWT_SECRET_PARAM (HS256)"
    )]
    NoSecret,
    /// A public key set (`SIGNING_KEYS_PUBLIC_PARAM`) holds private key material.
    #[error(
        "{source_name} holds the private member `{member}` of key {kid:?}: it must hold public keys only (what `authctl keys public` prints)"
    )]
    PrivateKey {
        /// The parameter the key set came from.
        source_name: String,
        /// The `kid` of the key (never key material).
        kid: String,
        /// The private member's name (`d`, `k`, ...).
        member: &'static str,
    },
    /// The key set does not parse or is not usable.
    #[error("{source_name} is not a usable key set: {reason}")]
    KeySet {
        /// Variable, parameter or secret the key set came from.
        source_name: String,
        /// What is wrong with it (never key material).
        reason: String,
    },
    /// The secret is too short.
    #[error("{source_name} is {actual} bytes; at least {required} are required")]
    SecretTooShort {
        /// Variable or parameter the secret came from.
        source_name: String,
        /// Its length.
        actual: usize,
        /// The minimum.
        required: usize,
    },
    /// A variable or parameter has a value that does not parse or is out of range.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// Variable or parameter name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An SSM parameter or a secret could not be read.
    #[error("{name} could not be read: {message}")]
    Remote {
        /// What was read (`SSM parameter /x` or `secret y`).
        name: String,
        /// The SDK's explanation.
        message: String,
    },
}

/// Why a DynamoDB operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A conditional create found the item already there.
    #[error("item already exists")]
    AlreadyExists,
    /// A conditional update or delete found the item missing or changed.
    #[error("item is missing or was changed concurrently")]
    ConditionFailed,
    /// A stored item does not have the expected attributes.
    #[error("stored item is corrupt: {0}")]
    Corrupt(&'static str),
    /// The DynamoDB call failed.
    #[error("dynamodb {operation} failed: {message}")]
    Dynamo {
        /// Operation name.
        operation: &'static str,
        /// The SDK's explanation.
        message: String,
    },
}

/// Why a call on the signing key set's secret or on its public-keys parameter failed (key
/// rotation). Messages carry the SDK's explanation, never a secret value.
#[derive(Debug, Error)]
pub enum KeySetError {
    /// A Secrets Manager call failed.
    #[error("secrets manager {operation} failed: {message}")]
    SecretsManager {
        /// Operation name.
        operation: &'static str,
        /// The SDK's explanation, with its sources.
        message: String,
    },
    /// An SSM call failed.
    #[error("ssm {operation} failed: {message}")]
    Ssm {
        /// Operation name.
        operation: &'static str,
        /// The SDK's explanation, with its sources.
        message: String,
    },
}
