//! Pure core of the JWT authentication layer: claims, keys, issuing and verifying access tokens,
//! opaque refresh tokens,
//! bearer parsing, IAM policy documents, OAuth2 wire types and password hashing.
//!
//! No AWS SDK, no async runtime, no I/O: everything here takes bytes, strings and settings and
//! returns values, so it is easy to test, fuzz and benchmark.
#![warn(missing_docs)]

mod bearer;
mod claims;
mod error;
mod issue;
mod keyset;
mod lockout;
mod oauth;
mod ownership;
mod password;
mod policy;
mod refresh;
mod rotation;
mod rules;
mod scope;
mod secret;
mod settings;
mod sources;
mod throttle;
mod token_cache;
mod trusted;
mod verify;
mod wildcard;

pub use bearer::BearerToken;
pub use claims::{Audience, Claims, TokenType};
pub use error::{
    BearerError, IssueError, KeyError, PasswordError, PolicyError, RulesError, ScopeError,
    SourceError, VerifyError,
};
pub use issue::{ACCESS_TOKEN_TYP, Grant, IssuedToken, TokenIssuer, random_id};
pub use keyset::{Key, KeyAlgorithm, KeySet, KeyStatus, MAX_KEYS, generate_jwk, thumbprint};
pub use lockout::{AttemptCounter, LockoutPolicy, LockoutResponse, Reservation};
pub use oauth::{ErrorBody, OAuthError, TokenResponse};
pub use ownership::Ownership;
pub use password::{PasswordHasher, check_password_policy};
pub use policy::{
    AuthorizerContext, IamResponse, MethodArn, PolicyDocument, SimpleResponse, Statement,
};
pub use refresh::{REFRESH_TOKEN_CHARS, RefreshToken};
pub use rotation::{
    DEFAULT_RETIRE_AFTER_SECS, RotationSettings, add_pending, parse_document, promote_pending,
    prune_retired, rotate_key_set,
};
pub use rules::{Caller, Decision, MAX_POLICY_BYTES, RouteRules};
pub use scope::{narrow_scope, parse_scope, refresh_scope, scope_within};
pub use secret::Secret;
pub use settings::{MAX_LEEWAY_SECS, TokenSettings, default_audience, issuer_url};
pub use sources::{TokenSource, cookie_values};
pub use throttle::{Admission, ThrottlePolicy, WindowCount};
pub use token_cache::{TokenCache, TokenCacheLimits};
pub use trusted::{
    JWKS_MIN_REFRESH, JwksCache, JwksError, JwksKey, MAX_JWKS_BYTES, MAX_JWKS_KEYS,
    MAX_PRINCIPAL_PREFIX_CHARS, MAX_TRUSTED_ISSUERS, MAX_UNKNOWN_KIDS, PRINCIPAL_SEPARATOR,
    ScopeMap, Step, TrustedClaims, TrustedIssuer, TrustedIssuerError, UNKNOWN_KID_MEMORY,
    parse_jwks, unverified_issuer,
};
pub use verify::{MAX_TOKEN_BYTES, Verifier, map_error, precheck};
pub use wildcard::wildcard_match;
