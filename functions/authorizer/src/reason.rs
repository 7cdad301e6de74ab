//! Why the authorizer says no: one variant per reason, with the short code the logs and the
//! `Reason` dimension of the metrics carry (template.yaml's alarms and dashboard name them, so a
//! code never changes).

use auth_core::VerifyError;

/// Why a request was refused, or why the authorizer could not decide ([`DenyReason::is_failure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyReason {
    // Failures of ours: the authorizer could not decide.
    /// The revocation check could not read the table (error or timeout).
    RevocationCheckFailed,
    /// A trusted issuer's JWKS could not be fetched or used.
    JwksUnavailable,
    /// The route rules give a policy over API Gateway's limits.
    PolicyTooLarge,
    /// The answer could not be encoded.
    Serialization,
    /// Not an event API Gateway builds: the function is wired to something else.
    NotAnAuthorizerEvent,
    /// The event has no method (or route) ARN.
    MissingMethodArn,
    /// The event's method (or route) ARN is not one API Gateway writes.
    MalformedMethodArn,
    /// The payload was not JSON.
    NotJson,

    // Refusals: the request's own fault.
    /// No token where the token sources look, on a route that is not public.
    MissingToken,
    /// An `Authorization` value that is not a bearer token.
    MalformedAuthorization,
    /// A token (from a cookie or query parameter) that is not a single b64token.
    MalformedToken,
    /// A header, cookie or query parameter of the wrong shape in the event.
    MalformedEvent,
    /// More than one token where one is looked for.
    AmbiguousToken,
    /// An own token's `sub` in a trusted issuer's principal namespace.
    ReservedPrincipal,
    /// A valid token whose scopes do not cover the requested route.
    InsufficientScope,

    // Refusals of the token itself ([`VerifyError`]).
    /// [`VerifyError::Oversized`].
    Oversized,
    /// [`VerifyError::Malformed`].
    Malformed,
    /// [`VerifyError::AlgorithmNotAllowed`].
    AlgorithmNotAllowed,
    /// [`VerifyError::WrongHeaderType`].
    WrongHeaderType,
    /// [`VerifyError::UnsupportedCritical`].
    UnsupportedCritical,
    /// [`VerifyError::BadSignature`].
    BadSignature,
    /// [`VerifyError::Expired`].
    Expired,
    /// [`VerifyError::NotYetValid`].
    NotYetValid,
    /// [`VerifyError::WrongIssuer`].
    WrongIssuer,
    /// [`VerifyError::WrongAudience`].
    WrongAudience,
    /// [`VerifyError::MissingClaim`].
    MissingClaim,
    /// [`VerifyError::WrongTokenType`].
    WrongTokenType,
    /// [`VerifyError::UnknownKey`].
    UnknownKey,
    /// [`VerifyError::UntrustedIssuer`].
    UntrustedIssuer,
    /// [`VerifyError::Revoked`].
    Revoked,
}

impl DenyReason {
    /// Every reason, for tests and documentation.
    pub const ALL: [Self; 30] = [
        Self::RevocationCheckFailed,
        Self::JwksUnavailable,
        Self::PolicyTooLarge,
        Self::Serialization,
        Self::NotAnAuthorizerEvent,
        Self::MissingMethodArn,
        Self::MalformedMethodArn,
        Self::NotJson,
        Self::MissingToken,
        Self::MalformedAuthorization,
        Self::MalformedToken,
        Self::MalformedEvent,
        Self::AmbiguousToken,
        Self::ReservedPrincipal,
        Self::InsufficientScope,
        Self::Oversized,
        Self::Malformed,
        Self::AlgorithmNotAllowed,
        Self::WrongHeaderType,
        Self::UnsupportedCritical,
        Self::BadSignature,
        Self::Expired,
        Self::NotYetValid,
        Self::WrongIssuer,
        Self::WrongAudience,
        Self::MissingClaim,
        Self::WrongTokenType,
        Self::UnknownKey,
        Self::UntrustedIssuer,
        Self::Revoked,
    ];

    /// The short, stable code of the logs' `reason` field and the metrics' `Reason` dimension.
    pub fn code(&self) -> &'static str {
        match self {
            Self::RevocationCheckFailed => "revocation_check_failed",
            Self::JwksUnavailable => "jwks_unavailable",
            Self::PolicyTooLarge => "policy_too_large",
            Self::Serialization => "serialization",
            Self::NotAnAuthorizerEvent => "not_an_authorizer_event",
            Self::MissingMethodArn => "missing_method_arn",
            Self::MalformedMethodArn => "malformed_method_arn",
            Self::NotJson => "not_json",
            Self::MissingToken => "missing_token",
            Self::MalformedAuthorization => "malformed_authorization",
            Self::MalformedToken => "malformed_token",
            Self::MalformedEvent => "malformed_event",
            Self::AmbiguousToken => "ambiguous_token",
            Self::ReservedPrincipal => "reserved_principal",
            Self::InsufficientScope => "insufficient_scope",
            Self::Oversized => "oversized",
            Self::Malformed => "malformed",
            Self::AlgorithmNotAllowed => "alg_not_allowed",
            Self::WrongHeaderType => "wrong_typ",
            Self::UnsupportedCritical => "unsupported_crit",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::MissingClaim => "missing_claim",
            Self::WrongTokenType => "wrong_token_type",
            Self::UnknownKey => "unknown_kid",
            Self::UntrustedIssuer => "untrusted_issuer",
            Self::Revoked => "revoked",
        }
    }

    /// Whether this is a failure of ours, not a refusal of the request: the authorizer could not
    /// decide (a dependency failed, our configuration produced an answer API Gateway would
    /// refuse, or the event is not one API Gateway sends, which is a wiring fault). The caller
    /// gets the same 401 (or `isAuthorized: false`), but the metric is `AuthorizerFailure`, not
    /// `AuthorizerDeny`: template.yaml's errors alarm subtracts the denials from Lambda's Errors,
    /// and must not subtract these, and AuthorizerFailuresAlarm watches them.
    pub fn is_failure(&self) -> bool {
        match self {
            Self::RevocationCheckFailed
            | Self::JwksUnavailable
            | Self::PolicyTooLarge
            | Self::Serialization
            | Self::NotAnAuthorizerEvent
            | Self::MissingMethodArn
            | Self::MalformedMethodArn
            | Self::NotJson => true,
            Self::MissingToken
            | Self::MalformedAuthorization
            | Self::MalformedToken
            | Self::MalformedEvent
            | Self::AmbiguousToken
            | Self::ReservedPrincipal
            | Self::InsufficientScope
            | Self::Oversized
            | Self::Malformed
            | Self::AlgorithmNotAllowed
            | Self::WrongHeaderType
            | Self::UnsupportedCritical
            | Self::BadSignature
            | Self::Expired
            | Self::NotYetValid
            | Self::WrongIssuer
            | Self::WrongAudience
            | Self::MissingClaim
            | Self::WrongTokenType
            | Self::UnknownKey
            | Self::UntrustedIssuer
            | Self::Revoked => false,
        }
    }
}

impl From<&VerifyError> for DenyReason {
    fn from(err: &VerifyError) -> Self {
        match err {
            VerifyError::Oversized => Self::Oversized,
            VerifyError::Malformed => Self::Malformed,
            VerifyError::AlgorithmNotAllowed => Self::AlgorithmNotAllowed,
            VerifyError::WrongHeaderType => Self::WrongHeaderType,
            VerifyError::UnsupportedCritical => Self::UnsupportedCritical,
            VerifyError::BadSignature => Self::BadSignature,
            VerifyError::Expired => Self::Expired,
            VerifyError::NotYetValid => Self::NotYetValid,
            VerifyError::WrongIssuer => Self::WrongIssuer,
            VerifyError::WrongAudience => Self::WrongAudience,
            VerifyError::MissingClaim => Self::MissingClaim,
            VerifyError::WrongTokenType => Self::WrongTokenType,
            VerifyError::UnknownKey => Self::UnknownKey,
            VerifyError::UntrustedIssuer => Self::UntrustedIssuer,
            VerifyError::Revoked => Self::Revoked,
        }
    }
}

impl From<VerifyError> for DenyReason {
    fn from(err: VerifyError) -> Self {
        Self::from(&err)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_is_unique() {
        let codes: HashSet<&str> = DenyReason::ALL.iter().map(DenyReason::code).collect();
        assert_eq!(codes.len(), DenyReason::ALL.len());
        let reasons: HashSet<DenyReason> = DenyReason::ALL.into_iter().collect();
        assert_eq!(reasons.len(), DenyReason::ALL.len());
    }

    /// The failures are the reasons they were (template.yaml's AuthorizerFailure alarms and the
    /// errors alarm's subtraction depend on exactly this split), and every other reason is a
    /// refusal.
    #[test]
    fn the_failures_are_these_codes() {
        let failures: HashSet<&str> = DenyReason::ALL
            .iter()
            .filter(|r| r.is_failure())
            .map(DenyReason::code)
            .collect();
        let expected: HashSet<&str> = [
            "revocation_check_failed",
            "jwks_unavailable",
            "policy_too_large",
            "serialization",
            "not_an_authorizer_event",
            "missing_method_arn",
            "malformed_method_arn",
            "not_json",
        ]
        .into_iter()
        .collect();
        assert_eq!(failures, expected);
        let refusals: HashSet<&str> = DenyReason::ALL
            .iter()
            .filter(|r| !r.is_failure())
            .map(DenyReason::code)
            .collect();
        let expected: HashSet<&str> = [
            "missing_token",
            "malformed_authorization",
            "malformed_token",
            "malformed_event",
            "ambiguous_token",
            "reserved_principal",
            "insufficient_scope",
            "oversized",
            "malformed",
            "alg_not_allowed",
            "wrong_typ",
            "unsupported_crit",
            "bad_signature",
            "expired",
            "not_yet_valid",
            "wrong_issuer",
            "wrong_audience",
            "missing_claim",
            "wrong_token_type",
            "unknown_kid",
            "untrusted_issuer",
            "revoked",
        ]
        .into_iter()
        .collect();
        assert_eq!(refusals, expected);
    }

    /// auth-core's codes come through unchanged.
    #[test]
    fn verify_errors_keep_their_codes() {
        for err in [
            VerifyError::Oversized,
            VerifyError::Malformed,
            VerifyError::AlgorithmNotAllowed,
            VerifyError::WrongHeaderType,
            VerifyError::UnsupportedCritical,
            VerifyError::BadSignature,
            VerifyError::Expired,
            VerifyError::NotYetValid,
            VerifyError::WrongIssuer,
            VerifyError::WrongAudience,
            VerifyError::MissingClaim,
            VerifyError::WrongTokenType,
            VerifyError::UnknownKey,
            VerifyError::UntrustedIssuer,
            VerifyError::Revoked,
        ] {
            let reason = DenyReason::from(&err);
            assert_eq!(reason.code(), err.reason(), "{err:?}");
            assert!(!reason.is_failure(), "{err:?}");
        }
    }
}
