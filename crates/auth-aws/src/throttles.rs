//! Request throttles per source address (registrations), counted before the work they guard.
//! Item: `pk = THROTTLE#<action>#<ip>`, `sk = THROTTLE`, `count`, `opened_at`, `ttl` (the
//! window's end). The policy (limit, window) is [`auth_core::ThrottlePolicy`].

use auth_core::{Admission, ThrottlePolicy, WindowCount};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::StoreError;
use crate::items::{Item, Written, n, opt_n, s};
use crate::store::Store;

const THROTTLE_SK: &str = "THROTTLE";
/// Conditional writes one request may make while others race it.
const ROUNDS: usize = 16;

/// What a throttle counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleKey<'a> {
    /// `POST /auth/register` from this source address.
    Register(&'a str),
}

impl ThrottleKey<'_> {
    fn pk(&self) -> AttributeValue {
        match self {
            Self::Register(ip) => s(format!("THROTTLE#register#{ip}")),
        }
    }
}

fn window_of(item: &Item) -> WindowCount {
    WindowCount {
        count: opt_n(item, "count").unwrap_or(0),
        opened_at: opt_n(item, "opened_at").unwrap_or(0),
    }
}

impl Store {
    /// Counts a request against `key`: `Ok(None)` when counted (or the throttle is off),
    /// `Ok(Some(retry_after))` when its window is full ([`ThrottlePolicy::admit`]). One
    /// conditional UpdateItem in the common case (an open window with room); a full, closed or
    /// missing window is decided from the item the failed write returns, and a new window is
    /// opened only if the old one is closed, so concurrent requests never exceed the limit.
    pub async fn count_request(
        &self,
        key: ThrottleKey<'_>,
        policy: &ThrottlePolicy,
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        if !policy.is_enabled() {
            return Ok(None);
        }
        let cutoff = now.saturating_sub(policy.window_secs);
        let base = || {
            self.update_item(key.pk(), s(THROTTLE_SK))
                .expression_attribute_names("#count", "count")
                .expression_attribute_values(":cutoff", n(cutoff))
        };
        let add = || {
            base()
                .update_expression("ADD #count :one")
                .condition_expression("opened_at > :cutoff AND #count < :limit")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":limit", n(policy.limit))
        };
        // `None`: not looked at yet (an open window with room is assumed, the common case).
        let mut seen: Option<Option<WindowCount>> = None;
        for _ in 0..ROUNDS {
            let write = match seen {
                None => add(),
                Some(current) => match policy.admit(current.as_ref(), now) {
                    Admission::Refused { retry_after } => return Ok(Some(retry_after)),
                    // Room in an open window: adding needs no more than its own condition.
                    Admission::Admitted { next } if next.count > 1 => add(),
                    // A new window, only if the one seen is (still) missing or closed: of
                    // concurrent requests one opens it, the others then add to it.
                    Admission::Admitted { next } => base()
                        .update_expression("SET #count = :next, opened_at = :opened, #ttl = :ttl")
                        .condition_expression(
                            "attribute_not_exists(pk) OR attribute_not_exists(opened_at) \
                             OR opened_at <= :cutoff",
                        )
                        .expression_attribute_names("#ttl", "ttl")
                        .expression_attribute_values(":next", n(next.count))
                        .expression_attribute_values(":opened", n(next.opened_at))
                        .expression_attribute_values(
                            ":ttl",
                            n(next.opened_at.saturating_add(policy.window_secs)),
                        ),
                },
            };
            match Self::update_or_current(write).await? {
                Written::Done => return Ok(None),
                Written::ConditionFailed(item) => seen = Some(item.as_ref().map(window_of)),
            }
        }
        Err(StoreError::Dynamo {
            operation: "UpdateItem",
            message: "the request counter kept changing".to_owned(),
        })
    }
}
