//! OAuth clients for the client_credentials grant: an argon2id-hashed secret and the scopes the
//! client may be granted. Item: `pk = CLIENT#<client_id>`, `sk = CLIENT`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::StoreError;
use crate::items::{get_s, n, opt_n, opt_s, s, string_list};
use crate::store::Store;

const CLIENT_SK: &str = "CLIENT";

fn client_pk(client_id: &str) -> AttributeValue {
    s(format!("CLIENT#{client_id}"))
}

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The client id (`sub` and `client_id` of its tokens).
    pub client_id: String,
    /// argon2id PHC string of the client secret.
    pub secret_hash: String,
    /// The scopes the client may be granted.
    pub scopes: Vec<String>,
    /// A human-readable name.
    pub name: String,
    /// Epoch seconds.
    pub created_at: u64,
}

impl Store {
    /// Registers a client; [`StoreError::AlreadyExists`] if another client has the id (users are
    /// not looked at: a user may have the same name, and user tokens always carry `fam`).
    pub async fn create_client(&self, client: &ClientRecord) -> Result<(), StoreError> {
        let scopes = client.scopes.iter().map(s).collect();
        let item = HashMap::from([
            ("pk".to_owned(), client_pk(&client.client_id)),
            ("sk".to_owned(), s(CLIENT_SK)),
            ("client_id".to_owned(), s(&client.client_id)),
            ("secret_hash".to_owned(), s(&client.secret_hash)),
            ("scopes".to_owned(), AttributeValue::L(scopes)),
            ("name".to_owned(), s(&client.name)),
            ("created_at".to_owned(), n(client.created_at)),
        ]);
        self.put_new(item).await
    }

    /// The client, if registered (strongly consistent read).
    pub async fn find_client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        let Some(item) = self.get(client_pk(client_id), s(CLIENT_SK), true).await? else {
            return Ok(None);
        };
        Ok(Some(ClientRecord {
            client_id: get_s(&item, "client_id")?.to_owned(),
            secret_hash: get_s(&item, "secret_hash")?.to_owned(),
            scopes: string_list(item.get("scopes")),
            name: opt_s(&item, "name").unwrap_or_default().to_owned(),
            created_at: opt_n(&item, "created_at").unwrap_or_default(),
        }))
    }
}
