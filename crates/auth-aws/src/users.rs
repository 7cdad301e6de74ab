//! User profiles: registration, lookup and ending every session (logout).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::accounts::{DELETED_AT, DISABLED_AT, LIVE_PROFILE};
use crate::error::StoreError;
use crate::items::{get_s, n, opt_n, s, string_list};
use crate::store::{PROFILE_SK, Store, user_pk};

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
    /// The last logout, epoch seconds: tokens issued at or before it are dead.
    pub logout_at: Option<u64>,
    /// Disabled by an administrator (`authctl user disable`): no sign-in, no refresh.
    pub disabled: bool,
}

impl Store {
    /// Creates the user; [`StoreError::AlreadyExists`] if another user has the name (clients are
    /// not looked at: a client may have the same id, and its tokens carry no `fam`). Of two
    /// concurrent registrations exactly one wins.
    pub async fn create_user(&self, user: &NewUser<'_>) -> Result<(), StoreError> {
        let item = HashMap::from([
            ("pk".to_owned(), user_pk(user.username)),
            ("sk".to_owned(), s(PROFILE_SK)),
            ("username".to_owned(), s(user.username)),
            ("password_hash".to_owned(), s(user.password_hash)),
            ("created_at".to_owned(), n(user.created_at)),
            ("roles".to_owned(), roles_value(user.roles)),
        ]);
        self.put_new(item).await
    }

    /// The user, if registered (strongly consistent read).
    pub async fn find_user(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let Some(item) = self.get(user_pk(username), s(PROFILE_SK), true).await? else {
            return Ok(None);
        };
        // A deleted user's profile is a tombstone that keeps the name taken (accounts.rs).
        if item.contains_key(DELETED_AT) {
            return Ok(None);
        }
        Ok(Some(UserRecord {
            username: get_s(&item, "username")?.to_owned(),
            password_hash: get_s(&item, "password_hash")?.to_owned(),
            roles: string_list(item.get("roles")),
            logout_at: opt_n(&item, "logout_at"),
            disabled: item.contains_key(DISABLED_AT),
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
        let update = self
            .update_item(user_pk(username), s(PROFILE_SK))
            .update_expression("SET #roles = :roles")
            .condition_expression(LIVE_PROFILE)
            .expression_attribute_names("#roles", "roles")
            .expression_attribute_values(":roles", roles_value(roles));
        Self::update_or_refuse(update).await
    }
}

fn roles_value(roles: &[String]) -> AttributeValue {
    AttributeValue::L(roles.iter().map(s).collect())
}
