//! What the authorizer checks beyond our own key set, set up once per cold start: tokens of
//! trusted issuers (`TRUSTED_ISSUERS`) and revocations of our own tokens (`REVOCATION_CHECK`);
//! and the cache of our own tokens already verified (`TOKEN_CACHE_ENTRIES`, `TOKEN_CACHE_BYTES`).
//! Neither touches the network at cold start; the DynamoDB client is only built when the
//! revocation check is on.

use std::sync::Mutex;

use auth_aws::{Config, Store};
use auth_core::{TokenCache, TokenCacheLimits};

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
    /// Our own tokens already verified, used while the key set holds an asymmetric key
    /// (`TOKEN_CACHE_ENTRIES=0` turns it off).
    pub token_cache: Option<Mutex<TokenCache>>,
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
            token_cache: None,
        })
    }

    /// With the verified-token cache that `lookup` (the environment) sets up: its bounds are
    /// `TOKEN_CACHE_ENTRIES` (default 512; 0 turns the cache off) and `TOKEN_CACHE_BYTES`
    /// (default 131072).
    pub fn with_token_cache(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SetupError> {
        let defaults = TokenCacheLimits::default();
        let number = |name: &'static str, default: usize| -> Result<usize, SetupError> {
            match lookup(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(value) => value
                    .trim()
                    .parse()
                    .map_err(|_| SetupError::TokenCache { name, value }),
            }
        };
        let limits = TokenCacheLimits {
            max_entries: number("TOKEN_CACHE_ENTRIES", defaults.max_entries)?,
            max_bytes: number("TOKEN_CACHE_BYTES", defaults.max_bytes)?,
        };
        self.token_cache = (limits.max_entries > 0 && limits.max_bytes > 0)
            .then(|| Mutex::new(TokenCache::new(limits)));
        Ok(self)
    }
}
