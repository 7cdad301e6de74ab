//! Error types of auth-core, one enum per concern.

use thiserror::Error;

/// Why a signing secret or key was refused.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The HS256 secret is shorter than RFC 7518 §3.2 allows (at least the hash size).
    #[error("the signing secret is {actual} bytes; at least {required} are required")]
    TooShort {
        /// Length of the secret that was offered.
        actual: usize,
        /// Minimum length.
        required: usize,
    },
    /// The document is not a JWK Set (`{"keys": [...]}` of objects).
    #[error("the key set is not a JWK Set document")]
    NotAKeySet,
    /// The set has no key.
    #[error("the key set has no key")]
    Empty,
    /// More keys than [`crate::MAX_KEYS`].
    #[error("the key set has {0} keys; at most 16 are allowed")]
    TooManyKeys(usize),
    /// Not exactly one key is `active`.
    #[error("the key set has {0} active keys; exactly one is required")]
    ActiveCount(usize),
    /// Two keys share a `kid`.
    #[error("two keys have the kid {0:?}")]
    DuplicateKid(String),
    /// A key's `alg` is not ES256, EdDSA, RS256 or HS256.
    #[error("key {0:?} has an unsupported alg (ES256, EdDSA, RS256 or HS256)")]
    UnsupportedAlgorithm(String),
    /// A required JWK member is missing.
    #[error("a key has no {0:?} member")]
    MissingMember(&'static str),
    /// A JWK member has a bad value (wrong type, encoding, length, curve, or key mismatch).
    #[error("a key has a bad {0:?} member")]
    BadMember(&'static str),
    /// An RSA modulus shorter than 2048 bits.
    #[error("an RSA key has {0} bits; at least 2048 are required")]
    RsaTooShort(usize),
    /// The system random source or the key generator failed.
    #[error("key generation failed")]
    Generate,
}

/// Why a token was not accepted. Each variant maps to a short log code via [`VerifyError::reason`].
#[derive(Debug, Error, PartialEq, Eq)]
pub enum VerifyError {
    /// Larger than [`crate::MAX_TOKEN_BYTES`].
    #[error("token is too large")]
    Oversized,
    /// Not three base64url segments, undecodable header or claims, or claims of the wrong shape.
    #[error("token is malformed")]
    Malformed,
    /// The header names an algorithm that is not configured (including `none`).
    #[error("token algorithm is not allowed")]
    AlgorithmNotAllowed,
    /// The header's `typ` is present and is not a JWT type.
    #[error("token header type is not accepted")]
    WrongHeaderType,
    /// The header carries `crit` extensions, none of which this verifier understands (RFC 7515 §4.1.11).
    #[error("token has critical header extensions")]
    UnsupportedCritical,
    /// The signature does not verify with the configured key.
    #[error("token signature is invalid")]
    BadSignature,
    /// `exp` is in the past (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` or `iat` is in the future (beyond the leeway).
    #[error("token is not yet valid")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("token issuer is not accepted")]
    WrongIssuer,
    /// `aud` does not name the configured audience.
    #[error("token audience is not accepted")]
    WrongAudience,
    /// A required claim is missing.
    #[error("token lacks a required claim")]
    MissingClaim,
    /// A refresh token offered as an access token or the other way round.
    #[error("token is of the wrong type")]
    WrongTokenType,
    /// The `kid` names no key of the configured set (or the token has none and the set has no
    /// key without one).
    #[error("token key is not known")]
    UnknownKey,
    /// The issuer is not one this verifier trusts.
    #[error("token issuer is not trusted")]
    UntrustedIssuer,
    /// The token was revoked, or issued before its subject's last logout.
    #[error("token has been revoked")]
    Revoked,
}

impl VerifyError {
    /// A short, stable code for logs and metrics (`expired`, `bad_signature`, ...).
    pub fn reason(&self) -> &'static str {
        match self {
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
}

/// Why a token could not be issued.
#[derive(Debug, Error)]
pub enum IssueError {
    /// The operating system's random source failed.
    #[error("random source failed")]
    Random,
    /// Encoding or signing failed.
    #[error("signing failed: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    /// The subject is empty.
    #[error("subject is empty")]
    EmptySubject,
    /// The key set's active key has no private half.
    #[error("no signing key")]
    NoSigningKey,
}

/// Why an `Authorization` header value is not a usable bearer token.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BearerError {
    /// The header is empty.
    #[error("authorization header is empty")]
    Empty,
    /// The scheme is not `Bearer`.
    #[error("authorization scheme is not Bearer")]
    WrongScheme,
    /// The credentials are not a single b64token (RFC 6750 §2.1).
    #[error("bearer credentials are malformed")]
    Malformed,
}

/// Why a method or route ARN could not be used to build a policy.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PolicyError {
    /// Not `arn:<partition>:execute-api:<region>:<account>:<api>/<stage>/<method>/<path>`.
    #[error("method ARN is malformed")]
    MalformedArn,
}

/// Why a password could not be hashed or was refused by the policy.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasswordError {
    /// Shorter than the minimum length.
    #[error("password must be at least {0} characters")]
    TooShort(usize),
    /// Longer than the maximum length.
    #[error("password must be at most {0} characters")]
    TooLong(usize),
    /// A well-known, easily guessed password, or the username itself.
    #[error("password is too easy to guess")]
    Guessable,
    /// The hashing library failed.
    #[error("password hashing failed")]
    Hashing,
}

/// Why `TOKEN_SOURCES` could not be parsed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SourceError {
    /// Not a comma-separated list of `header:<name>`, `query:<name>` or `cookie:<name>`.
    #[error("expected a comma-separated list of header:<name>, query:<name> or cookie:<name>")]
    Malformed,
}

/// Why route rules could not be parsed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RulesError {
    /// Not valid JSON of the expected shape.
    #[error("route rules are not valid: {0}")]
    Json(String),
    /// A rule's route is not `METHOD /path` or a WebSocket route key.
    #[error("route {0:?} is not `METHOD /path` or a route key like `$connect`")]
    BadRoute(String),
    /// A rule names no requirement, or several.
    #[error("route {0:?} must have exactly one of public, any_of, all_of")]
    BadRequirement(String),
}

/// A `scope` that is malformed, or asks for what may not be granted (OAuth `invalid_scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the requested scope is invalid or not granted")]
pub struct ScopeError;
