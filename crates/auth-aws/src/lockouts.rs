//! Failed-attempt counters for brute-force protection, per account, client and source IP.
//! Item: `pk = LOCK#<kind>#<key>`, `sk = LOCK`, `failures`, `last_failure`, `locked_until`, `ttl`.
//! The policy (thresholds, growth, cap) is [`auth_core::LockoutPolicy`].

use auth_core::LockoutPolicy;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnValue};

use crate::error::StoreError;
use crate::store::{Store, conditional, dynamo, get_n, n, s};

const LOCK_SK: &str = "LOCK";

/// What failures are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKey<'a> {
    /// A user name.
    Account(&'a str),
    /// An OAuth client id.
    Client(&'a str),
    /// A source IP address.
    Ip(&'a str),
}

impl LockKey<'_> {
    fn pk(&self) -> AttributeValue {
        match self {
            Self::Account(name) => s(format!("LOCK#user#{name}")),
            Self::Client(id) => s(format!("LOCK#client#{id}")),
            Self::Ip(ip) => s(format!("LOCK#ip#{ip}")),
        }
    }

    /// The failure threshold for this kind of key.
    pub fn threshold(&self, policy: &LockoutPolicy) -> u64 {
        match self {
            Self::Account(_) | Self::Client(_) => policy.account_threshold,
            Self::Ip(_) => policy.ip_threshold,
        }
    }
}

impl Store {
    /// The latest `locked_until` among `keys` that is still in the future, if any.
    pub async fn locked_until(
        &self,
        keys: &[LockKey<'_>],
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        if keys.is_empty() {
            return Ok(None);
        }
        let mut builder = KeysAndAttributes::builder()
            .projection_expression("locked_until")
            .consistent_read(true);
        for key in keys {
            builder = builder.keys(std::collections::HashMap::from([
                ("pk".to_owned(), key.pk()),
                ("sk".to_owned(), s(LOCK_SK)),
            ]));
        }
        let request = builder.build().map_err(|err| dynamo("BatchGetItem", err))?;
        let output = self
            .client
            .batch_get_item()
            .request_items(&self.table, request)
            .send()
            .await
            .map_err(|err| dynamo("BatchGetItem", err))?;
        let until = output
            .responses
            .and_then(|mut r| r.remove(&self.table))
            .unwrap_or_default()
            .iter()
            .filter_map(|item| get_n(item, "locked_until").ok())
            .filter(|until| *until > now)
            .max();
        Ok(until)
    }

    /// Counts a failure against `key`; returns the lock it now carries in seconds (0: none).
    /// A counter whose last failure is older than the policy's window starts again at one.
    pub async fn record_failure(
        &self,
        key: LockKey<'_>,
        policy: &LockoutPolicy,
        now: u64,
    ) -> Result<u64, StoreError> {
        let ttl = now
            .saturating_add(policy.window_secs)
            .saturating_add(policy.max_secs);
        let cutoff = now.saturating_sub(policy.window_secs);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", key.pk())
            .key("sk", s(LOCK_SK))
            .update_expression("ADD failures :one SET last_failure = :now, #ttl = :ttl")
            .condition_expression("attribute_not_exists(pk) OR last_failure > :cutoff")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":ttl", n(ttl))
            .expression_attribute_values(":cutoff", n(cutoff))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        let failures = match conditional(result, "UpdateItem")? {
            Some(output) => output
                .attributes
                .as_ref()
                .and_then(|item| get_n(item, "failures").ok())
                .unwrap_or(1),
            None => {
                // The window has passed since the last failure: start again.
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .item("pk", key.pk())
                    .item("sk", s(LOCK_SK))
                    .item("failures", n(1))
                    .item("last_failure", n(now))
                    .item("ttl", n(ttl))
                    .send()
                    .await
                    .map_err(|err| dynamo("PutItem", err))?;
                1
            }
        };
        let lock = policy.lock_secs(failures, key.threshold(policy));
        if lock > 0 {
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", key.pk())
                .key("sk", s(LOCK_SK))
                .update_expression("SET locked_until = :until")
                .expression_attribute_values(":until", n(now.saturating_add(lock)))
                .send()
                .await
                .map_err(|err| dynamo("UpdateItem", err))?;
        }
        Ok(lock)
    }

    /// Forgets the failures counted against `key` (after a successful sign-in).
    pub async fn clear_failures(&self, key: LockKey<'_>) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", key.pk())
            .key("sk", s(LOCK_SK))
            .send()
            .await
            .map_err(|err| dynamo("DeleteItem", err))?;
        Ok(())
    }
}
