//! Brute-force protection policy: how many failed attempts lock an account or a source address,
//! and for how long.
//!
//! Attempts are counted per account and per source IP, and counted *before* the password is
//! checked: an attempt first reserves its place in each counter ([`LockoutPolicy::reserve`]),
//! one conditional write per counter, so that concurrent attempts cannot all pass a check made
//! before any of them was counted. A failure keeps its reservation (it is the counted failure);
//! a success clears the account's counter and gives the source address its place back. So at
//! most `threshold` passwords are checked per lock period, whatever the concurrency.
//!
//! Once a counter reaches its threshold, the attempt that reaches it (and each further one after
//! a lock ends) locks for `base * 2^(attempts - threshold)` seconds, capped at `max`, from the
//! moment it was reserved. While locked, attempts are refused without checking the password, so
//! they neither cost an argon2 verification nor extend the count. A counter is forgotten `window`
//! seconds after its last attempt (`window` is at least `max`, so a counter outlives the lock it
//! caused and the next failure locks for longer). No lock outlasts `max` after the attempt that
//! caused it: a victim is locked out only for as long as an attacker keeps failing, and at most
//! `max` past the last failure.

/// How a refused (locked) attempt is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockoutResponse {
    /// 429 Too Many Requests with `Retry-After` (the default).
    TooManyRequests,
    /// 400 `invalid_grant`, indistinguishable from a wrong password.
    InvalidGrant,
}

impl LockoutResponse {
    /// Whether a locked attempt must look like a wrong password, in its answer and in the time it
    /// takes: then a dummy password verification runs before the answer.
    pub fn hides_lock(self) -> bool {
        matches!(self, Self::InvalidGrant)
    }
}

/// One attempt counter as stored (an account's or a source address's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttemptCounter {
    /// Attempts counted: those in flight and those that failed.
    pub attempts: u64,
    /// When the last one was counted, epoch seconds.
    pub last_at: u64,
    /// Until when attempts are refused, epoch seconds (0 or past: not locked).
    pub locked_until: u64,
}

/// What [`LockoutPolicy::reserve`] decides for one attempt against one counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may check a password; the counter becomes `next`.
    Granted {
        /// The counter with this attempt counted.
        next: AttemptCounter,
        /// The lock this attempt starts (0: none): it was the last one the period allows.
        lock_secs: u64,
    },
    /// Locked: refused without a password check until `until` (epoch seconds).
    Refused {
        /// When the lock ends.
        until: u64,
    },
}

/// Thresholds and durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures per account before it locks. Default 5.
    pub account_threshold: u64,
    /// Failures per source IP before it locks. Default 20.
    pub ip_threshold: u64,
    /// First lock duration, seconds. Default 30.
    pub base_secs: u64,
    /// Longest lock, seconds. Default 900 (15 minutes).
    pub max_secs: u64,
    /// A counter is forgotten this long after its last failure, seconds; at least `max_secs`.
    /// Default 86400 (a day).
    pub window_secs: u64,
    /// How a locked attempt is answered.
    pub response: LockoutResponse,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            account_threshold: 5,
            ip_threshold: 20,
            base_secs: 30,
            max_secs: 900,
            window_secs: 86_400,
            response: LockoutResponse::TooManyRequests,
        }
    }
}

impl LockoutPolicy {
    /// How long to lock after `failures` failures against a counter with `threshold`
    /// (0: not locked).
    pub fn lock_secs(&self, failures: u64, threshold: u64) -> u64 {
        if threshold == 0 || failures < threshold {
            return 0;
        }
        let doublings = u32::try_from(failures - threshold)
            .unwrap_or(u32::MAX)
            .min(32);
        self.base_secs
            .saturating_mul(1u64 << doublings)
            .min(self.max_secs)
    }
}

impl LockoutPolicy {
    /// Whether `counter` still counts at `now` (its last attempt is within the window).
    pub fn is_live(&self, counter: &AttemptCounter, now: u64) -> bool {
        counter.last_at > now.saturating_sub(self.window_secs)
    }

    /// Reserves an attempt against `current` (`None`: no counter yet) with `threshold`: refused
    /// while its lock holds, else counted, and locked from now when this attempt reaches the
    /// threshold. The store writes `next` only if the counter is still `current`, so of
    /// concurrent attempts each is decided against the one before it.
    pub fn reserve(
        &self,
        current: Option<&AttemptCounter>,
        threshold: u64,
        now: u64,
    ) -> Reservation {
        let live = current.filter(|counter| self.is_live(counter, now));
        if let Some(counter) = live.filter(|counter| counter.locked_until > now) {
            return Reservation::Refused {
                until: counter.locked_until,
            };
        }
        let attempts = live.map_or(0, |c| c.attempts).saturating_add(1);
        let lock_secs = self.lock_secs(attempts, threshold);
        Reservation::Granted {
            next: AttemptCounter {
                attempts,
                last_at: now,
                locked_until: if lock_secs > 0 {
                    now.saturating_add(lock_secs)
                } else {
                    0
                },
            },
            lock_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(reservation: Reservation) -> (AttemptCounter, u64) {
        match reservation {
            Reservation::Granted { next, lock_secs } => (next, lock_secs),
            Reservation::Refused { until } => panic!("refused until {until}"),
        }
    }

    #[test]
    fn at_most_threshold_attempts_are_granted_before_the_lock() {
        let policy = LockoutPolicy::default();
        let mut counter = None;
        let mut granted_count = 0;
        for _ in 0..12 {
            match policy.reserve(counter.as_ref(), 5, 1_000) {
                Reservation::Granted { next, .. } => {
                    granted_count += 1;
                    counter = Some(next);
                }
                Reservation::Refused { until } => assert_eq!(until, 1_030),
            }
        }
        assert_eq!(granted_count, 5);
    }

    #[test]
    fn the_attempt_that_reaches_the_threshold_starts_the_lock() {
        let policy = LockoutPolicy::default();
        let four = AttemptCounter {
            attempts: 4,
            last_at: 990,
            locked_until: 0,
        };
        let (next, lock) = granted(policy.reserve(Some(&four), 5, 1_000));
        assert_eq!(
            (next.attempts, next.last_at, next.locked_until, lock),
            (5, 1_000, 1_030, 30)
        );
        assert_eq!(
            policy.reserve(Some(&next), 5, 1_029),
            Reservation::Refused { until: 1_030 }
        );
    }

    #[test]
    fn after_a_lock_one_attempt_is_granted_and_locks_for_longer() {
        let policy = LockoutPolicy::default();
        let locked = AttemptCounter {
            attempts: 5,
            last_at: 1_000,
            locked_until: 1_030,
        };
        let (next, lock) = granted(policy.reserve(Some(&locked), 5, 1_030));
        assert_eq!((next.attempts, lock, next.locked_until), (6, 60, 1_090));
        assert!(matches!(
            policy.reserve(Some(&next), 5, 1_031),
            Reservation::Refused { until: 1_090 }
        ));
    }

    #[test]
    fn a_forgotten_counter_starts_again_at_one() {
        let policy = LockoutPolicy::default();
        let old = AttemptCounter {
            attempts: 9,
            last_at: 1_000,
            locked_until: 1_900,
        };
        let now = 1_000 + policy.window_secs;
        let (next, lock) = granted(policy.reserve(Some(&old), 5, now));
        assert_eq!((next.attempts, lock), (1, 0));
        assert!(policy.is_live(&old, now - 1) && !policy.is_live(&old, now));
    }

    #[test]
    fn a_threshold_of_zero_never_locks() {
        let policy = LockoutPolicy::default();
        let many = AttemptCounter {
            attempts: 1_000,
            last_at: 999,
            locked_until: 0,
        };
        assert_eq!(granted(policy.reserve(Some(&many), 0, 1_000)).1, 0);
    }

    #[test]
    fn only_the_invalid_grant_answer_hides_the_lock() {
        assert!(LockoutResponse::InvalidGrant.hides_lock());
        assert!(!LockoutResponse::TooManyRequests.hides_lock());
    }

    #[test]
    fn locks_grow_from_the_threshold_and_are_capped() {
        let policy = LockoutPolicy::default();
        assert_eq!(policy.lock_secs(4, 5), 0);
        assert_eq!(policy.lock_secs(5, 5), 30);
        assert_eq!(policy.lock_secs(6, 5), 60);
        assert_eq!(policy.lock_secs(8, 5), 240);
        assert_eq!(policy.lock_secs(10, 5), 900);
        assert_eq!(policy.lock_secs(u64::MAX, 5), 900);
        assert_eq!(policy.lock_secs(100, 0), 0, "threshold 0 turns locking off");
    }
}
