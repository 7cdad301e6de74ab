//! `REVOCATION_CHECK`: after one of our own access tokens verifies, ask the table whether its
//! `jti` was revoked or its subject logged out since it was issued (one eventually consistent
//! BatchGetItem), and keep the answer per `jti` for `REVOCATION_CACHE_TTL` so that the hot path
//! stays in memory.
//!
//! When the table cannot answer (an error, or no answer within 2 s) the token is refused: an
//! authorizer that was asked to check revocations does not let a possibly revoked token through
//! (fail closed). The failure is logged at ERROR and never cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use auth_aws::Store;
use auth_core::Claims;

use crate::error::Denied;
use crate::reason::DenyReason;

/// At most this many answers are cached; when full, expired ones go, then all of them.
pub const MAX_CACHED: usize = 10_000;
/// A lookup that takes longer is a failure.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

struct Cached {
    rejected: bool,
    until: Instant,
}

/// The revocation check with its cache.
pub struct RevocationCheck {
    store: Store,
    ttl: Duration,
    cache: Mutex<HashMap<String, Cached>>,
}

impl RevocationCheck {
    /// A check against `store`, caching answers for `ttl` (zero: no caching).
    pub fn new(store: Store, ttl: Duration) -> Self {
        Self {
            store,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` when the token is neither revoked nor older than its subject's last logout.
    pub async fn check(&self, claims: &Claims) -> Result<(), Denied> {
        let now = Instant::now();
        if let Some(rejected) = self.cached(&claims.jti, now) {
            return verdict(rejected);
        }
        let lookup =
            self.store
                .revocation_state(&claims.sub, &claims.jti, claims.fam.as_deref(), false);
        let state = match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
            Ok(Ok(state)) => state,
            Ok(Err(err)) => {
                tracing::error!(error = %err, jti = %claims.jti, "revocation check failed; token refused");
                return Err(Denied::new(DenyReason::RevocationCheckFailed));
            }
            Err(_) => {
                tracing::error!(jti = %claims.jti, "revocation check timed out; token refused");
                return Err(Denied::new(DenyReason::RevocationCheckFailed));
            }
        };
        let rejected = state.rejects(claims.iat);
        self.remember(&claims.jti, rejected, now);
        verdict(rejected)
    }

    /// Caches the answer for `jti` as of `now` (benchmarks prime the cache with it).
    pub fn remember(&self, jti: &str, rejected: bool, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut cache = self.lock();
        if cache.len() >= MAX_CACHED && !cache.contains_key(jti) {
            cache.retain(|_, cached| cached.until > now);
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
        }
        cache.insert(
            jti.to_owned(),
            Cached {
                rejected,
                until: now + self.ttl,
            },
        );
    }

    /// How many answers are cached.
    pub fn cached_len(&self) -> usize {
        self.lock().len()
    }

    fn cached(&self, jti: &str, now: Instant) -> Option<bool> {
        self.lock()
            .get(jti)
            .filter(|cached| cached.until > now)
            .map(|cached| cached.rejected)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn verdict(rejected: bool) -> Result<(), Denied> {
    if rejected {
        Err(Denied::new(DenyReason::Revoked))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check whose store is never reached (nothing listens on port 9).
    fn check(ttl_secs: u64) -> RevocationCheck {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let sdk = runtime.block_on(auth_aws::emulator_sdk_config("http://127.0.0.1:9"));
        RevocationCheck::new(Store::new(&sdk, "users"), Duration::from_secs(ttl_secs))
    }

    #[test]
    fn answers_are_cached_for_the_ttl_only() {
        let check = check(5);
        let t0 = Instant::now();
        check.remember("a", false, t0);
        check.remember("b", true, t0);
        assert_eq!(check.cached("a", t0 + Duration::from_secs(4)), Some(false));
        assert_eq!(check.cached("b", t0 + Duration::from_secs(4)), Some(true));
        assert_eq!(check.cached("a", t0 + Duration::from_secs(5)), None);
        assert_eq!(check.cached("c", t0), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let check = check(0);
        check.remember("a", false, Instant::now());
        assert_eq!(check.cached_len(), 0);
    }

    #[test]
    fn the_cache_is_bounded() {
        let check = check(5);
        let t0 = Instant::now();
        for i in 0..MAX_CACHED {
            check.remember(&format!("jti-{i}"), false, t0);
        }
        assert_eq!(check.cached_len(), MAX_CACHED);
        // Full of live answers: they all go.
        check.remember("one-more", false, t0);
        assert_eq!(check.cached_len(), 1);
        // Full with expired answers among them: only those go.
        for i in 0..MAX_CACHED - 1 {
            check.remember(&format!("jti-{i}"), false, t0);
        }
        let later = t0 + Duration::from_secs(3);
        check.remember("fresh", false, later);
        let t1 = t0 + Duration::from_secs(6);
        check.remember("newest", false, t1);
        assert_eq!(check.cached_len(), 2);
        assert_eq!(check.cached("fresh", t1), Some(false));
    }
}
