//! API Gateway's authorizer cache: one answer per authorizer and identity-source value, kept for
//! the authorizer's TTL and applied to every later request with the same identity, whatever
//! route it is for. That reuse across routes is the point: a policy that only covers the route
//! it was issued for breaks the next route, and this makes it show locally.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::policy::Answer;

/// Above this many entries, expired ones are dropped on insert.
const PRUNE_ABOVE: usize = 1024;

/// Cached authorizer answers.
#[derive(Debug, Default)]
pub struct PolicyCache {
    entries: Mutex<HashMap<CacheKey, (Instant, Arc<Answer>)>>,
}

/// An authorizer and the identity-source values of a request, in the configured order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    authorizer: String,
    identity: Vec<String>,
}

impl CacheKey {
    /// The key for `identity` (the header for TOKEN, every source for REQUEST) of `authorizer`.
    pub fn new(authorizer: &str, identity: Vec<String>) -> Self {
        Self {
            authorizer: authorizer.to_owned(),
            identity,
        }
    }
}

impl PolicyCache {
    /// The answer cached for `key`, unless it expired before `now`.
    pub fn get(&self, key: &CacheKey, now: Instant) -> Option<Arc<Answer>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (expires, answer) = entries.get(key)?;
        (now < *expires).then(|| Arc::clone(answer))
    }

    /// Keeps `answer` for `ttl` from `now`; a zero TTL keeps nothing.
    pub fn put(&self, key: CacheKey, answer: Arc<Answer>, ttl: Duration, now: Instant) {
        if ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() > PRUNE_ABOVE {
            entries.retain(|_, (expires, _)| now < *expires);
        }
        entries.insert(key, (now + ttl, answer));
    }

    /// Forgets everything (as a redeploy of the stage would).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;

    fn answer() -> Arc<Answer> {
        Arc::new(Answer {
            principal_id: "alice".into(),
            statements: Vec::new(),
            context: Map::new(),
        })
    }

    #[test]
    fn an_answer_is_reused_until_its_ttl_ends() {
        let cache = PolicyCache::default();
        let key = CacheKey::new("Jwt", vec!["Bearer a".into()]);
        let now = Instant::now();
        cache.put(key.clone(), answer(), Duration::from_secs(10), now);
        assert!(cache.get(&key, now + Duration::from_secs(9)).is_some());
        assert!(cache.get(&key, now + Duration::from_secs(10)).is_none());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = PolicyCache::default();
        let key = CacheKey::new("Jwt", vec!["Bearer a".into()]);
        let now = Instant::now();
        cache.put(key.clone(), answer(), Duration::ZERO, now);
        assert!(cache.get(&key, now).is_none());
    }

    #[test]
    fn identities_and_authorizers_do_not_share_entries() {
        let cache = PolicyCache::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(10);
        cache.put(
            CacheKey::new("Jwt", vec!["Bearer a".into()]),
            answer(),
            ttl,
            now,
        );
        assert!(
            cache
                .get(&CacheKey::new("Jwt", vec!["Bearer b".into()]), now)
                .is_none()
        );
        assert!(
            cache
                .get(&CacheKey::new("Other", vec!["Bearer a".into()]), now)
                .is_none()
        );
    }
}
