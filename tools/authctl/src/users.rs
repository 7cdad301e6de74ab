//! User accounts: the roles `ROLE_SCOPES` turns into the scopes a user may be granted, and
//! signing out, disabling, enabling and deleting an account.

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

/// What an account command does to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// `user signout`: every session ends.
    SignOut,
    /// `user disable`: no sign-in or refresh, every session ends.
    Disable,
    /// `user enable`: sign-in allowed again.
    Enable,
    /// `user delete`: the account is removed, its name stays taken.
    Delete,
}

impl AccountAction {
    /// The subcommand's name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "signout" => Some(Self::SignOut),
            "disable" => Some(Self::Disable),
            "enable" => Some(Self::Enable),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::SignOut => "sign out",
            Self::Disable => "disable",
            Self::Enable => "enable",
            Self::Delete => "delete",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Self::SignOut => "signed_out",
            Self::Disable => "disabled",
            Self::Enable => "enabled",
            Self::Delete => "deleted",
        }
    }
}

/// Runs `action` on a registered user; an unknown (or deleted) user is an error. The result
/// says how many refresh-token families were revoked (or, for `delete`, removed).
pub async fn account(
    store: &Store,
    table: &str,
    username: &str,
    action: AccountAction,
    now: u64,
) -> Result<Value, Failure> {
    let result = match action {
        AccountAction::SignOut => store.sign_out(username, now).await,
        AccountAction::Disable => store.disable_user(username, now).await,
        AccountAction::Enable => store.enable_user(username).await.map(|()| 0),
        AccountAction::Delete => store.delete_user(username, now).await,
    };
    match result {
        Ok(families) => Ok(json!({
            "username": username,
            "result": action.done(),
            "families": families,
        })),
        Err(StoreError::ConditionFailed) => {
            Err(Failure::Failed(format!("no user {username:?} in {table}")))
        }
        Err(err) => Err(store_failure(
            &format!("cannot {} {username:?}", action.verb()),
            table,
            &err,
        )),
    }
}
