//! Registering OAuth clients of the client_credentials grant: a fresh random secret, stored only
//! as an argon2id hash, shown to the operator once.

use auth_aws::{ClientRecord, Store, StoreError};
use auth_core::PasswordHasher;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::{Failure, now, store_failure};

/// 256 bits: nothing to guess, so the lockout never has to save a client.
const SECRET_BYTES: usize = 32;

/// A client to register.
pub struct NewClient {
    /// Its `client_id`.
    pub id: String,
    /// The scopes it may be granted.
    pub scopes: Vec<String>,
    /// A human-readable name.
    pub name: String,
}

/// Registers the client with a new secret and returns `client_id` and `client_secret` (the only
/// time the secret exists outside the caller's hands). An existing id is refused, never
/// overwritten: its secret stays what it was.
pub async fn create(store: &Store, table: &str, client: &NewClient) -> Result<Value, Failure> {
    let secret = new_secret()?;
    let secret_hash = PasswordHasher::new()
        .hash(&secret)
        .map_err(|err| Failure::Failed(format!("cannot hash the secret: {err}")))?;
    let record = ClientRecord {
        client_id: client.id.clone(),
        secret_hash,
        scopes: client.scopes.clone(),
        name: client.name.clone(),
        created_at: now(),
    };
    match store.create_client(&record).await {
        Ok(()) => Ok(json!({
            "client_id": client.id,
            "client_secret": secret,
            "scope": client.scopes.join(" "),
            "name": client.name,
        })),
        Err(StoreError::AlreadyExists) => Err(Failure::Failed(format!(
            "client {:?} already exists in {table}; nothing was changed",
            client.id
        ))),
        Err(err) => Err(store_failure("cannot register the client", table, &err)),
    }
}

/// base64url (no padding) of 32 bytes from the system's random source: 43 characters, all of
/// them unreserved, so the secret needs no escaping in a form body or a Basic header.
fn new_secret() -> Result<String, Failure> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|err| Failure::Failed(format!("the system random source failed: {err}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_random_bits_in_base64url() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), SECRET_BYTES);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
