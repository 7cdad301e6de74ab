//! Refresh-token families (RFC 9700 §4.14.2): one item per sign-in, holding the `jti` of the only
//! refresh token of the family that may still be used.
//!
//! Every refresh rotates: a conditional UpdateItem replaces `current_jti` only if it is still
//! the presented one, the family is not revoked and not past its absolute end. When that write
//! fails, a consistent read says why; a presented token that is no longer current is a reuse:
//! the family is revoked, so both the thief and the legitimate holder must sign in again.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::StoreError;
use crate::store::{Store, conditional, dynamo, get_n, get_s, n, s, user_pk};

/// A family as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// The user.
    pub sub: String,
    /// The family id (the refresh tokens' `fam` claim).
    pub id: String,
    /// The `jti` of the one refresh token that may be used next.
    pub current_jti: String,
    /// The client the family was issued to.
    pub client_id: String,
    /// The scope granted at sign-in (refreshes may narrow it, never widen it).
    pub scope: Option<String>,
    /// Absolute end, epoch seconds (also the item's TTL).
    pub expires_at: u64,
    /// Why the family was revoked, when it was.
    pub revoked: Option<String>,
}

/// Why a rotation was refused.
#[derive(Debug)]
pub enum RotateError {
    /// No such family (never existed, logged out, or removed by TTL).
    Unknown,
    /// The family was revoked earlier.
    Revoked,
    /// Past the family's absolute lifetime.
    Expired,
    /// The presented token was already rotated: the family is now revoked.
    ReuseDetected,
    /// DynamoDB failed.
    Store(StoreError),
}

impl From<StoreError> for RotateError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

fn family_sk(id: &str) -> AttributeValue {
    s(format!("FAMILY#{id}"))
}

/// The prefix of family sort keys.
pub(crate) const FAMILY_PREFIX: &str = "FAMILY#";

impl Store {
    /// Starts a family at sign-in.
    pub async fn create_family(&self, family: &Family) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", user_pk(&family.sub))
            .item("sk", family_sk(&family.id))
            .item("current_jti", s(&family.current_jti))
            .item("client_id", s(&family.client_id))
            .item("expires_at", n(family.expires_at))
            .item("ttl", n(family.expires_at))
            .condition_expression("attribute_not_exists(pk)");
        if let Some(scope) = &family.scope {
            put = put.item("scope", s(scope));
        }
        match conditional(put.send().await, "PutItem")? {
            Some(_) => Ok(()),
            None => Err(StoreError::AlreadyExists),
        }
    }

    /// The family, if it exists (strongly consistent read).
    pub async fn find_family(&self, sub: &str, id: &str) -> Result<Option<Family>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", user_pk(sub))
            .key("sk", family_sk(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| dynamo("GetItem", err))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        Ok(Some(Family {
            sub: sub.to_owned(),
            id: id.to_owned(),
            current_jti: get_s(&item, "current_jti")?.to_owned(),
            client_id: get_s(&item, "client_id")?.to_owned(),
            scope: get_s(&item, "scope").ok().map(str::to_owned),
            expires_at: get_n(&item, "expires_at")?,
            revoked: get_s(&item, "revoked").ok().map(str::to_owned),
        }))
    }

    /// Replaces the family's current token `presented_jti` by `new_jti`, decided by one
    /// conditional write. On refusal, a token that is not current revokes the family
    /// ([`RotateError::ReuseDetected`]). Returns the family as it was before the rotation.
    pub async fn rotate_family(
        &self,
        sub: &str,
        id: &str,
        presented_jti: &str,
        new_jti: &str,
        now: u64,
    ) -> Result<Family, RotateError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", user_pk(sub))
            .key("sk", family_sk(id))
            .update_expression("SET current_jti = :new, rotated_at = :now")
            .condition_expression(
                "attribute_exists(pk) AND current_jti = :old AND attribute_not_exists(revoked) \
                 AND expires_at > :now",
            )
            .expression_attribute_values(":new", s(new_jti))
            .expression_attribute_values(":old", s(presented_jti))
            .expression_attribute_values(":now", n(now))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await;
        match conditional(result, "UpdateItem")? {
            Some(output) => {
                let item = output.attributes.unwrap_or_default();
                Ok(Family {
                    sub: sub.to_owned(),
                    id: id.to_owned(),
                    current_jti: presented_jti.to_owned(),
                    client_id: get_s(&item, "client_id")?.to_owned(),
                    scope: get_s(&item, "scope").ok().map(str::to_owned),
                    expires_at: get_n(&item, "expires_at")?,
                    revoked: None,
                })
            }
            None => {
                // The write decided; this read only explains the refusal.
                let Some(family) = self.find_family(sub, id).await? else {
                    return Err(RotateError::Unknown);
                };
                if family.revoked.is_some() {
                    Err(RotateError::Revoked)
                } else if family.expires_at <= now {
                    Err(RotateError::Expired)
                } else {
                    self.revoke_family(sub, id, "reuse").await?;
                    Err(RotateError::ReuseDetected)
                }
            }
        }
    }

    /// Revokes the family (idempotent; the first reason is kept). Unknown families are ignored.
    pub async fn revoke_family(&self, sub: &str, id: &str, reason: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", user_pk(sub))
            .key("sk", family_sk(id))
            .update_expression("SET revoked = if_not_exists(revoked, :reason)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":reason", s(reason))
            .send()
            .await;
        conditional(result, "UpdateItem")?;
        Ok(())
    }

    /// Revokes every family of the user (logout everywhere). Returns how many were revoked.
    pub async fn revoke_all_families(&self, sub: &str, reason: &str) -> Result<usize, StoreError> {
        let mut start = None;
        let mut count = 0;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", user_pk(sub))
                .expression_attribute_values(":prefix", s(FAMILY_PREFIX))
                .projection_expression("sk")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|err| dynamo("Query", err))?;
            for item in page.items.unwrap_or_default() {
                let sk = get_s(&item, "sk")?;
                if let Some(id) = sk.strip_prefix(FAMILY_PREFIX) {
                    self.revoke_family(sub, id, reason).await?;
                    count += 1;
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(count),
            }
        }
    }
}
