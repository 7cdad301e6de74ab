//! User accounts: the roles `ROLE_SCOPES` turns into the scopes a user may be granted.

use auth_aws::{Store, StoreError};
use serde_json::{Value, json};

use crate::{Failure, store_failure};

/// Replaces the roles of a registered user; an unknown user is an error, never created.
pub async fn set_roles(
    store: &Store,
    table: &str,
    username: &str,
    roles: &[String],
) -> Result<Value, Failure> {
    match store.set_roles(username, roles).await {
        Ok(()) => Ok(json!({ "username": username, "roles": roles })),
        Err(StoreError::ConditionFailed) => {
            Err(Failure::Failed(format!("no user {username:?} in {table}")))
        }
        Err(err) => Err(store_failure(
            &format!("cannot set the roles of {username:?}"),
            table,
            &err,
        )),
    }
}
