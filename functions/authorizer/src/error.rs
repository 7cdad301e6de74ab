//! The one way an authorizer says no to API Gateway.

use lambda_runtime::Diagnostic;

/// A rejected request; `reason` is a short code for the log, never sent to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied {
    pub reason: &'static str,
}

impl Denied {
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
