//! Attempt counters for brute-force protection, per account and source IP (clients are never
//! locked). Item: `pk = LOCK#<user|ip>#<key>`, `sk = LOCK`, `failures` (attempts counted: in
//! flight or failed), `last_failure` (when the last was counted), `locked_until`, `ttl`. The
//! policy (thresholds, growth, cap) is [`auth_core::LockoutPolicy`].

use auth_core::{AttemptCounter, LockoutPolicy, Reservation};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::StoreError;
use crate::items::{Item, Written, n, opt_n, s};
use crate::store::Store;

const LOCK_SK: &str = "LOCK";

/// What failures are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKey<'a> {
    /// A user name.
    Account(&'a str),
    /// A source IP address.
    Ip(&'a str),
}

impl LockKey<'_> {
    fn pk(&self) -> AttributeValue {
        match self {
            Self::Account(name) => s(format!("LOCK#user#{name}")),
            Self::Ip(ip) => s(format!("LOCK#ip#{ip}")),
        }
    }

    /// The failure threshold for this kind of key.
    pub fn threshold(&self, policy: &LockoutPolicy) -> u64 {
        match self {
            Self::Account(_) => policy.account_threshold,
            Self::Ip(_) => policy.ip_threshold,
        }
    }
}

/// An attempt counted against one counter by [`Store::reserve_attempt`]: what to undo if the
/// attempt is given back ([`Store::release_attempt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserved<'a> {
    /// The counter.
    pub key: LockKey<'a>,
    /// Whether anything was counted (nothing is when the threshold is 0).
    pub counted: bool,
    /// The lock this attempt started, seconds (0: none).
    pub lock_secs: u64,
    /// That lock's end, epoch seconds (0: none).
    pub locked_until: u64,
}

/// What [`Store::reserve_attempt`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptReservation<'a> {
    /// Counted: the attempt may check a password.
    Granted(Reserved<'a>),
    /// Locked until this time (epoch seconds): no password may be checked.
    Refused {
        /// When the lock ends.
        until: u64,
    },
}

/// How often a reservation that lost a race is decided again against the counter that won.
const RESERVE_ROUNDS: usize = 16;

fn counter_of(item: &Item) -> AttemptCounter {
    AttemptCounter {
        attempts: opt_n(item, "failures").unwrap_or(0),
        last_at: opt_n(item, "last_failure").unwrap_or(0),
        locked_until: opt_n(item, "locked_until").unwrap_or(0),
    }
}

impl Store {
    /// Counts an attempt against `key` before its password is checked, or refuses it while the
    /// counter is locked ([`LockoutPolicy::reserve`]). One conditional UpdateItem when the
    /// counter is missing or far from its threshold; otherwise each write is conditioned on the
    /// counter it was decided from, and a write that lost a race is decided again against the
    /// counter that won (returned by the failed write): concurrent attempts are counted one by
    /// one, so no more than the threshold of them are granted per lock period.
    pub async fn reserve_attempt<'a>(
        &self,
        key: LockKey<'a>,
        policy: &LockoutPolicy,
        now: u64,
    ) -> Result<AttemptReservation<'a>, StoreError> {
        let threshold = key.threshold(policy);
        let granted = |lock_secs: u64, locked_until: u64| {
            AttemptReservation::Granted(Reserved {
                key,
                counted: true,
                lock_secs,
                locked_until,
            })
        };
        if threshold == 0 {
            return Ok(AttemptReservation::Granted(Reserved {
                key,
                counted: false,
                lock_secs: 0,
                locked_until: 0,
            }));
        }
        let ttl = now
            .saturating_add(policy.window_secs)
            .saturating_add(policy.max_secs);
        let cutoff = now.saturating_sub(policy.window_secs);
        let base = || {
            self.update_item(key.pk(), s(LOCK_SK))
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":ttl", n(ttl))
                .expression_attribute_values(":cutoff", n(cutoff))
        };
        // The common case in one write: a missing counter, or a live unlocked one that this
        // attempt leaves below the threshold, is simply incremented (no lock to compute).
        let add = || {
            base()
                .update_expression("ADD failures :one SET last_failure = :now, #ttl = :ttl")
                .condition_expression(
                    "attribute_not_exists(pk) OR (last_failure > :cutoff AND failures < :below \
                     AND (attribute_not_exists(locked_until) OR locked_until <= :now))",
                )
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":below", n(threshold.saturating_sub(1)))
        };
        // `None`: not looked at yet (the common case is assumed).
        let mut seen: Option<Option<AttemptCounter>> = (threshold < 2).then_some(None);
        for _ in 0..RESERVE_ROUNDS {
            let (write, lock_secs, locked_until) = match seen {
                None => (add(), 0, 0),
                Some(current) => {
                    let (next, lock_secs) = match policy.reserve(current.as_ref(), threshold, now) {
                        Reservation::Refused { until } => {
                            return Ok(AttemptReservation::Refused { until });
                        }
                        Reservation::Granted { next, lock_secs } => (next, lock_secs),
                    };
                    let live = current.filter(|c| policy.is_live(c, now));
                    if lock_secs == 0 && threshold >= 2 && (live.is_some() || current.is_none()) {
                        (add(), 0, 0)
                    } else {
                        // The lock (or a forgotten counter's restart) is computed here, so the
                        // write is conditioned on exactly the counter it was decided from: the
                        // same live, unlocked count, or a counter (still) missing or forgotten.
                        let write = base()
                            .update_expression(
                                "SET failures = :next, last_failure = :now, \
                                 locked_until = :until, #ttl = :ttl",
                            )
                            .expression_attribute_values(":next", n(next.attempts))
                            .expression_attribute_values(":until", n(next.locked_until));
                        let write = match live {
                            Some(counter) => write
                                .condition_expression(
                                    "failures = :seen AND last_failure > :cutoff AND \
                                     (attribute_not_exists(locked_until) OR locked_until <= :now)",
                                )
                                .expression_attribute_values(":seen", n(counter.attempts)),
                            None => write.condition_expression(
                                "attribute_not_exists(pk) OR attribute_not_exists(last_failure) \
                                 OR last_failure <= :cutoff",
                            ),
                        };
                        (write, lock_secs, next.locked_until)
                    }
                }
            };
            match Self::update_or_current(write).await? {
                Written::Done => return Ok(granted(lock_secs, locked_until)),
                Written::ConditionFailed(item) => seen = Some(item.as_ref().map(counter_of)),
            }
        }
        Err(StoreError::Dynamo {
            operation: "UpdateItem",
            message: "the attempt counter kept changing".to_owned(),
        })
    }

    /// Gives a reserved attempt back (it checked no password, or it was a success that should
    /// not count against its source address): one less attempt, and the lock it started, if no
    /// later attempt replaced it, lifted.
    pub async fn release_attempt(&self, reserved: &Reserved<'_>) -> Result<(), StoreError> {
        if !reserved.counted {
            return Ok(());
        }
        let base = || {
            self.update_item(reserved.key.pk(), s(LOCK_SK))
                .expression_attribute_values(":one", n(1))
        };
        if reserved.lock_secs > 0 {
            let lift = base()
                .update_expression("SET failures = failures - :one, locked_until = :zero")
                .condition_expression("failures >= :one AND locked_until = :ours")
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":ours", n(reserved.locked_until));
            if let Written::Done = Self::update_or_current(lift).await? {
                return Ok(());
            }
        }
        let decrement = base()
            .update_expression("SET failures = failures - :one")
            .condition_expression("failures >= :one");
        // Nothing to give back (cleared meanwhile) is fine.
        Self::update_or_current(decrement).await?;
        Ok(())
    }

    /// Forgets the attempts counted against `key` (after a successful sign-in).
    pub async fn clear_failures(&self, key: LockKey<'_>) -> Result<(), StoreError> {
        self.delete(key.pk(), s(LOCK_SK)).await
    }
}
