//! One item of the table: attribute values and their typed readers, and the single-item
//! operations (GetItem, conditional PutItem and UpdateItem, DeleteItem) with their error
//! mapping, so that each store module states only its keys, expressions and mapping.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use crate::error::StoreError;
use crate::store::{Store, dynamo};

/// An item as the SDK returns it.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// A string attribute value.
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute value.
pub(crate) fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A number attribute; [`StoreError::Corrupt`] when it is missing or not a `u64`.
pub(crate) fn get_n(item: &Item, name: &'static str) -> Result<u64, StoreError> {
    opt_n(item, name).ok_or(StoreError::Corrupt(name))
}

/// A string attribute; [`StoreError::Corrupt`] when it is missing or not a string.
pub(crate) fn get_s<'a>(item: &'a Item, name: &'static str) -> Result<&'a str, StoreError> {
    opt_s(item, name).ok_or(StoreError::Corrupt(name))
}

/// An optional number attribute: `None` when it is missing or not a `u64`.
pub(crate) fn opt_n(item: &Item, name: &str) -> Option<u64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// An optional string attribute: `None` when it is missing or not a string.
pub(crate) fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// A list (L of S) or string set (SS) attribute as strings; anything else is empty.
pub(crate) fn string_list(value: Option<&AttributeValue>) -> Vec<String> {
    match value {
        Some(AttributeValue::L(list)) => {
            list.iter().filter_map(|v| v.as_s().ok().cloned()).collect()
        }
        Some(AttributeValue::Ss(set)) => set.clone(),
        _ => Vec::new(),
    }
}

/// The condition of a write that creates an item: no item has its key yet.
const NO_ITEM: &str = "attribute_not_exists(pk)";
/// The condition of a write that changes an item and must not create it.
const ITEM_EXISTS: &str = "attribute_exists(pk)";

/// The Put of `item` in a TransactWriteItems, whose condition fails if an item has its key.
pub(crate) fn transact_put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(NO_ITEM)
        .build()
        .map_err(|err| dynamo("TransactWriteItems", err))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// What a conditional write whose failure returns the item did: done, or refused with the
/// item as it was when its condition failed (`None`: there was none).
pub(crate) enum Written {
    Done,
    ConditionFailed(Option<Item>),
}

impl Store {
    /// The item at `pk`, `sk`, if there is one (GetItem, strongly consistent when
    /// `consistent`).
    pub(crate) async fn get(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
        consistent: bool,
    ) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|err| dynamo("GetItem", err))?;
        Ok(output.item)
    }

    /// Puts `item` if no item has its key; [`StoreError::AlreadyExists`] when one does. One
    /// conditional PutItem: of concurrent creations of one key exactly one wins. User names and
    /// client ids are separate namespaces (`USER#` and `CLIENT#` keys), so a creation looks at
    /// its own key only and never tells whether a name exists in the other.
    pub(crate) async fn put_new(&self, item: Item) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(NO_ITEM)
            .send()
            .await;
        match conditional(result, "PutItem")? {
            Some(_) => Ok(()),
            None => Err(StoreError::AlreadyExists),
        }
    }

    /// Puts `item`, replacing any item with its key (PutItem).
    pub(crate) async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|err| dynamo("PutItem", err))?;
        Ok(())
    }

    /// An UpdateItem of the item at `pk`, `sk`, for the caller to give its expressions and
    /// send with [`Store::update_if_exists`], [`Store::update_or_refuse`] or
    /// [`Store::update_or_current`].
    pub(crate) fn update_item(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
    ) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
    }

    /// Sends `update` on the condition that its item exists, so that it never creates one; a
    /// missing item is no error (there is nothing to change).
    pub(crate) async fn update_if_exists(
        update: UpdateItemFluentBuilder,
    ) -> Result<(), StoreError> {
        let update = update.condition_expression(ITEM_EXISTS);
        conditional(update.send().await, "UpdateItem")?;
        Ok(())
    }

    /// Sends a conditional `update`; [`StoreError::ConditionFailed`] when its condition did not
    /// hold.
    pub(crate) async fn update_or_refuse(
        update: UpdateItemFluentBuilder,
    ) -> Result<(), StoreError> {
        match conditional(update.send().await, "UpdateItem")? {
            Some(_) => Ok(()),
            None => Err(StoreError::ConditionFailed),
        }
    }

    /// Sends a conditional `update` that, when its condition fails, returns the item as it was
    /// (`ReturnValuesOnConditionCheckFailure::AllOld`), for the caller to decide again from.
    pub(crate) async fn update_or_current(
        update: UpdateItemFluentBuilder,
    ) -> Result<Written, StoreError> {
        let result = update
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Written::Done),
            Err(SdkError::ServiceError(err)) => match err.err() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    Ok(Written::ConditionFailed(failed.item().cloned()))
                }
                _ => Err(dynamo("UpdateItem", SdkError::ServiceError(err))),
            },
            Err(err) => Err(dynamo("UpdateItem", err)),
        }
    }

    /// Removes the item at `pk`, `sk` (DeleteItem); a missing one is no error.
    pub(crate) async fn delete(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
    ) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .send()
            .await
            .map_err(|err| dynamo("DeleteItem", err))?;
        Ok(())
    }
}

/// An operation error that can say its write's condition failed.
trait ConditionFailure {
    fn is_condition_failure(&self) -> bool;
}

impl ConditionFailure for PutItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionFailure for UpdateItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

/// The output of a conditional write, `None` when its condition failed; other failures are
/// errors of `operation`.
fn conditional<T, E, R>(
    result: Result<T, SdkError<E, R>>,
    operation: &'static str,
) -> Result<Option<T>, StoreError>
where
    E: ConditionFailure + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(SdkError::ServiceError(err)) if err.err().is_condition_failure() => Ok(None),
        Err(err) => Err(dynamo(operation, err)),
    }
}
