//! User profiles: registration, lookup and ending every session (logout).

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};

use crate::error::StoreError;
use crate::store::{PROFILE_SK, Store, dynamo, get_n, get_s, n, s, user_pk};

/// A user to register.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    /// The user name (also the token subject).
    pub username: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// Epoch seconds.
    pub created_at: u64,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Bumped by every logout; refresh tokens of older epochs are dead.
    pub session_epoch: u64,
}

impl Store {
    /// Creates the user; [`StoreError::AlreadyExists`] if the name is taken (decided by a
    /// conditional write, so of two concurrent registrations exactly one wins).
    pub async fn create_user(&self, user: &NewUser<'_>) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", user_pk(user.username))
            .item("sk", s(PROFILE_SK))
            .item("username", s(user.username))
            .item("password_hash", s(user.password_hash))
            .item("created_at", n(user.created_at))
            .item("session_epoch", n(0))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(err))
                if matches!(err.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Err(StoreError::AlreadyExists)
            }
            Err(err) => Err(dynamo("PutItem", err)),
        }
    }

    /// The user, if registered (strongly consistent read).
    pub async fn find_user(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", user_pk(username))
            .key("sk", s(PROFILE_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| dynamo("GetItem", err))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        Ok(Some(UserRecord {
            username: get_s(&item, "username")?.to_owned(),
            password_hash: get_s(&item, "password_hash")?.to_owned(),
            session_epoch: get_n(&item, "session_epoch")?,
        }))
    }

    /// Ends every session of the user: bumps `session_epoch` (from then on every refresh token
    /// issued before is refused, whatever happens next), then deletes the refresh-token items.
    /// Deletion is cleanup only; a failure there is logged, not returned.
    pub async fn end_sessions(&self, username: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", user_pk(username))
            .key("sk", s(PROFILE_SK))
            .update_expression("ADD session_epoch :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match result {
            Ok(_) => {}
            // No such user (deleted since the token was issued): nothing to end.
            Err(SdkError::ServiceError(err))
                if matches!(
                    err.err(),
                    UpdateItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                return Ok(());
            }
            Err(err) => return Err(dynamo("UpdateItem", err)),
        }
        if let Err(err) = self.delete_refresh_items(username).await {
            tracing::warn!(error = %err, "refresh-token cleanup after logout failed");
        }
        Ok(())
    }

    async fn delete_refresh_items(&self, username: &str) -> Result<(), StoreError> {
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", user_pk(username))
                .expression_attribute_values(":prefix", s("REFRESH#"))
                .projection_expression("pk, sk")
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|err| dynamo("Query", err))?;
            let keys = page.items.unwrap_or_default();
            for chunk in keys.chunks(25) {
                let mut requests = Vec::with_capacity(chunk.len());
                for key in chunk {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(key.clone()))
                        .build()
                        .map_err(|err| dynamo("BatchWriteItem", err))?;
                    requests.push(WriteRequest::builder().delete_request(delete).build());
                }
                let mut pending = Some(requests);
                // Unprocessed items are retried a few times; TTL removes any that remain.
                for _ in 0..3 {
                    let Some(batch) = pending.take().filter(|b| !b.is_empty()) else {
                        break;
                    };
                    let output = self
                        .client
                        .batch_write_item()
                        .request_items(&self.table, batch)
                        .send()
                        .await
                        .map_err(|err| dynamo("BatchWriteItem", err))?;
                    pending = output
                        .unprocessed_items
                        .and_then(|mut m| m.remove(&self.table));
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(()),
            }
        }
    }
}
