//! The API Gateway Lambda authorizer as a library: the binary in main.rs wires it to the Lambda
//! runtime; benchmarks, property tests and the fuzz target call it directly.

pub mod context;
pub mod error;
pub mod event;
pub mod response;
pub mod token;

pub use error::Denied;
pub use event::{AuthorizerEvent, Flavour};
pub use response::{Answer, authorize};

/// From event JSON bytes to response JSON bytes, as the runtime does it (benchmarks, fuzzing).
/// `Err` is the "Unauthorized" error (or, for bytes that are not JSON, the runtime's own error).
pub fn handle_bytes(config: &auth_aws::Config, bytes: &[u8]) -> Result<Vec<u8>, Denied> {
    let event = AuthorizerEvent::from_slice(bytes).map_err(|_| Denied::new("not_json"))?;
    let answer = authorize(config, &event)?;
    serde_json::to_vec(&answer).map_err(|_| Denied::new("serialization"))
}
