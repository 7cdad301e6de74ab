//! Access-token revocation: a list of revoked `jti`s (each kept until the token would have
//! expired anyway) and the time of each user's last logout.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::StoreError;
use crate::families::FAMILY_PREFIX;
use crate::items::{Item, n, opt_n, opt_s, s};
use crate::store::{PROFILE_SK, Store, user_pk};

const REVOKED_SK: &str = "REVOKED";

/// The attributes [`Store::revocation_state`] reads, its projection: the authorizer's IAM policy
/// (template.yaml, `ReadRevocations`) allows exactly these through `dynamodb:Attributes`, so
/// that it cannot read a password or client-secret hash.
pub const REVOCATION_ATTRIBUTES: [&str; 4] = ["pk", "sk", "logout_at", "revoked"];

fn revoked_pk(jti: &str) -> AttributeValue {
    s(format!("REVOKED#{jti}"))
}

/// What the table says about one access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RevocationState {
    /// The token's `jti` is on the revocation list.
    pub revoked: bool,
    /// The subject's last logout, epoch seconds: tokens issued at or before it are dead.
    pub logout_at: Option<u64>,
    /// The token's refresh-token family (claim `fam`) was revoked: by `/revoke`, by reuse
    /// detection or by logout.
    pub family_revoked: bool,
}

impl RevocationState {
    /// Whether a token issued at `iat` is dead.
    pub fn rejects(&self, iat: u64) -> bool {
        self.revoked || self.family_revoked || self.logout_at.is_some_and(|at| iat <= at)
    }
}

impl Store {
    /// Puts an access token on the revocation list until `exp` (the item's TTL).
    pub async fn revoke_access(&self, jti: &str, sub: &str, exp: u64) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".to_owned(), revoked_pk(jti)),
            ("sk".to_owned(), s(REVOKED_SK)),
            ("sub".to_owned(), s(sub)),
            ("expires_at".to_owned(), n(exp)),
            ("ttl".to_owned(), n(exp)),
        ]))
        .await
    }

    /// Records a logout of every session of `sub` at `now`.
    pub async fn set_logout(&self, sub: &str, now: u64) -> Result<(), StoreError> {
        let update = self
            .update_item(user_pk(sub), s(PROFILE_SK))
            .update_expression("SET logout_at = :now")
            .expression_attribute_values(":now", n(now));
        // No such user (deleted since the token was issued): nothing to record.
        Self::update_if_exists(update).await
    }

    /// Whether `jti` is revoked and, for a user's token (one of a refresh-token `family`), when
    /// the user `sub` last logged out and whether that family was revoked: one BatchGetItem. A
    /// token without a family is a client's own (client_credentials): only its `jti` counts.
    pub async fn revocation_state(
        &self,
        sub: &str,
        jti: &str,
        family: Option<&str>,
        consistent: bool,
    ) -> Result<RevocationState, StoreError> {
        let mut keys = vec![(revoked_pk(jti), REVOKED_SK)];
        // Only a user's token has a family (client_credentials tokens never do): a token
        // without one is a client's, which a user of the same name logging out must not touch
        // (user names and client ids are separate namespaces).
        let family_sk = family.map(|id| format!("{FAMILY_PREFIX}{id}"));
        if let Some(sk) = &family_sk {
            keys.push((user_pk(sub), PROFILE_SK));
            keys.push((user_pk(sub), sk.as_str()));
        }
        let items = self
            .batch_get(keys, &REVOCATION_ATTRIBUTES.join(", "), consistent)
            .await?;
        let mut state = RevocationState::default();
        for item in items {
            match opt_s(&item, "sk") {
                Some(REVOKED_SK) => state.revoked = true,
                Some(PROFILE_SK) => state.logout_at = opt_n(&item, "logout_at"),
                Some(sk) if Some(sk) == family_sk.as_deref() => {
                    state.family_revoked = item.contains_key("revoked");
                }
                _ => {}
            }
        }
        Ok(state)
    }
}
