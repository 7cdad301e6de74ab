//! Everything that talks to AWS: the SDK configuration, configuration loading (environment and
//! SSM Parameter Store, cached), and the DynamoDB store of users, clients, refresh-token families, revocations and lockouts.
//!
//! Functions depend on this crate; it depends on auth-core, never the other way.

mod accounts;
mod clients;
mod config;
mod error;
mod families;
mod lockouts;
mod public_keys;
mod remote;
mod revocation;
mod sdk;
mod store;
mod throttles;
mod users;

pub use clients::ClientRecord;
pub use config::{AllowedOrigins, Config, ConfigLoader, CorsConfig, ResponseMode};
pub use error::{ConfigError, StoreError};
pub use families::{Family, RefreshRecord, RotateError};
pub use lockouts::{AttemptReservation, LockKey, Reserved};
pub use remote::{Remote, RemoteCache};
pub use revocation::{REVOCATION_ATTRIBUTES, RevocationState};
pub use sdk::{emulator_sdk_config, sdk_config};
pub use store::Store;
pub use throttles::ThrottleKey;
pub use users::{NewUser, UserRecord};
