//! A development API Gateway: serves the REST API that template.yaml declares, with its Lambda
//! authorizer in front of the protected routes, invoking the functions through
//! `cargo lambda watch`. It does what API Gateway does for each request (the v1 proxy event, the
//! TOKEN or REQUEST authorizer event, the per-identity policy cache, IAM evaluation, MOCK
//! integrations, gateway responses) so that 401, 403 and 200 come out locally as they would in
//! AWS. Never deployed.

pub mod api;
pub mod cache;
pub mod cfn;
mod error;
pub mod events;
mod gateway;
pub mod invoke;
pub mod mapping;
pub mod mock;
pub mod policy;
pub mod responses;
pub mod server;
pub mod template;

pub use error::Error;
pub use gateway::Gateway;
pub use invoke::{HttpInvoker, Invocation, Invoker};
