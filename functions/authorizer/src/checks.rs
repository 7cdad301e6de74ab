//! What the authorizer checks beyond our own key set, set up once per cold start: tokens of
//! trusted issuers (`TRUSTED_ISSUERS`) and revocations of our own tokens (`REVOCATION_CHECK`).
//! Neither touches the network at cold start; the DynamoDB client is only built when the
//! revocation check is on.

use auth_aws::{Config, Store};

use crate::error::SetupError;
use crate::revocation::RevocationCheck;
use crate::trusted::TrustedIssuers;

/// The optional checks; [`Checks::none`] when neither is configured.
#[derive(Default)]
pub struct Checks {
    /// `TRUSTED_ISSUERS`.
    pub trusted: Option<TrustedIssuers>,
    /// `REVOCATION_CHECK`.
    pub revocation: Option<RevocationCheck>,
}

impl Checks {
    /// No trusted issuers, no revocation check.
    pub fn none() -> Self {
        Self::default()
    }

    /// From the configuration; a bad `TRUSTED_ISSUERS`, or `REVOCATION_CHECK` without
    /// `USERS_TABLE`, fails the cold start.
    pub async fn from_config(config: &Config) -> Result<Self, SetupError> {
        let trusted = config
            .trusted_issuers
            .as_deref()
            .map(|json| {
                TrustedIssuers::parse(json, &config.tokens.issuer, config.tokens.leeway_secs)
            })
            .transpose()?;
        let revocation = if config.revocation_check {
            let table = config
                .users_table
                .as_deref()
                .ok_or(SetupError::NoUsersTable)?;
            let sdk = auth_aws::sdk_config().await;
            Some(RevocationCheck::new(
                Store::new(&sdk, table),
                config.revocation_cache_ttl,
            ))
        } else {
            None
        };
        Ok(Self {
            trusted,
            revocation,
        })
    }
}
