//! Access-token revocation: a list of revoked `jti`s (each kept until the token would have
//! expired anyway) and the time of each user's last logout.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use crate::error::StoreError;
use crate::store::{PROFILE_SK, Store, conditional, dynamo, get_n, n, s, user_pk};

const REVOKED_SK: &str = "REVOKED";

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
}

impl RevocationState {
    /// Whether a token issued at `iat` is dead.
    pub fn rejects(&self, iat: u64) -> bool {
        self.revoked || self.logout_at.is_some_and(|at| iat <= at)
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

    /// Whether `jti` is revoked and when `sub` last logged out: one BatchGetItem.
    pub async fn revocation_state(
        &self,
        sub: &str,
        jti: &str,
        consistent: bool,
    ) -> Result<RevocationState, StoreError> {
        let key = |pk: AttributeValue, sk: &str| {
            HashMap::from([("pk".to_owned(), pk), ("sk".to_owned(), s(sk))])
        };
        let keys = KeysAndAttributes::builder()
            .keys(key(revoked_pk(jti), REVOKED_SK))
            .keys(key(user_pk(sub), PROFILE_SK))
            .projection_expression("pk, sk, logout_at")
            .consistent_read(consistent)
            .build()
            .map_err(|err| dynamo("BatchGetItem", err))?;
        let mut request = Some(HashMap::from([(self.table.clone(), keys)]));
        let mut state = RevocationState::default();
        // Unprocessed keys (throttling) are asked again a few times; then the check fails.
        for _ in 0..3 {
            let Some(items) = request.take().filter(|r| !r.is_empty()) else {
                return Ok(state);
            };
            let output = self
                .client
                .batch_get_item()
                .set_request_items(Some(items))
                .send()
                .await
                .map_err(|err| dynamo("BatchGetItem", err))?;
            let found = output
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default();
            for item in found {
                match item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                {
                    Some(REVOKED_SK) => state.revoked = true,
                    Some(PROFILE_SK) => state.logout_at = get_n(&item, "logout_at").ok(),
                    _ => {}
                }
            }
            request = output.unprocessed_keys;
        }
        match request {
            Some(r) if !r.is_empty() => Err(StoreError::Dynamo {
                operation: "BatchGetItem",
                message: "keys left unprocessed".to_owned(),
            }),
            _ => Ok(state),
        }
    }
}
