//! The one way an authorizer says no to API Gateway, and what stops a cold start.

use auth_core::TrustedIssuerError;
use lambda_runtime::Diagnostic;
use thiserror::Error;

/// A rejected request; `reason` is a short code for the log, never sent to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied {
    /// Why, as a short code (`expired`, `missing_token`, ...).
    pub reason: &'static str,
}

impl Denied {
    /// A denial; logs its reason at info level (bad input is not an error).
    pub fn new(reason: &'static str) -> Self {
        tracing::info!(reason, "request denied");
        Self { reason }
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
}
