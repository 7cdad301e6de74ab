//! The claims our tokens carry.

use serde::{Deserialize, Serialize};

/// The `type` claim: `access` on every access token; `refresh` only on the refresh JWTs of
/// earlier versions, which the verifier refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// Presented to APIs; checked by the authorizer.
    Access,
    /// Presented only to the token endpoint to get a new pair.
    Refresh,
}

/// The `aud` claim: one audience or several (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience string.
    One(String),
    /// An array of audiences.
    Many(Vec<String>),
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Subject: the user name, or the client id for client_credentials tokens.
    pub sub: String,
    /// Audience: always written on our access tokens (RFC 9068 §2.2), required on validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// Issued at, epoch seconds.
    pub iat: u64,
    /// Expires at, epoch seconds.
    pub exp: u64,
    /// Not before, epoch seconds (never written by us; checked when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Unique token id.
    pub jti: String,
    /// Access or refresh.
    #[serde(rename = "type")]
    pub token_type: TokenType,
    /// Space-delimited scopes (RFC 8693 §4.2), when granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to (RFC 9068 §2.2). Absent on tokens from before it was
    /// written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The refresh-token family of a user's sign-in: revoking the family revokes its access
    /// tokens where revocations are checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
}
