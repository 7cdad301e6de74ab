//! The DynamoDB table of users and refresh tokens (partition key `pk`, sort key `sk`, TTL `ttl`).
//!
//! Item layout (see docs/DESIGN.md):
//! - user profile: `pk = USER#<username>`, `sk = PROFILE`, `password_hash`, `created_at`,
//!   `roles`, `logout_at` (set by logout, sign-out, disable, delete and a password change),
//!   `disabled_at` (while disabled), `password_changed_at`; a deleted user's is a tombstone of
//!   `pk`, `sk`, `deleted_at` and `logout_at` that keeps the name taken (accounts.rs);
//! - refresh-token family: `pk = USER#<username>`, `sk = FAMILY#<id>`, `generation` (of the one
//!   usable refresh token), `client_id`, `scope`, `issued_at`, `expires_at` (absolute end),
//!   `rotated_at`, `revoked` (reason), `ttl`;
//! - refresh token: `pk = REFRESH#<sha256 of the handle>`, `sk = REFRESH`, `sub`, `family`,
//!   `generation`, `client_id`, `scope`, `issued_at`, `expires_at`, `family_expires_at`, `ttl`;
//! - revoked access token: `pk = REVOKED#<jti>`, `sk = REVOKED`, `sub`, `ttl` (its `exp`);
//! - client: `pk = CLIENT#<client_id>`, `sk = CLIENT`, `secret_hash`, `scopes`, `name`;
//! - failure counter: `pk = LOCK#<user|client|ip>#<key>`, `sk = LOCK`, `failures`,
//!   `last_failure`, `locked_until`, `ttl`.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, KeysAndAttributes,
    ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem,
};

use crate::error::StoreError;
use crate::items::{Item, s};

pub(crate) const PROFILE_SK: &str = "PROFILE";

/// The table, through the real AWS SDK.
#[derive(Clone)]
pub struct Store {
    pub(crate) client: Client,
    pub(crate) table: String,
}

impl Store {
    /// A store over `table`.
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self {
            client: Client::new(sdk),
            table: table.into(),
        }
    }

    /// Creates the table with the expected key schema and TTL attribute (local use and tests;
    /// deployed tables come from template.yaml).
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|err| dynamo("CreateTable", err))
        };
        let key = |name: &str, key_type| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(|err| dynamo("CreateTable", err))
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attribute("pk")?)
            .attribute_definitions(attribute("sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .map_err(|err| dynamo("CreateTable", err))?;
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name("ttl")
            .enabled(true)
            .build()
            .map_err(|err| dynamo("UpdateTimeToLive", err))?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|err| dynamo("UpdateTimeToLive", err))?;
        Ok(())
    }
}

impl Store {
    /// The items found for `keys` (pairs of `pk` and `sk`), by BatchGetItem. Keys DynamoDB leaves
    /// unprocessed (throttling) are asked again twice; any still left make it an error, so a
    /// check built on this fails closed rather than passing on missing data.
    pub(crate) async fn batch_get(
        &self,
        keys: Vec<(AttributeValue, &str)>,
        projection: &str,
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let operation = "BatchGetItem";
        let mut builder = KeysAndAttributes::builder()
            .projection_expression(projection)
            .consistent_read(consistent);
        for (pk, sk) in keys {
            builder = builder.keys(Item::from([
                ("pk".to_owned(), pk),
                ("sk".to_owned(), s(sk)),
            ]));
        }
        let request = builder.build().map_err(|err| dynamo(operation, err))?;
        let mut pending = Some(std::collections::HashMap::from([(
            self.table.clone(),
            request,
        )]));
        let mut found = Vec::new();
        for _ in 0..3 {
            let Some(items) = pending.take().filter(|r| !r.is_empty()) else {
                return Ok(found);
            };
            let output = self
                .client
                .batch_get_item()
                .set_request_items(Some(items))
                .send()
                .await
                .map_err(|err| dynamo(operation, err))?;
            found.extend(
                output
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default(),
            );
            pending = output.unprocessed_keys;
        }
        match pending {
            Some(r) if !r.is_empty() => Err(StoreError::Dynamo {
                operation,
                message: "keys left unprocessed".to_owned(),
            }),
            _ => Ok(found),
        }
    }

    /// Runs one TransactWriteItems. `Ok(Err(failed))` when it was cancelled because the
    /// conditions of the items at the indices `failed` did not hold; other failures are errors.
    pub(crate) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Vec<usize>>, StoreError> {
        let operation = "TransactWriteItems";
        // A transaction that collides with another one in flight on the same items is
        // cancelled with TransactionConflict: asked again, it sees that one's outcome.
        for attempt in 0..3u64 {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Ok(())),
                Err(err) => err,
            };
            let codes: Vec<Option<String>> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().map(str::to_owned))
                    .collect(),
                _ => return Err(dynamo(operation, err)),
            };
            let failed: Vec<usize> = codes
                .iter()
                .enumerate()
                .filter(|(_, code)| code.as_deref() == Some("ConditionalCheckFailed"))
                .map(|(index, _)| index)
                .collect();
            if !failed.is_empty() {
                return Ok(Err(failed));
            }
            let conflict = codes
                .iter()
                .any(|c| c.as_deref() == Some("TransactionConflict"));
            if !conflict || attempt == 2 {
                return Err(dynamo(operation, err));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20 * (attempt + 1))).await;
        }
        Err(StoreError::Dynamo {
            operation,
            message: "transaction conflicts persisted".to_owned(),
        })
    }
}

pub(crate) fn user_pk(username: &str) -> AttributeValue {
    AttributeValue::S(format!("USER#{username}"))
}

pub(crate) fn dynamo<E: std::error::Error>(operation: &'static str, err: E) -> StoreError {
    StoreError::Dynamo {
        operation,
        message: DisplayErrorContext(&err).to_string(),
    }
}
