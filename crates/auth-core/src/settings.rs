//! Token settings shared by the issuer and the verifier.

/// Upper bound on the clock-skew leeway, in seconds.
pub const MAX_LEEWAY_SECS: u64 = 60;

/// How tokens are issued and what validation requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// `iss` written on issue and required on validation. Default `lambda-api`.
    pub issuer: String,
    /// `aud` written on issue and required on validation when set. Default unset.
    pub audience: Option<String>,
    /// Access-token lifetime in seconds. Default 3600.
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime in seconds. Default 604800 (7 days).
    pub refresh_ttl_secs: u64,
    /// Absolute lifetime of a refresh-token family, in seconds: past it the user logs in again
    /// however often the family was refreshed (RFC 9700 §4.14.2). Default 2592000 (30 days).
    pub refresh_family_ttl_secs: u64,
    /// Clock-skew leeway for `exp`, `nbf` and `iat`, in seconds. Default 30, at most [`MAX_LEEWAY_SECS`].
    pub leeway_secs: u64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            issuer: "lambda-api".to_owned(),
            audience: None,
            access_ttl_secs: 3600,
            refresh_ttl_secs: 604_800,
            refresh_family_ttl_secs: 2_592_000,
            leeway_secs: 30,
        }
    }
}
