//! The metric names and dimensions, a contract: the alarms and the dashboard in template.yaml
//! find the metrics by these names. Renaming one silently breaks an alarm.

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "JwtAuth";

/// Dimension on every metric (implicit, from [`crate::Metrics::new`]): the function
/// (`authorizer`, `token_generator`).
pub const SERVICE: &str = "Service";
/// Dimension of [`TOKENS_ISSUED`]: the OAuth2 grant (`password`, `refresh_token`).
pub const GRANT: &str = "Grant";
/// Dimension of [`AUTHORIZER_ALLOW`] and [`AUTHORIZER_DENY`]: a short code (`expired`,
/// `missing_token`, ...).
pub const REASON: &str = "Reason";

/// Count, dimensions Service and Grant: access/refresh token pairs issued.
pub const TOKENS_ISSUED: &str = "TokensIssued";
/// Count, dimension Service: logins refused (unknown user or wrong password, not told apart).
pub const LOGIN_FAILURES: &str = "LoginFailures";
/// Count, dimension Service: a spent refresh token presented again (a likely theft).
pub const REFRESH_REUSE_DETECTED: &str = "RefreshReuseDetected";
/// Count, dimensions Service and Reason: requests the authorizer let through (Reason `token`,
/// or `anonymous` for a public route reached without one).
pub const AUTHORIZER_ALLOW: &str = "AuthorizerAllow";
/// Count, dimensions Service and Reason, and Service alone (see [`ROLLED_UP`]): requests the
/// authorizer refused (Reason: the denial's code, `unknown` where the library does not report
/// it yet).
pub const AUTHORIZER_DENY: &str = "AuthorizerDeny";
/// The metrics also published with the dimension Service alone, besides their own dimension
/// sets (in the same line): the total across reasons, which AuthorizerErrorsAlarm in
/// template.yaml subtracts from Lambda's Errors.
pub const ROLLED_UP: &[&str] = &[AUTHORIZER_DENY];

/// Milliseconds, dimension Service: the authorizer handler's time per invocation (from the
/// event to the answer, without the runtime's HTTP exchanges).
pub const AUTHORIZER_LATENCY: &str = "AuthorizerLatency";
