//! Access tokens already verified, so that a token presented again skips the signature check:
//! for asymmetric keys, where verifying is most of an authorizer call (docs/performance.md), and
//! where API Gateway's own cache does not apply (HTTP API simple responses with caching off,
//! REQUEST authorizers keyed on many sources).
//!
//! Keyed by the SHA-256 of the whole token, so a different byte is a different token and no key
//! collides in practice. An entry never outlives the token's `exp` (without leeway), nor the key
//! set it was verified with: the cache belongs to one key set and forgets everything when asked
//! with another. Bounded in entries and in bytes; when full, the oldest entry goes first.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use aws_lc_rs::digest::{SHA256, digest};

use crate::claims::{Audience, Claims};
use crate::keyset::KeySet;

/// A token's cache key.
type TokenHash = [u8; 32];

/// The bounds of a [`TokenCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCacheLimits {
    /// At most this many tokens; default 512.
    pub max_entries: usize,
    /// At most this many bytes of cached claims (an estimate: strings and the entry itself);
    /// default 128 KiB.
    pub max_bytes: usize,
}

impl Default for TokenCacheLimits {
    fn default() -> Self {
        Self {
            max_entries: 512,
            max_bytes: 128 * 1024,
        }
    }
}

struct Entry {
    claims: Claims,
    bytes: usize,
}

/// Verified tokens and their claims, for one key set at a time.
pub struct TokenCache {
    limits: TokenCacheLimits,
    /// The key set the entries were verified with.
    keys: Option<Arc<KeySet>>,
    entries: HashMap<TokenHash, Entry>,
    /// Insertion order, oldest first (eviction order).
    order: VecDeque<TokenHash>,
    bytes: usize,
    hits: u64,
    misses: u64,
}

impl TokenCache {
    /// An empty cache within `limits`.
    pub fn new(limits: TokenCacheLimits) -> Self {
        Self {
            limits,
            keys: None,
            entries: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            hits: 0,
            misses: 0,
        }
    }

    /// The claims of `token` if it was verified with `keys` and has not expired at `now`; counts
    /// a hit or a miss.
    pub fn get(&mut self, keys: &Arc<KeySet>, token: &str, now: u64) -> Option<Claims> {
        self.use_keys(keys);
        let hash = hash(token);
        let found = match self.entries.get(&hash) {
            Some(entry) if entry.claims.exp > now => Some(entry.claims.clone()),
            Some(_) => {
                self.remove(&hash);
                None
            }
            None => None,
        };
        match found {
            Some(_) => self.hits += 1,
            None => self.misses += 1,
        }
        found
    }

    /// Remembers that `token` verified with `keys` to `claims`, unless it expires by `now` or
    /// does not fit at all.
    pub fn insert(&mut self, keys: &Arc<KeySet>, token: &str, claims: &Claims, now: u64) {
        self.use_keys(keys);
        let bytes = size_of(claims);
        if claims.exp <= now || bytes > self.limits.max_bytes || self.limits.max_entries == 0 {
            return;
        }
        let hash = hash(token);
        self.remove(&hash);
        while self.entries.len() >= self.limits.max_entries
            || self.bytes + bytes > self.limits.max_bytes
        {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(entry) = self.entries.remove(&oldest) {
                self.bytes -= entry.bytes;
            }
        }
        self.entries.insert(
            hash,
            Entry {
                claims: claims.clone(),
                bytes,
            },
        );
        self.order.push_back(hash);
        self.bytes += bytes;
    }

    /// Hits and misses since the last call, then zero.
    pub fn take_counts(&mut self) -> (u64, u64) {
        (
            std::mem::take(&mut self.hits),
            std::mem::take(&mut self.misses),
        )
    }

    /// How many tokens are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets every entry when `keys` is another key set than the entries were verified with.
    fn use_keys(&mut self, keys: &Arc<KeySet>) {
        if self
            .keys
            .as_ref()
            .is_some_and(|held| Arc::ptr_eq(held, keys))
        {
            return;
        }
        self.entries.clear();
        self.order.clear();
        self.bytes = 0;
        self.keys = Some(Arc::clone(keys));
    }

    fn remove(&mut self, hash: &TokenHash) {
        if let Some(entry) = self.entries.remove(hash) {
            self.bytes -= entry.bytes;
            self.order.retain(|held| held != hash);
        }
    }
}

fn hash(token: &str) -> TokenHash {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    out
}

/// What an entry takes: its strings, the claims and key themselves, and the order slot.
fn size_of(claims: &Claims) -> usize {
    let strings = claims.iss.len()
        + claims.sub.len()
        + claims.jti.len()
        + claims.scope.as_ref().map_or(0, String::len)
        + claims.client_id.as_ref().map_or(0, String::len)
        + claims.fam.as_ref().map_or(0, String::len)
        + match &claims.aud {
            None => 0,
            Some(Audience::One(aud)) => aud.len(),
            Some(Audience::Many(auds)) => auds.iter().map(String::len).sum(),
        };
    strings + std::mem::size_of::<Entry>() + 2 * std::mem::size_of::<TokenHash>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use crate::claims::TokenType;

    const NOW: u64 = 1_764_000_000;

    fn keys() -> Arc<KeySet> {
        Arc::new(KeySet::from_secret(
            &Secret::new("unit-test-secret-0123456789abcdef0123").unwrap(),
        ))
    }

    fn claims(sub: &str, exp: u64) -> Claims {
        Claims {
            iss: "lambda-api".into(),
            sub: sub.into(),
            aud: None,
            iat: NOW,
            exp,
            nbf: None,
            jti: format!("jti-{sub}"),
            token_type: TokenType::Access,
            scope: Some("read".into()),
            client_id: None,
            fam: None,
        }
    }

    fn cache(max_entries: usize, max_bytes: usize) -> TokenCache {
        TokenCache::new(TokenCacheLimits {
            max_entries,
            max_bytes,
        })
    }

    #[test]
    fn a_token_seen_again_is_a_hit_and_others_are_misses() {
        let (keys, mut cache) = (keys(), TokenCache::new(TokenCacheLimits::default()));
        assert!(cache.get(&keys, "a.b.c", NOW).is_none());
        cache.insert(&keys, "a.b.c", &claims("alice", NOW + 300), NOW);
        assert_eq!(cache.get(&keys, "a.b.c", NOW + 1).unwrap().sub, "alice");
        // One byte more is another token.
        assert!(cache.get(&keys, "a.b.cd", NOW + 1).is_none());
        assert_eq!(cache.take_counts(), (1, 2));
        assert_eq!(cache.take_counts(), (0, 0));
    }

    #[test]
    fn an_entry_never_outlives_the_token() {
        let (keys, mut cache) = (keys(), TokenCache::new(TokenCacheLimits::default()));
        cache.insert(&keys, "t", &claims("alice", NOW + 10), NOW);
        assert!(cache.get(&keys, "t", NOW + 9).is_some());
        assert!(
            cache.get(&keys, "t", NOW + 10).is_none(),
            "exp is not in the past"
        );
        assert!(cache.is_empty());
        // Expired already: not kept at all.
        cache.insert(&keys, "old", &claims("bob", NOW), NOW);
        assert!(cache.is_empty());
    }

    #[test]
    fn another_key_set_forgets_every_entry() {
        let (first, second, mut cache) =
            (keys(), keys(), TokenCache::new(TokenCacheLimits::default()));
        cache.insert(&first, "t", &claims("alice", NOW + 300), NOW);
        assert!(cache.get(&second, "t", NOW).is_none());
        assert!(cache.is_empty());
        assert!(
            cache.get(&first, "t", NOW).is_none(),
            "gone for the first set too"
        );
    }

    #[test]
    fn the_oldest_entry_goes_when_entries_or_bytes_run_out() {
        let keys = keys();
        let mut by_count = cache(2, usize::MAX);
        for token in ["t1", "t2", "t3"] {
            by_count.insert(&keys, token, &claims(token, NOW + 300), NOW);
        }
        assert_eq!(by_count.len(), 2);
        assert!(by_count.get(&keys, "t1", NOW).is_none());
        assert!(by_count.get(&keys, "t3", NOW).is_some());

        let one = size_of(&claims("t1", NOW + 300));
        let mut by_bytes = cache(100, 2 * one + one / 2);
        for token in ["t1", "t2", "t3"] {
            by_bytes.insert(&keys, token, &claims(token, NOW + 300), NOW);
        }
        assert_eq!(by_bytes.len(), 2);
        assert!(by_bytes.get(&keys, "t1", NOW).is_none());
        assert!(by_bytes.bytes <= 2 * one + one / 2);
        // Claims larger than the whole budget are never held.
        let mut tiny = cache(10, one - 1);
        tiny.insert(&keys, "t", &claims("t1", NOW + 300), NOW);
        assert!(tiny.is_empty());
    }

    #[test]
    fn inserting_a_token_again_replaces_its_entry() {
        let (keys, mut cache) = (keys(), cache(2, usize::MAX));
        cache.insert(&keys, "t", &claims("alice", NOW + 300), NOW);
        cache.insert(&keys, "t", &claims("alice", NOW + 300), NOW);
        assert_eq!((cache.len(), cache.order.len()), (1, 1));
    }
}
