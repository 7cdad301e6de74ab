//! Test harness shared by the workspace's integration tests: moto_server on a free loopback port,
//! and a Lambda Runtime API on loopback that runs the built function binaries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod http;
pub mod jwks_server;
pub mod moto;
pub mod runtime_api;
pub mod secrets;

use std::path::PathBuf;

/// The audience the harness gives functions that name none (`TOKEN_AUDIENCE`): tokens the tests
/// sign themselves carry it.
pub const AUDIENCE: &str = "https://api.example.test";

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A sample event from `events/`, e.g. `event("authorizer/rest-token.json")`.
pub fn event(relative: &str) -> serde_json::Value {
    let path = workspace_root().join("events").join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()))
}

/// A unique name for test resources (tables, parameters), so tests can run in parallel.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
