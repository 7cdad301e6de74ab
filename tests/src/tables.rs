//! Users tables on the shared moto_server: a fresh one per test, the store over it, and the
//! records a test puts there directly (confidential clients).

use auth_aws::{ClientRecord, Store};
use auth_core::PasswordHasher;

use crate::moto::moto;
use crate::{block_on, unique};

/// The store over `table` on the shared moto_server.
pub fn store(table: &str) -> Store {
    block_on(async {
        let sdk = auth_aws::emulator_sdk_config(&moto().endpoint).await;
        Store::new(&sdk, table)
    })
}

/// A fresh users table, named after `prefix`; its name.
pub fn create(prefix: &str) -> String {
    let table = unique(prefix);
    block_on(async {
        let sdk = auth_aws::emulator_sdk_config(&moto().endpoint).await;
        Store::new(&sdk, &table).create_table().await.unwrap();
    });
    table
}

/// A confidential client `id` in `table`, with `secret` (hashed) and the scopes it may have.
pub fn create_client(table: &str, id: &str, secret: &str, scopes: &[&str]) {
    let record = ClientRecord {
        client_id: id.to_owned(),
        secret_hash: PasswordHasher::new().hash(secret).unwrap(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        name: id.to_owned(),
        created_at: 1,
    };
    block_on(async {
        let sdk = auth_aws::emulator_sdk_config(&moto().endpoint).await;
        Store::new(&sdk, table)
            .create_client(&record)
            .await
            .unwrap();
    });
}
