//! Brute-force protection policy: how many failed attempts lock an account or a source address,
//! and for how long.
//!
//! Failures are counted per account and per source IP. Once a counter reaches its threshold,
//! each further failure locks for `base * 2^(failures - threshold)` seconds, capped at `max`.
//! While locked, attempts are refused without checking the password, so they neither cost an
//! argon2 verification nor extend the count. A counter is forgotten `window` seconds after its
//! last failure (`window` is at least `max`, so a counter outlives the lock it caused and the
//! next failure locks for longer), and a successful sign-in clears the account's counter. No lock
//! outlasts `max` after the failure that caused it: a victim is locked out only for as long as
//! an attacker keeps failing, and at most `max` past the last failure.

/// How a refused (locked) attempt is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockoutResponse {
    /// 429 Too Many Requests with `Retry-After` (the default).
    TooManyRequests,
    /// 400 `invalid_grant`, indistinguishable from a wrong password.
    InvalidGrant,
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

#[cfg(test)]
mod tests {
    use super::*;

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
