//! The token issuer's CloudWatch metrics (EMF lines on stdout, see the telemetry crate):
//! collected while a request runs, written once when it ends.

use std::sync::Mutex;

use telemetry::{Metrics, names};

/// The metrics of the request being handled (one at a time per process).
pub struct RequestMetrics(Mutex<Metrics>);

impl RequestMetrics {
    pub fn new(service: &'static str) -> Self {
        Self(Mutex::new(Metrics::new(names::NAMESPACE, service)))
    }

    fn with(&self, f: impl FnOnce(&mut Metrics)) {
        f(&mut self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()));
    }

    /// A token was issued by `grant` (`password`, `refresh_token`, `client_credentials`).
    pub fn tokens_issued(&self, grant: &'static str) {
        self.with(|m| m.count(names::TOKENS_ISSUED, &[(names::GRANT, grant)], 1));
    }

    /// A sign-in failed: unknown user or wrong password.
    pub fn login_failure(&self) {
        self.with(|m| m.count(names::LOGIN_FAILURES, &[], 1));
    }

    /// A client authentication failed: unknown client or wrong secret.
    pub fn client_auth_failure(&self) {
        self.with(|m| m.count(names::CLIENT_AUTH_FAILURES, &[], 1));
    }

    /// A spent refresh token came back: its family was revoked.
    pub fn refresh_reuse(&self) {
        self.with(|m| m.count(names::REFRESH_REUSE_DETECTED, &[], 1));
    }

    /// Writes what was collected as one EMF line to stdout.
    pub fn flush(&self) {
        self.with(|m| m.flush(&mut std::io::stdout().lock()));
    }
}
