//! The DynamoDB table of users and refresh tokens (partition key `pk`, sort key `sk`, TTL `ttl`).
//!
//! Item layout (see docs/DESIGN.md):
//! - user profile: `pk = USER#<username>`, `sk = PROFILE`, `password_hash`, `created_at`,
//!   `roles`, `logout_at` (set by logout);
//! - refresh-token family: `pk = USER#<username>`, `sk = FAMILY#<id>`, `current_jti`,
//!   `client_id`, `scope`, `expires_at` (absolute end), `revoked` (reason), `ttl`;
//! - revoked access token: `pk = REVOKED#<jti>`, `sk = REVOKED`, `sub`, `ttl` (its `exp`);
//! - client: `pk = CLIENT#<client_id>`, `sk = CLIENT`, `secret_hash`, `scopes`, `name`;
//! - failure counter: `pk = LOCK#<user|client|ip>#<key>`, `sk = LOCK`, `failures`,
//!   `last_failure`, `locked_until`, `ttl`.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TimeToLiveSpecification,
};

use crate::error::StoreError;

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

pub(crate) fn user_pk(username: &str) -> AttributeValue {
    AttributeValue::S(format!("USER#{username}"))
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn get_n(
    item: &std::collections::HashMap<String, AttributeValue>,
    name: &'static str,
) -> Result<u64, StoreError> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or(StoreError::Corrupt(name))
}

pub(crate) fn get_s<'a>(
    item: &'a std::collections::HashMap<String, AttributeValue>,
    name: &'static str,
) -> Result<&'a str, StoreError> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or(StoreError::Corrupt(name))
}

/// An operation error that can say its write's condition failed.
pub(crate) trait ConditionFailure {
    fn is_condition_failure(&self) -> bool;
}

impl ConditionFailure for aws_sdk_dynamodb::operation::put_item::PutItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionFailure for aws_sdk_dynamodb::operation::update_item::UpdateItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

/// The output of a conditional write, `None` when its condition failed; other failures are
/// errors of `operation`.
pub(crate) fn conditional<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
    operation: &'static str,
) -> Result<Option<T>, StoreError>
where
    E: ConditionFailure + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(aws_sdk_dynamodb::error::SdkError::ServiceError(err))
            if err.err().is_condition_failure() =>
        {
            Ok(None)
        }
        Err(err) => Err(dynamo(operation, err)),
    }
}

pub(crate) fn dynamo<E: std::error::Error>(operation: &'static str, err: E) -> StoreError {
    StoreError::Dynamo {
        operation,
        message: DisplayErrorContext(&err).to_string(),
    }
}
