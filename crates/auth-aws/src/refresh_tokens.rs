//! Refresh-token state: saved on issue, rotated atomically on use.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};

use crate::error::StoreError;
use crate::store::{PROFILE_SK, Store, dynamo, get_n, n, s, user_pk};

/// A refresh token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// The user it belongs to.
    pub sub: String,
    /// The token's `jti`.
    pub jti: String,
    /// The user's `session_epoch` when the token was issued.
    pub epoch: u64,
    /// The token's `exp` (also the item's TTL).
    pub expires_at: u64,
}

fn refresh_sk(jti: &str) -> String {
    format!("REFRESH#{jti}")
}

impl Store {
    /// Records a newly issued refresh token.
    pub async fn save_refresh(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", user_pk(&record.sub))
            .item("sk", s(refresh_sk(&record.jti)))
            .item("epoch", n(record.epoch))
            .item("expires_at", n(record.expires_at))
            .item("ttl", n(record.expires_at))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|err| dynamo("PutItem", err))?;
        Ok(())
    }

    /// Replaces the refresh token `old_jti` of `sub` by a new one, atomically: one transaction
    /// deletes the old item (which must still exist, with the epoch read), checks that the user's
    /// session epoch has not moved (no logout since), and writes the new item. Of two concurrent
    /// rotations of one token at most one succeeds; the loser gets [`StoreError::ConditionFailed`],
    /// as does a token already rotated, revoked by logout, or unknown. Returns the new record.
    pub async fn rotate_refresh(
        &self,
        sub: &str,
        old_jti: &str,
        new_jti: &str,
        new_expires_at: u64,
    ) -> Result<RefreshRecord, StoreError> {
        let old = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", user_pk(sub))
            .key("sk", s(refresh_sk(old_jti)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| dynamo("GetItem", err))?;
        let Some(old) = old.item else {
            return Err(StoreError::ConditionFailed);
        };
        let epoch = get_n(&old, "epoch")?;
        let build_err = |err| dynamo("TransactWriteItems", err);
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", user_pk(sub))
            .key("sk", s(refresh_sk(old_jti)))
            .condition_expression("attribute_exists(pk) AND epoch = :epoch")
            .expression_attribute_values(":epoch", n(epoch))
            .build()
            .map_err(build_err)?;
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", user_pk(sub))
            .key("sk", s(PROFILE_SK))
            .condition_expression("session_epoch = :epoch")
            .expression_attribute_values(":epoch", n(epoch))
            .build()
            .map_err(build_err)?;
        let put = Put::builder()
            .table_name(&self.table)
            .item("pk", user_pk(sub))
            .item("sk", s(refresh_sk(new_jti)))
            .item("epoch", n(epoch))
            .item("expires_at", n(new_expires_at))
            .item("ttl", n(new_expires_at))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().condition_check(check).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(RefreshRecord {
                sub: sub.to_owned(),
                jti: new_jti.to_owned(),
                epoch,
                expires_at: new_expires_at,
            }),
            Err(SdkError::ServiceError(err))
                if matches!(
                    err.err(),
                    TransactWriteItemsError::TransactionCanceledException(_)
                ) =>
            {
                Err(StoreError::ConditionFailed)
            }
            Err(err) => Err(dynamo("TransactWriteItems", err)),
        }
    }
}
