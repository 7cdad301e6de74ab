//! Account administration and password changes: signing a user out everywhere, disabling,
//! enabling and deleting an account (`authctl user ...`), and a new password (POST
//! /auth/password).
//!
//! Profile attributes written here: `disabled_at` (present while the account is disabled),
//! `deleted_at` (the profile is then a tombstone of `pk`, `sk`, `deleted_at` and `logout_at`) and
//! `password_changed_at`. Each change that ends sessions sets `logout_at` in the same write, so
//! that with `REVOCATION_CHECK` the access tokens issued until then are refused as well, and then
//! revokes every refresh-token family of the user.
//!
//! A deleted name is never registered again: the tombstone keeps it taken. The user name is the
//! tokens' `sub`, and a subject identifier is never reassigned (OpenID Connect Core 1.0 §2):
//! whatever other services keep under that `sub` would pass to whoever took the name next.

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;

use crate::error::StoreError;
use crate::items::{n, s};
use crate::store::{PROFILE_SK, Store, user_pk};

/// Present while an administrator has disabled the account (epoch seconds).
pub(crate) const DISABLED_AT: &str = "disabled_at";
/// Present on the tombstone of a deleted account (epoch seconds).
pub(crate) const DELETED_AT: &str = "deleted_at";
/// The condition of a write to a profile that exists and is no tombstone.
pub(crate) const LIVE_PROFILE: &str = "attribute_exists(pk) AND attribute_not_exists(deleted_at)";

impl Store {
    /// An UpdateItem of the user's profile.
    fn update_profile(&self, username: &str) -> UpdateItemFluentBuilder {
        self.update_item(user_pk(username), s(PROFILE_SK))
    }

    /// Signs the user out everywhere (`authctl user signout`): `logout_at = now`, then every
    /// family revoked. Returns how many families were revoked; [`StoreError::ConditionFailed`]
    /// when there is no such user.
    pub async fn sign_out(&self, username: &str, now: u64) -> Result<usize, StoreError> {
        let update = self
            .update_profile(username)
            .update_expression("SET logout_at = :now")
            .condition_expression(LIVE_PROFILE)
            .expression_attribute_values(":now", n(now));
        Self::update_or_refuse(update).await?;
        self.revoke_all_families(username, "signout").await
    }

    /// Disables the account and signs it out everywhere: sign-in and refresh are refused until
    /// [`Store::enable_user`]. Disabling twice keeps the first `disabled_at`. Returns how many
    /// families were revoked; [`StoreError::ConditionFailed`] when there is no such user.
    pub async fn disable_user(&self, username: &str, now: u64) -> Result<usize, StoreError> {
        // One write: the account is never disabled with its tokens still alive, or the reverse.
        let update = self
            .update_profile(username)
            .update_expression(
                "SET disabled_at = if_not_exists(disabled_at, :now), logout_at = :now",
            )
            .condition_expression(LIVE_PROFILE)
            .expression_attribute_values(":now", n(now));
        Self::update_or_refuse(update).await?;
        self.revoke_all_families(username, "disabled").await
    }

    /// Enables a disabled account again (a no-op on an enabled one). Its sessions stay ended:
    /// the user signs in again. [`StoreError::ConditionFailed`] when there is no such user.
    pub async fn enable_user(&self, username: &str) -> Result<(), StoreError> {
        let update = self
            .update_profile(username)
            .update_expression("REMOVE disabled_at")
            .condition_expression(LIVE_PROFILE);
        Self::update_or_refuse(update).await
    }

    /// Deletes the account: the profile becomes a tombstone (the password hash, roles and every
    /// other attribute go; `deleted_at` and `logout_at` stay, so the name stays taken and, with
    /// `REVOCATION_CHECK`, its access tokens are refused), then every family's item is removed.
    /// Its refresh-token items are not found by user; they expire by TTL, and a refresh with one
    /// finds neither profile nor family. Run again on a deleted user it removes what an
    /// interrupted run left. Returns how many families were removed;
    /// [`StoreError::ConditionFailed`] when the name was never registered.
    pub async fn delete_user(&self, username: &str, now: u64) -> Result<usize, StoreError> {
        let update = self
            .update_profile(username)
            .update_expression(
                "SET deleted_at = if_not_exists(deleted_at, :now), logout_at = :now \
                 REMOVE #hash, #roles, #name, #created, disabled_at, password_changed_at",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#hash", "password_hash")
            .expression_attribute_names("#roles", "roles")
            .expression_attribute_names("#name", "username")
            .expression_attribute_names("#created", "created_at")
            .expression_attribute_values(":now", n(now));
        Self::update_or_refuse(update).await?;
        let ids = self.family_ids(username).await?;
        for id in &ids {
            self.delete_family(username, id).await?;
        }
        Ok(ids.len())
    }

    /// Replaces the password hash (POST /auth/password), provided the stored one is still
    /// `old_hash` and the account is neither disabled nor deleted: of two concurrent changes
    /// only one wins, and a change checked against a password disabled since is refused
    /// ([`StoreError::ConditionFailed`]). Sets `logout_at = now`, then revokes every family:
    /// every session ends, the one that asked included. Returns how many families were revoked.
    pub async fn change_password(
        &self,
        username: &str,
        old_hash: &str,
        new_hash: &str,
        now: u64,
    ) -> Result<usize, StoreError> {
        let update = self
            .update_profile(username)
            .update_expression(
                "SET password_hash = :new, password_changed_at = :now, logout_at = :now",
            )
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(deleted_at) \
                 AND attribute_not_exists(disabled_at) AND password_hash = :old",
            )
            .expression_attribute_values(":new", s(new_hash))
            .expression_attribute_values(":old", s(old_hash))
            .expression_attribute_values(":now", n(now));
        Self::update_or_refuse(update).await?;
        self.revoke_all_families(username, "password_changed").await
    }
}
