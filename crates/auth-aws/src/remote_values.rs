//! Remote configuration values: SSM Parameter Store parameters and Secrets Manager secrets,
//! fetched in parallel and cached with a TTL.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_ssm::error::DisplayErrorContext;
use tokio::task::JoinSet;

use crate::error::ConfigError;

/// Where a remote value lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Remote {
    /// An SSM parameter (String or SecureString, read with decryption).
    Param(String),
    /// A Secrets Manager secret's current string value.
    Secret(String),
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Param(name) => write!(f, "SSM parameter {name}"),
            Self::Secret(id) => write!(f, "secret {id}"),
        }
    }
}

/// A cache of remote values, each kept for `ttl`. Clients are made only for the services used.
pub struct RemoteCache {
    ssm: aws_sdk_ssm::Client,
    secrets: aws_sdk_secretsmanager::Client,
    ttl: Duration,
    entries: Mutex<HashMap<Remote, (String, Instant)>>,
}

impl RemoteCache {
    /// A cache using clients built from `sdk`.
    pub fn new(sdk: &SdkConfig, ttl: Duration) -> Self {
        Self {
            ssm: aws_sdk_ssm::Client::new(sdk),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The values of `names`, from the cache when fresh; the others are fetched in parallel.
    pub async fn get_many(&self, names: &[Remote]) -> Result<HashMap<Remote, String>, ConfigError> {
        let now = Instant::now();
        let mut values = HashMap::new();
        let mut missing = Vec::new();
        {
            let entries = self
                .entries
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for name in names {
                match entries.get(name) {
                    Some((value, fetched)) if now.duration_since(*fetched) < self.ttl => {
                        values.insert(name.clone(), value.clone());
                    }
                    _ => missing.push(name.clone()),
                }
            }
        }
        let mut fetches = JoinSet::new();
        for name in missing {
            let ssm = self.ssm.clone();
            let secrets = self.secrets.clone();
            fetches.spawn(async move {
                let result = match &name {
                    Remote::Param(param) => fetch_param(&ssm, param).await,
                    Remote::Secret(id) => fetch_secret(&secrets, id).await,
                };
                (name, result)
            });
        }
        while let Some(joined) = fetches.join_next().await {
            let (name, result) = joined.map_err(|err| ConfigError::Remote {
                name: "(task)".to_owned(),
                message: err.to_string(),
            })?;
            let value = result?;
            self.entries
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(name.clone(), (value.clone(), Instant::now()));
            values.insert(name, value);
        }
        Ok(values)
    }

    /// Whether any of `names` is missing or older than the TTL.
    pub fn is_stale(&self, names: &[Remote]) -> bool {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        names.iter().any(|name| {
            entries
                .get(name)
                .is_none_or(|(_, fetched)| fetched.elapsed() >= self.ttl)
        })
    }
}

fn remote_error(name: &Remote, message: String) -> ConfigError {
    ConfigError::Remote {
        name: name.to_string(),
        message,
    }
}

async fn fetch_param(client: &aws_sdk_ssm::Client, name: &str) -> Result<String, ConfigError> {
    let remote = || Remote::Param(name.to_owned());
    let output = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|err| remote_error(&remote(), DisplayErrorContext(&err).to_string()))?;
    output
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| remote_error(&remote(), "parameter has no value".to_owned()))
}

async fn fetch_secret(
    client: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Result<String, ConfigError> {
    let remote = || Remote::Secret(id.to_owned());
    let output = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|err| remote_error(&remote(), DisplayErrorContext(&err).to_string()))?;
    output
        .secret_string
        .ok_or_else(|| remote_error(&remote(), "secret has no string value".to_owned()))
}
