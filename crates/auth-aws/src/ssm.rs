//! SSM Parameter Store reads, fetched in parallel and cached with a TTL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_ssm::Client;
use aws_sdk_ssm::error::DisplayErrorContext;
use tokio::task::JoinSet;

use crate::error::ConfigError;

/// A cache of SSM parameter values (decrypted), each kept for `ttl`.
pub struct ParameterCache {
    client: Client,
    ttl: Duration,
    entries: Mutex<HashMap<String, (String, Instant)>>,
}

impl ParameterCache {
    /// A cache over the given client.
    pub fn new(client: Client, ttl: Duration) -> Self {
        Self {
            client,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The values of `names`, from the cache when fresh; the others are fetched in parallel.
    pub async fn get_many(&self, names: &[String]) -> Result<HashMap<String, String>, ConfigError> {
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
            let client = self.client.clone();
            fetches.spawn(async move {
                let result = fetch(&client, &name).await;
                (name, result)
            });
        }
        while let Some(joined) = fetches.join_next().await {
            let (name, result) = joined.map_err(|err| ConfigError::Ssm {
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
    pub fn is_stale(&self, names: &[String]) -> bool {
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

async fn fetch(client: &Client, name: &str) -> Result<String, ConfigError> {
    let output = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|err| ConfigError::Ssm {
            name: name.to_owned(),
            message: DisplayErrorContext(&err).to_string(),
        })?;
    output
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| ConfigError::Ssm {
            name: name.to_owned(),
            message: "parameter has no value".to_owned(),
        })
}
