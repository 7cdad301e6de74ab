//! The one way an authorizer says no to API Gateway, and what stops a cold start.

use auth_core::{TrustedIssuerError, VerifyError};
use lambda_runtime::Diagnostic;
use thiserror::Error;

use crate::reason::DenyReason;

/// A rejected request; `reason` is for the log and the metrics, never sent to the caller. Making
/// one logs nothing: the outcome is logged once, where it is turned into the answer
/// ([`crate::response::decide_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied {
    /// Why.
    pub reason: DenyReason,
}

impl Denied {
    /// A denial for `reason`.
    pub fn new(reason: DenyReason) -> Self {
        Self { reason }
    }

    /// Whether the authorizer failed, rather than refused the request ([`DenyReason::is_failure`]).
    pub fn is_failure(&self) -> bool {
        self.reason.is_failure()
    }
}

impl From<DenyReason> for Denied {
    fn from(reason: DenyReason) -> Self {
        Self::new(reason)
    }
}

impl From<VerifyError> for Denied {
    fn from(err: VerifyError) -> Self {
        Self::new(err.into())
    }
}

impl From<Denied> for Diagnostic {
    fn from(_: Denied) -> Self {
        // API Gateway maps the errorMessage "Unauthorized" (exactly) to a 401 response.
        Diagnostic {
            error_type: "Unauthorized".into(),
            error_message: "Unauthorized".into(),
        }
    }
}

/// A setting of the authorizer's own checks that stops the cold start.
#[derive(Debug, Error)]
pub enum SetupError {
    /// `TRUSTED_ISSUERS` is not a valid issuer list.
    #[error("TRUSTED_ISSUERS is invalid: {0}")]
    TrustedIssuers(#[from] TrustedIssuerError),
    /// A `jwks_uri` that passed the checks but is not a URI the HTTP client takes.
    #[error("TRUSTED_ISSUERS is invalid: the jwks_uri of {0:?} is not a valid URL")]
    JwksUri(String),
    /// `REVOCATION_CHECK` is on and `USERS_TABLE` is unset.
    #[error("USERS_TABLE is required when REVOCATION_CHECK is true")]
    NoUsersTable,
    /// `TOKEN_CACHE_ENTRIES` or `TOKEN_CACHE_BYTES` is not a whole number.
    #[error("{name} is {value:?}: expected a whole number (0 turns the token cache off)")]
    TokenCache {
        /// The variable.
        name: &'static str,
        /// What it holds.
        value: String,
    },
}
