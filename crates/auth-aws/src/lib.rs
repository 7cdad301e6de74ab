//! Everything that talks to AWS: the SDK configuration, configuration loading (environment and
//! SSM Parameter Store, cached), and the DynamoDB store of users and refresh tokens.
//!
//! Functions depend on this crate; it depends on auth-core, never the other way.

mod config;
mod error;
mod refresh_tokens;
mod sdk;
mod ssm;
mod store;
mod users;

pub use config::{AllowedOrigins, Config, ConfigLoader, CorsConfig, ResponseMode};
pub use error::{ConfigError, StoreError};
pub use refresh_tokens::RefreshRecord;
pub use sdk::{emulator_sdk_config, sdk_config};
pub use ssm::ParameterCache;
pub use store::Store;
pub use users::{NewUser, UserRecord};
