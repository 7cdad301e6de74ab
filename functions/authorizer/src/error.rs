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

/// The reasons that are failures of ours, not refusals of the request: the authorizer could not
/// decide (a dependency failed, our configuration produced an answer API Gateway would refuse,
/// or the event is not one API Gateway sends, which is a wiring fault). The caller gets the
/// same 401 (or `isAuthorized: false`), but the metric is `AuthorizerFailure`, not
/// `AuthorizerDeny`: template.yaml's errors alarm subtracts the denials from Lambda's Errors,
/// and must not subtract these, and AuthorizerFailuresAlarm watches them.
pub const FAILURE_REASONS: &[&str] = &[
    // The revocation check could not read the table (error or timeout).
    "revocation_check_failed",
    // A trusted issuer's JWKS could not be fetched or used.
    "jwks_unavailable",
    // The route rules give a policy over API Gateway's limits.
    "policy_too_large",
    // The answer could not be encoded.
    "serialization",
    // Not an event API Gateway builds: the function is wired to something else.
    "not_an_authorizer_event",
    "missing_method_arn",
    "malformed_method_arn",
    "not_json",
];

/// Whether `reason` is one of [`FAILURE_REASONS`].
pub fn is_failure(reason: &str) -> bool {
    FAILURE_REASONS.contains(&reason)
}

impl Denied {
    /// A denial. A refusal logs its reason at debug level: bad input is not an error, and every
    /// refusal is already counted by reason in the metrics (a line each would be most of the
    /// authorizer's log bytes). A failure of ours ([`FAILURE_REASONS`]) logs it at warn.
    pub fn new(reason: &'static str) -> Self {
        if is_failure(reason) {
            tracing::warn!(reason, "request denied: the authorizer could not decide");
        } else {
            tracing::debug!(reason, "request denied");
        }
        Self { reason }
    }

    /// Whether the authorizer failed, rather than refused the request ([`FAILURE_REASONS`]).
    pub fn is_failure(&self) -> bool {
        is_failure(self.reason)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// The reasons that are the request's own fault: `AuthorizerDeny`. With [`FAILURE_REASONS`],
    /// every reason code this crate writes; auth-core's `VerifyError` codes (`expired`,
    /// `bad_signature`, ...) are all about the token, so refusals too.
    const REFUSAL_REASONS: &[&str] = &[
        "missing_token",
        "malformed_authorization",
        "malformed_token",
        "malformed_event",
        "ambiguous_token",
        // An own token's `sub` in a trusted issuer's principal namespace.
        "reserved_principal",
    ];

    /// Every reason literal given to `Denied::new` in this crate's sources is classified, so
    /// that a new reason cannot silently land in the denials the errors alarm subtracts.
    #[test]
    fn every_reason_written_in_the_sources_is_classified() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("Denied::new(\"").skip(1) {
                let reason = piece.split('"').next().unwrap();
                seen += 1;
                assert!(
                    FAILURE_REASONS.contains(&reason) || REFUSAL_REASONS.contains(&reason),
                    "{}: reason {reason:?} is in neither FAILURE_REASONS nor REFUSAL_REASONS",
                    path.display()
                );
            }
        }
        assert!(seen > 10, "found only {seen} reasons in {}", dir.display());
    }

    #[test]
    fn failures_and_refusals_are_told_apart() {
        for reason in [
            "revocation_check_failed",
            "jwks_unavailable",
            "policy_too_large",
        ] {
            assert!(Denied { reason }.is_failure(), "{reason}");
        }
        for reason in [
            "expired",
            "bad_signature",
            "missing_token",
            "revoked",
            "unknown_kid",
        ] {
            assert!(!Denied { reason }.is_failure(), "{reason}");
        }
        assert!(FAILURE_REASONS.iter().all(|r| !REFUSAL_REASONS.contains(r)));
    }
}
