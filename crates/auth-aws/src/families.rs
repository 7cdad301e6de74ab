//! Refresh-token families (RFC 9700 §4.14.2) and the refresh tokens of each.
//!
//! A family is one sign-in: `generation` counts its refresh tokens, and only the token of the
//! current generation may be used. Each refresh token is an opaque handle stored by its SHA-256
//! digest (`REFRESH#<digest>`) with its family and generation, and a copy of what the family
//! grants (client, scope, end), so a refresh reads one item before it writes.
//!
//! A refresh is one TransactWriteItems: the family moves to the next generation only if it is
//! still at the presented one, not revoked and not past its absolute end, and the successor's
//! item is put in the same transaction. When the family's condition fails, a consistent read
//! says why; a presented token of an older generation is a reuse: the family is revoked, so both
//! the thief and the legitimate holder must sign in again.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use crate::error::StoreError;
use crate::items::{Item, get_n, get_s, n, opt_s, s, transact_put_new};
use crate::store::{Store, dynamo, user_pk};

/// A family as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// The user.
    pub sub: String,
    /// The family id (the access tokens' `fam` claim).
    pub id: String,
    /// The generation of the one refresh token that may be used next (the first is 0).
    pub generation: u64,
    /// The client the family was issued to.
    pub client_id: String,
    /// The scope granted at sign-in (refreshes may narrow it, never widen it).
    pub scope: Option<String>,
    /// When the family was started (the sign-in), epoch seconds.
    pub issued_at: u64,
    /// Absolute end, epoch seconds (also the item's TTL).
    pub expires_at: u64,
    /// Why the family was revoked, when it was.
    pub revoked: Option<String>,
}

/// A refresh token as stored, found by the digest of the handle the client holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// SHA-256 of the handle, base64url (`auth_core::RefreshToken::digest`).
    pub digest: String,
    /// The user.
    pub sub: String,
    /// The family.
    pub family: String,
    /// Its generation in the family.
    pub generation: u64,
    /// The client the family was issued to.
    pub client_id: String,
    /// The family's scope.
    pub scope: Option<String>,
    /// When this token was issued, epoch seconds.
    pub issued_at: u64,
    /// When this token expires (at the latest the family's end), epoch seconds; also its TTL.
    pub expires_at: u64,
    /// The family's absolute end, epoch seconds.
    pub family_expires_at: u64,
}

impl RefreshRecord {
    /// The first token of `family`, with the handle digest `digest`, living `ttl_secs` from the
    /// family's start, never past its end.
    pub fn first(family: &Family, digest: String, ttl_secs: u64) -> Self {
        Self {
            digest,
            sub: family.sub.clone(),
            family: family.id.clone(),
            generation: family.generation,
            client_id: family.client_id.clone(),
            scope: family.scope.clone(),
            issued_at: family.issued_at,
            expires_at: family
                .issued_at
                .saturating_add(ttl_secs)
                .min(family.expires_at),
            family_expires_at: family.expires_at,
        }
    }

    /// The record of the token that follows this one in its family: the next generation, with
    /// the handle digest `digest`, issued at `now` and living `ttl_secs`, never past the
    /// family's end.
    pub fn successor(&self, digest: String, now: u64, ttl_secs: u64) -> Self {
        Self {
            digest,
            generation: self.generation.saturating_add(1),
            issued_at: now,
            expires_at: now.saturating_add(ttl_secs).min(self.family_expires_at),
            ..self.clone()
        }
    }
}

/// Why a rotation was refused.
#[derive(Debug)]
pub enum RotateError {
    /// No such family (never existed, or removed by TTL).
    Unknown,
    /// The family was revoked earlier (by logout, revocation or reuse detection).
    Revoked,
    /// Past the family's absolute lifetime.
    Expired,
    /// The presented token was already rotated: the family is now revoked.
    ReuseDetected,
    /// DynamoDB failed.
    Store(StoreError),
}

impl From<StoreError> for RotateError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

fn family_sk(id: &str) -> AttributeValue {
    s(format!("{FAMILY_PREFIX}{id}"))
}

/// The prefix of family sort keys.
pub(crate) const FAMILY_PREFIX: &str = "FAMILY#";

const REFRESH_SK: &str = "REFRESH";

fn refresh_pk(digest: &str) -> AttributeValue {
    s(format!("REFRESH#{digest}"))
}

/// The Put of a refresh token's item, refused if one with the same digest exists.
fn put_refresh(table: &str, record: &RefreshRecord) -> Result<TransactWriteItem, StoreError> {
    let mut item = Item::from([
        ("pk".to_owned(), refresh_pk(&record.digest)),
        ("sk".to_owned(), s(REFRESH_SK)),
        ("sub".to_owned(), s(&record.sub)),
        ("family".to_owned(), s(&record.family)),
        ("generation".to_owned(), n(record.generation)),
        ("client_id".to_owned(), s(&record.client_id)),
        ("issued_at".to_owned(), n(record.issued_at)),
        ("expires_at".to_owned(), n(record.expires_at)),
        ("family_expires_at".to_owned(), n(record.family_expires_at)),
        ("ttl".to_owned(), n(record.expires_at)),
    ]);
    if let Some(scope) = &record.scope {
        item.insert("scope".to_owned(), s(scope));
    }
    transact_put_new(table, item)
}

fn family_from(sub: &str, id: &str, item: &Item) -> Result<Family, StoreError> {
    Ok(Family {
        sub: sub.to_owned(),
        id: id.to_owned(),
        generation: get_n(item, "generation")?,
        client_id: get_s(item, "client_id")?.to_owned(),
        scope: opt_s(item, "scope").map(str::to_owned),
        issued_at: get_n(item, "issued_at")?,
        expires_at: get_n(item, "expires_at")?,
        revoked: opt_s(item, "revoked").map(str::to_owned),
    })
}

impl Store {
    /// Starts a family at sign-in with its first refresh token (generation 0): both items in one
    /// transaction, so neither exists without the other.
    pub async fn start_family(
        &self,
        family: &Family,
        first: &RefreshRecord,
    ) -> Result<(), StoreError> {
        let mut item = Item::from([
            ("pk".to_owned(), user_pk(&family.sub)),
            ("sk".to_owned(), family_sk(&family.id)),
            ("generation".to_owned(), n(family.generation)),
            ("client_id".to_owned(), s(&family.client_id)),
            ("issued_at".to_owned(), n(family.issued_at)),
            ("expires_at".to_owned(), n(family.expires_at)),
            ("ttl".to_owned(), n(family.expires_at)),
        ]);
        if let Some(scope) = &family.scope {
            item.insert("scope".to_owned(), s(scope));
        }
        let items = vec![
            transact_put_new(&self.table, item)?,
            put_refresh(&self.table, first)?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::AlreadyExists),
        }
    }

    /// The refresh token whose handle has `digest`, if any (strongly consistent read).
    pub async fn find_refresh(&self, digest: &str) -> Result<Option<RefreshRecord>, StoreError> {
        let Some(item) = self.get(refresh_pk(digest), s(REFRESH_SK), true).await? else {
            return Ok(None);
        };
        Ok(Some(RefreshRecord {
            digest: digest.to_owned(),
            sub: get_s(&item, "sub")?.to_owned(),
            family: get_s(&item, "family")?.to_owned(),
            generation: get_n(&item, "generation")?,
            client_id: get_s(&item, "client_id")?.to_owned(),
            scope: opt_s(&item, "scope").map(str::to_owned),
            issued_at: get_n(&item, "issued_at")?,
            expires_at: get_n(&item, "expires_at")?,
            family_expires_at: get_n(&item, "family_expires_at")?,
        }))
    }

    /// The family, if it exists (strongly consistent read).
    pub async fn find_family(&self, sub: &str, id: &str) -> Result<Option<Family>, StoreError> {
        self.get(user_pk(sub), family_sk(id), true)
            .await?
            .map(|item| family_from(sub, id, &item))
            .transpose()
    }

    /// Moves the family of `presented` to the generation of `successor` and stores the
    /// successor, decided by one transaction. On refusal, a presented token of an older
    /// generation revokes the family ([`RotateError::ReuseDetected`]).
    pub async fn rotate_family(
        &self,
        presented: &RefreshRecord,
        successor: &RefreshRecord,
        now: u64,
    ) -> Result<(), RotateError> {
        let operation = "TransactWriteItems";
        let advance = Update::builder()
            .table_name(&self.table)
            .key("pk", user_pk(&presented.sub))
            .key("sk", family_sk(&presented.family))
            .update_expression("SET generation = :next, rotated_at = :now")
            .condition_expression(
                "attribute_exists(pk) AND generation = :gen AND attribute_not_exists(revoked) \
                 AND expires_at > :now",
            )
            .expression_attribute_values(":next", n(successor.generation))
            .expression_attribute_values(":gen", n(presented.generation))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(|err| dynamo(operation, err))?;
        let items = vec![
            TransactWriteItem::builder().update(advance).build(),
            put_refresh(&self.table, successor)?,
        ];
        if self.transact(items).await?.is_ok() {
            return Ok(());
        }
        // The write decided; this read only explains the refusal.
        let Some(family) = self.find_family(&presented.sub, &presented.family).await? else {
            return Err(RotateError::Unknown);
        };
        if family.revoked.is_some() {
            Err(RotateError::Revoked)
        } else if family.expires_at <= now {
            Err(RotateError::Expired)
        } else if family.generation != presented.generation {
            self.revoke_family(&presented.sub, &presented.family, "reuse")
                .await?;
            Err(RotateError::ReuseDetected)
        } else {
            // The family is as presented: only the successor's digest collided (2^-256).
            Err(RotateError::Store(StoreError::AlreadyExists))
        }
    }

    /// Revokes the family (idempotent; the first reason is kept). Unknown families are ignored.
    pub async fn revoke_family(&self, sub: &str, id: &str, reason: &str) -> Result<(), StoreError> {
        let update = self
            .update_item(user_pk(sub), family_sk(id))
            .update_expression("SET revoked = if_not_exists(revoked, :reason)")
            .expression_attribute_values(":reason", s(reason));
        Self::update_if_exists(update).await
    }

    /// Revokes every family of the user (logout everywhere). Returns how many were revoked.
    pub async fn revoke_all_families(&self, sub: &str, reason: &str) -> Result<usize, StoreError> {
        let ids = self.family_ids(sub).await?;
        for id in &ids {
            self.revoke_family(sub, id, reason).await?;
        }
        Ok(ids.len())
    }

    /// The ids of every family of the user, by a consistent Query of the user's partition.
    pub(crate) async fn family_ids(&self, sub: &str) -> Result<Vec<String>, StoreError> {
        let mut start = None;
        let mut ids = Vec::new();
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", user_pk(sub))
                .expression_attribute_values(":prefix", s(FAMILY_PREFIX))
                .projection_expression("sk")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|err| dynamo("Query", err))?;
            for item in page.items.unwrap_or_default() {
                if let Some(id) = get_s(&item, "sk")?.strip_prefix(FAMILY_PREFIX) {
                    ids.push(id.to_owned());
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(ids),
            }
        }
    }

    /// Removes the family's item (account deletion); a missing one is no error.
    pub(crate) async fn delete_family(&self, sub: &str, id: &str) -> Result<(), StoreError> {
        self.delete(user_pk(sub), family_sk(id)).await
    }
}
