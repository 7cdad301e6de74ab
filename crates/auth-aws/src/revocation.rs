//! Access-token revocation: a list of revoked `jti`s (each kept until the token would have
//! expired anyway) and the time of each user's last logout.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::StoreError;
use crate::families::FAMILY_PREFIX;
use crate::store::{PROFILE_SK, Store, conditional, dynamo, get_n, n, s, user_pk};

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
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", revoked_pk(jti))
            .item("sk", s(REVOKED_SK))
            .item("sub", s(sub))
            .item("expires_at", n(exp))
            .item("ttl", n(exp))
            .send()
            .await
            .map_err(|err| dynamo("PutItem", err))?;
        Ok(())
    }

    /// Records a logout of every session of `sub` at `now`.
    pub async fn set_logout(&self, sub: &str, now: u64) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", user_pk(sub))
            .key("sk", s(PROFILE_SK))
            .update_expression("SET logout_at = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        // No such user (deleted since the token was issued): nothing to record.
        conditional(result, "UpdateItem")?;
        Ok(())
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
            match item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some(REVOKED_SK) => state.revoked = true,
                Some(PROFILE_SK) => state.logout_at = get_n(&item, "logout_at").ok(),
                Some(sk) if Some(sk) == family_sk.as_deref() => {
                    state.family_revoked = item.contains_key("revoked");
                }
                _ => {}
            }
        }
        Ok(state)
    }
}
