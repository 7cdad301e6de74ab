//! User profiles: registration, lookup and ending every session (logout).

use aws_sdk_dynamodb::types::AttributeValue;

use crate::clients::string_list;

use crate::error::StoreError;
use crate::store::{PROFILE_SK, Store, conditional, dynamo, get_s, n, s, user_pk};

/// A user to register.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    /// The user name (also the token subject).
    pub username: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// Epoch seconds.
    pub created_at: u64,
    /// Roles; `ROLE_SCOPES` maps them to scopes.
    pub roles: &'a [String],
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Roles; `ROLE_SCOPES` maps them to scopes.
    pub roles: Vec<String>,
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
            .item("roles", roles_value(user.roles))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match conditional(result, "PutItem")? {
            Some(_) => Ok(()),
            None => Err(StoreError::AlreadyExists),
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
            roles: string_list(item.get("roles")),
        }))
    }

    /// Ends every session of the user: records the logout time (the authorizer's
    /// `REVOCATION_CHECK` refuses access tokens issued at or before it) and revokes every
    /// refresh-token family. Returns how many families were revoked.
    pub async fn end_sessions(&self, username: &str, now: u64) -> Result<usize, StoreError> {
        self.set_logout(username, now).await?;
        self.revoke_all_families(username, "logout").await
    }

    /// Replaces the user's roles; [`StoreError::ConditionFailed`] if there is no such user.
    pub async fn set_roles(&self, username: &str, roles: &[String]) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", user_pk(username))
            .key("sk", s(PROFILE_SK))
            .update_expression("SET #roles = :roles")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#roles", "roles")
            .expression_attribute_values(":roles", roles_value(roles))
            .send()
            .await;
        match conditional(result, "UpdateItem")? {
            Some(_) => Ok(()),
            None => Err(StoreError::ConditionFailed),
        }
    }
}

fn roles_value(roles: &[String]) -> AttributeValue {
    AttributeValue::L(roles.iter().map(s).collect())
}
