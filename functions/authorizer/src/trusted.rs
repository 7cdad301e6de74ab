//! Tokens of the issuers in `TRUSTED_ISSUERS` (e.g. a Cognito user pool), verified with the keys
//! each publishes at its `jwks_uri`.
//!
//! The rules live in auth-core (`JwksCache`); this module only does the fetching they ask for:
//! lazily, on the first token of an issuer (never at cold start), and again for an unknown `kid`,
//! never twice within 60 s per issuer. A failed or unusable fetch keeps the keys already held.

use std::sync::{Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use auth_core::{JwksCache, Step, TrustedClaims, TrustedIssuer};
use hyper::Uri;

use crate::error::{Denied, SetupError};
use crate::jwks::JwksClient;
use crate::reason::DenyReason;

/// One trusted issuer: its keys and where to fetch them.
pub struct Issuer {
    name: String,
    /// Its entry, for the principal namespace checked on our own tokens without the cache lock.
    entry: TrustedIssuer,
    uri: Uri,
    cache: Mutex<JwksCache>,
}

impl Issuer {
    fn cache(&self) -> MutexGuard<'_, JwksCache> {
        // Invocations run one at a time; a poisoned lock only means a panic elsewhere.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Every trusted issuer, and the client that fetches their keys.
pub struct TrustedIssuers {
    issuers: Vec<Issuer>,
    client: JwksClient,
}

impl TrustedIssuers {
    /// Parses `TRUSTED_ISSUERS`; `own_issuer` is our `TOKEN_ISSUER`, `leeway_secs` the clock-skew
    /// leeway our tokens get too. No network.
    pub fn parse(json: &str, own_issuer: &str, leeway_secs: u64) -> Result<Self, SetupError> {
        let issuers = TrustedIssuer::parse_list(json, own_issuer)?
            .into_iter()
            .map(|issuer| {
                let uri: Uri = issuer
                    .jwks_uri
                    .parse()
                    .map_err(|_| SetupError::JwksUri(issuer.issuer.clone()))?;
                Ok(Issuer {
                    name: issuer.issuer.clone(),
                    entry: issuer.clone(),
                    uri,
                    cache: Mutex::new(JwksCache::new(issuer, leeway_secs)),
                })
            })
            .collect::<Result<Vec<_>, SetupError>>()?;
        Ok(Self {
            issuers,
            client: JwksClient::new(),
        })
    }

    /// The trusted issuer whose `iss` this is.
    pub fn find(&self, iss: &str) -> Option<&Issuer> {
        self.issuers.iter().find(|issuer| issuer.name == iss)
    }

    /// Whether `principal` lies in a trusted issuer's namespace (`<principal_prefix>|...`).
    pub fn owns_principal(&self, principal: &str) -> bool {
        self.issuers
            .iter()
            .any(|issuer| issuer.entry.owns_principal(principal))
    }

    /// Verifies a token of `issuer`, fetching its JWKS first when the penalty box allows and the
    /// token's `kid` is not among the keys held.
    pub async fn verify(&self, issuer: &Issuer, token: &str) -> Result<TrustedClaims, Denied> {
        let now = Instant::now();
        let now_secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let step = issuer.cache().check(token, now, now_secs);
        match step {
            Step::Done(result) => result.map_err(Denied::from),
            Step::Unavailable => Err(Denied::new(DenyReason::JwksUnavailable)),
            Step::Fetch => {
                let fetched = self.client.fetch(&issuer.uri).await;
                let mut cache = issuer.cache();
                match fetched {
                    Ok(body) => match cache.record_jwks(&body, now) {
                        Ok((keys, skipped)) => {
                            tracing::info!(issuer = %issuer.name, keys, skipped, "jwks fetched");
                        }
                        Err(err) => {
                            tracing::warn!(issuer = %issuer.name, error = %err, "jwks unusable; keeping the keys held");
                            return Err(Denied::new(DenyReason::JwksUnavailable));
                        }
                    },
                    Err(err) => {
                        cache.record_failure(now);
                        tracing::warn!(issuer = %issuer.name, error = %err, "jwks fetch failed; keeping the keys held");
                        return Err(Denied::new(DenyReason::JwksUnavailable));
                    }
                }
                cache
                    .verify_fetched(token, now, now_secs)
                    .map_err(Denied::from)
            }
        }
    }
}
