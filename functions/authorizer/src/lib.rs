//! The API Gateway Lambda authorizer as a library: the binary in main.rs wires it to the Lambda
//! runtime; benchmarks, property tests and the fuzz target call it directly.

pub mod checks;
pub mod context;
pub mod error;
pub mod event;
pub mod jwks;
pub mod reason;
pub mod response;
pub mod revocation;
pub mod token_source;
pub mod trusted;

pub use checks::Checks;
pub use error::{Denied, SetupError};
pub use event::{AuthorizerEvent, Flavour};
pub use reason::DenyReason;
pub use response::{Answer, Outcome, authorize, authorize_with, decide_with};

/// From event JSON bytes to response JSON bytes, as the runtime does it (benchmarks, fuzzing).
/// `Err` is the "Unauthorized" error, also for bytes that are not JSON.
pub fn handle_bytes(config: &auth_aws::Config, bytes: &[u8]) -> Result<Vec<u8>, Denied> {
    let event = AuthorizerEvent::from_slice(bytes);
    let answer = authorize(config, &event)?;
    serde_json::to_vec(&answer).map_err(|_| Denied::new(DenyReason::Serialization))
}

/// [`handle_bytes`] with the optional checks (benchmarks of the trusted-issuer and revocation
/// paths).
pub async fn handle_bytes_with(
    config: &auth_aws::Config,
    checks: &Checks,
    bytes: &[u8],
) -> Result<Vec<u8>, Denied> {
    let event = AuthorizerEvent::from_slice(bytes);
    let answer = authorize_with(config, checks, &event).await?;
    serde_json::to_vec(&answer).map_err(|_| Denied::new(DenyReason::Serialization))
}
