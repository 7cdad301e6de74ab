//! What the workspace's integration tests share: moto_server on a free loopback port and the
//! resources tests make on it (tables, parameters), a Lambda Runtime API on loopback that runs the
//! built function binaries, the key sets and tokens tests sign with, the requests they send the
//! built functions and how they read the answers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod authorizer;
pub mod functions;
pub mod jwks_server;
pub mod key_sets;
pub mod moto;
pub mod parameters;
pub mod requests;
pub mod responses;
pub mod runtime_api;
pub mod secrets;
pub mod tables;
pub mod token_generator;
pub mod tokens;

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

/// Runs `future` to completion on a runtime of its own, for the synchronous tests that drive the
/// built binaries and reach into moto_server between requests.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}
