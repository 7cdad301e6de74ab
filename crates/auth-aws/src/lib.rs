//! Everything that talks to AWS: the SDK configuration, configuration loading (environment and
//! SSM Parameter Store, cached), and the DynamoDB store of users, clients, refresh-token families, revocations and lockouts.
//! For key rotation: the signing key set's secret (versions and staging labels) and the SSM
//! parameter its public keys are published to.
//!
//! Functions depend on this crate; it depends on auth-core, never the other way.

mod accounts;
mod clients;
mod config;
mod error;
mod families;
mod items;
mod key_set_secret;
mod lockouts;
mod public_keys;
mod remote_values;
mod revocation;
mod sdk;
mod shutdown;
mod store;
mod throttles;
mod users;

pub use clients::ClientRecord;
pub use config::{AllowedOrigins, Config, ConfigLoader, CorsConfig, ResponseMode};
pub use error::{ConfigError, KeySetError, StoreError};
pub use families::{Family, RefreshRecord, RotateError};
pub use key_set_secret::{AWSCURRENT, AWSPENDING, KeySetSecret, SecretVersions};
pub use lockouts::{AttemptReservation, LockKey, Reserved};
pub use public_keys::PublicKeysParameter;
pub use remote_values::{Remote, RemoteCache};
pub use revocation::{REVOCATION_ATTRIBUTES, RevocationState};
pub use sdk::{emulator_sdk_config, sdk_config};
pub use shutdown::Shutdown;
pub use store::Store;
pub use throttles::ThrottleKey;
pub use users::{NewUser, UserRecord};
