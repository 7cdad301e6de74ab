//! Failed-attempt counters for brute-force protection, per account, client and source IP.
//! Item: `pk = LOCK#<kind>#<key>`, `sk = LOCK`, `failures`, `last_failure`, `locked_until`, `ttl`.
//! The policy (thresholds, growth, cap) is [`auth_core::LockoutPolicy`].

use auth_core::LockoutPolicy;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

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
        let keys = keys.iter().map(|key| (key.pk(), LOCK_SK)).collect();
        let until = self
            .batch_get(keys, "locked_until", true)
            .await?
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
        // Two conditional writes: add to a live counter, or start a forgotten (or missing) one at
        // one. Each decides atomically, so concurrent failures are never lost; a race between
        // the two (another request restarted the counter meanwhile) is asked again.
        let mut failures = None;
        for _ in 0..3 {
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", key.pk())
                .key("sk", s(LOCK_SK))
                .update_expression("ADD failures :one SET last_failure = :now, #ttl = :ttl")
                .condition_expression("attribute_exists(pk) AND last_failure > :cutoff")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":ttl", n(ttl))
                .expression_attribute_values(":cutoff", n(cutoff))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            if let Some(output) = conditional(result, "UpdateItem")? {
                failures = Some(
                    output
                        .attributes
                        .as_ref()
                        .and_then(|item| get_n(item, "failures").ok())
                        .unwrap_or(1),
                );
                break;
            }
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", key.pk())
                .item("sk", s(LOCK_SK))
                .item("failures", n(1))
                .item("last_failure", n(now))
                .item("ttl", n(ttl))
                .condition_expression("attribute_not_exists(pk) OR last_failure <= :cutoff")
                .expression_attribute_values(":cutoff", n(cutoff))
                .send()
                .await;
            if conditional(result, "PutItem")?.is_some() {
                failures = Some(1);
                break;
            }
        }
        let failures = failures.ok_or_else(|| StoreError::Dynamo {
            operation: "UpdateItem",
            message: "the failure counter kept changing".to_owned(),
        })?;
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
