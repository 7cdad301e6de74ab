//! The metric names and dimensions, a contract: the alarms and the dashboard in template.yaml
//! find the metrics by these names. Renaming one silently breaks an alarm.

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "JwtAuth";

/// Dimension on every metric (implicit, from [`crate::Metrics::new`]): the function
/// (`authorizer`, `token_generator`), fixed in each function's code.
pub const SERVICE: &str = "Service";
/// Dimension on every metric when the process knows its environment (implicit, see
/// [`crate::Metrics::environment`]): the deployment environment (`dev`, `staging`, `prod`), from
/// the variable [`ENVIRONMENT_VARIABLE`], which template.yaml sets on every function. Unset or
/// empty (a local run, a test), the dimension is left out, so such metrics never count towards
/// a deployed environment's alarms.
pub const ENVIRONMENT: &str = "Environment";
/// The process environment variable holding the value of [`ENVIRONMENT`].
pub const ENVIRONMENT_VARIABLE: &str = "ENVIRONMENT";
/// Dimension of [`TOKENS_ISSUED`]: the OAuth2 grant (`password`, `refresh_token`).
pub const GRANT: &str = "Grant";
/// Dimension of [`AUTHORIZER_ALLOW`], [`AUTHORIZER_DENY`] and [`AUTHORIZER_FAILURE`]: a short
/// code (`expired`, `missing_token`, `jwks_unavailable`, ...).
pub const REASON: &str = "Reason";

/// Count, dimensions Service and Grant: access/refresh token pairs issued.
pub const TOKENS_ISSUED: &str = "TokensIssued";
/// Count, dimension Service: logins refused (unknown user or wrong password, not told apart).
pub const LOGIN_FAILURES: &str = "LoginFailures";
/// Count, dimension Service: client authentications refused (unknown client or wrong secret).
/// Clients are never locked out (their secrets are 256 random bits); this is what alarms.
pub const CLIENT_AUTH_FAILURES: &str = "ClientAuthFailures";
/// Count, dimension Service: a spent refresh token presented again (a likely theft).
pub const REFRESH_REUSE_DETECTED: &str = "RefreshReuseDetected";
/// Count, dimensions Service and Reason: requests the authorizer let through (Reason `token`,
/// or `anonymous` for a public route reached without one).
pub const AUTHORIZER_ALLOW: &str = "AuthorizerAllow";
/// Count, dimensions Service and Reason, and Service alone (see [`ROLLED_UP`]): requests the
/// authorizer refused because of the request itself (Reason: the denial's code, `expired`,
/// `bad_signature`, `missing_token`, ...). Never a failure of ours: those are
/// [`AUTHORIZER_FAILURE`].
pub const AUTHORIZER_DENY: &str = "AuthorizerDeny";
/// Count, dimensions Service and Reason, and Service alone (see [`ROLLED_UP`]): requests the
/// authorizer refused because it could not decide (Reason: `revocation_check_failed`,
/// `jwks_unavailable`, `policy_too_large`, ...): our failures, which alarm and roll a deploy
/// back, and which the errors alarm must not subtract from Lambda's Errors.
pub const AUTHORIZER_FAILURE: &str = "AuthorizerFailure";
/// The metrics also published with the base dimensions alone (Service, and Environment when
/// set), besides their own dimension sets (in the same line): the totals across reasons.
/// template.yaml's AuthorizerErrorsAlarm subtracts the AuthorizerDeny total from Lambda's
/// Errors; AuthorizerFailuresAlarm watches the AuthorizerFailure total.
pub const ROLLED_UP: &[&str] = &[AUTHORIZER_DENY, AUTHORIZER_FAILURE];

/// Count, dimension Service: our own tokens the authorizer found in its verified-token cache
/// (asymmetric key sets only, `TOKEN_CACHE_ENTRIES`): their signature was not checked again.
pub const AUTHORIZER_TOKEN_CACHE_HITS: &str = "AuthorizerTokenCacheHits";
/// Count, dimension Service: our own tokens looked up in that cache and not found (verified,
/// then held).
pub const AUTHORIZER_TOKEN_CACHE_MISSES: &str = "AuthorizerTokenCacheMisses";

/// Milliseconds, dimension Service: the authorizer handler's time per invocation (from the
/// event to the answer, without the runtime's HTTP exchanges).
pub const AUTHORIZER_LATENCY: &str = "AuthorizerLatency";
