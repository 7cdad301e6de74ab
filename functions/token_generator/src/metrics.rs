//! The token issuer's CloudWatch metrics (EMF lines on stdout, see the telemetry crate):
//! collected while requests run, written at the end of the first request after
//! `METRICS_FLUSH_SECONDS` (and at shutdown).

use std::sync::Mutex;
use std::time::Duration;

use telemetry::{FlushInterval, Metrics, names};

/// The metrics of the requests since the last flush (one request at a time per process).
pub struct RequestMetrics {
    metrics: Mutex<Metrics>,
    flush: Duration,
}

impl RequestMetrics {
    pub fn new(service: &'static str, flush: FlushInterval) -> Self {
        Self {
            metrics: Mutex::new(Metrics::new(names::NAMESPACE, service)),
            flush: flush.duration(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Metrics) -> T) -> T {
        f(&mut self
            .metrics
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Whether every request writes its metrics (`METRICS_FLUSH_SECONDS=0`).
    pub fn flushes_every_invocation(&self) -> bool {
        self.flush.is_zero()
    }

    /// Writes the held values first when they are from an earlier minute, so that no document
    /// spans two minutes (see `Metrics::is_from_an_earlier_minute`); call before recording.
    pub fn start_request(&self) {
        if self.flush.is_zero() {
            return;
        }
        self.with(|m| {
            if m.is_from_an_earlier_minute(telemetry::now_ms()) {
                m.flush(&mut std::io::stdout().lock());
            }
        });
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

    /// Writes what was collected to stdout (one EMF line per document), and forgets it.
    pub fn flush(&self) {
        self.with(|m| m.flush(&mut std::io::stdout().lock()));
    }

    /// [`RequestMetrics::flush`] once the oldest value has waited `METRICS_FLUSH_SECONDS`.
    pub fn flush_if_due(&self) {
        self.with(|m| {
            if m.is_due(self.flush) {
                m.flush(&mut std::io::stdout().lock());
            }
        });
    }
}
