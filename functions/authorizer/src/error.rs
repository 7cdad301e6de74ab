//! The one way an authorizer says no to API Gateway.

use lambda_runtime::Diagnostic;

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
