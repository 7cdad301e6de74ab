//! Real third-party OAuth 2.0 and JWT clients against the whole local stack: the gateway serving
//! template.yaml in front of the built `token_generator` and `authorizer` (on moto_server), with
//! an ES256 key set and a URL issuer, driven by the pytest suite in tests/interop (authlib's
//! requests client, PyJWT's PyJWKClient), which is told the issuer and discovers the rest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use auth_aws::{ClientRecord, Store};
use auth_core::{KeyAlgorithm, KeyStatus, PasswordHasher, generate_jwk};
use common::{LocalInvoker, functions_with, setup, start_on, workspace_template};
use serde_json::json;
use test_support::moto::moto;
use test_support::{unique, workspace_root};
use tokio::net::TcpListener;

/// Unreserved characters only: authlib puts the secret into the Basic header without the form
/// encoding RFC 6749 §2.3.1 asks for, so a `+` or `%` would reach the server changed.
const CLIENT_SECRET: &str = "interop-client-secret-0123456789abcdef";
const CLIENT_SCOPES: [&str; 2] = ["reports:read", "reports:write"];
/// Newly registered users get the role `user`: these scopes put `scope` in their tokens.
const ROLE_SCOPES: &str = r#"{"user": ["profile", "orders:read"], "admin": ["admin"]}"#;
const USER_SCOPE: &str = "profile orders:read";
/// A bound on the whole pytest run; each request in it has its own 10 s timeout.
const PYTEST_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authlib_and_pyjwt_clients_pass_the_interop_suite() {
    let python = venv_python();
    // The issuer URL holds the gateway's port, so the listener comes before the functions.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let issuer = format!("{origin}/dev");
    let keys = json!({"keys": [generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap()]});
    let invoker = functions_with(&[
        ("SIGNING_KEYS", keys.to_string()),
        ("TOKEN_ISSUER", issuer.clone()),
        ("TOKEN_AUDIENCE", origin.clone()),
        ("ACCESS_TOKEN_TTL", "900".to_owned()),
        ("ROLE_SCOPES", ROLE_SCOPES.to_owned()),
    ])
    .await;
    let running = start_on(listener, workspace_template(), &[], invoker);
    let client_id = register_client().await;

    let env = [
        ("ISSUER", issuer),
        ("AUDIENCE", origin),
        ("CLIENT_ID", client_id),
        ("CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("CLIENT_SCOPE", CLIENT_SCOPES.join(" ")),
        ("USER_SCOPE", USER_SCOPE.to_owned()),
    ];
    let (status, output) = tokio::task::spawn_blocking(move || pytest(&python, &env))
        .await
        .unwrap();
    // Captured by the test harness: shown with `--nocapture`, or above a failure.
    println!("{output}");
    let invoker = running.invoker();
    assert!(
        status.is_some_and(|s| s.success()),
        "the interop suite {} (its output is above)\n{}\n{}",
        status.map_or("timed out".to_owned(), |s| format!("failed ({s})")),
        log_tail(invoker, "token_generator"),
        log_tail(invoker, "authorizer"),
    );
}

/// The virtualenv's Python, checked to have the client libraries.
fn venv_python() -> PathBuf {
    let python = workspace_root().join(".venv/bin/python");
    let imports = Command::new(&python)
        .args(["-c", "import authlib, jwt, pytest, requests"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        imports.is_ok_and(|s| s.success()),
        "{} cannot import authlib, jwt, pytest and requests: run `make venv` \
         (make test does), which installs tools/requirements-dev.txt",
        python.display()
    );
    python
}

/// The confidential client of the client_credentials tests, in the functions' table.
async fn register_client() -> String {
    let client_id = unique("interop-client");
    let secret_hash = tokio::task::spawn_blocking(|| PasswordHasher::new().hash(CLIENT_SECRET))
        .await
        .unwrap()
        .unwrap();
    let record = ClientRecord {
        client_id: client_id.clone(),
        secret_hash,
        scopes: CLIENT_SCOPES.map(str::to_owned).to_vec(),
        name: "interop tests".to_owned(),
        created_at: 1,
    };
    let sdk = auth_aws::emulator_sdk_config(&moto().endpoint).await;
    Store::new(&sdk, &setup().await.table)
        .create_client(&record)
        .await
        .unwrap();
    client_id
}

/// pytest as a child process, killed if the test ends before it does.
struct Pytest {
    child: Child,
}

impl Drop for Pytest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs tests/interop with exactly `env` (no proxy or other setting of the caller's shell leaks
/// in); its exit status (`None`: it timed out and was killed) and everything it printed.
fn pytest(python: &Path, env: &[(&str, String)]) -> (Option<ExitStatus>, String) {
    let root = workspace_root();
    let log_path = std::env::temp_dir().join(format!("{}.log", unique("interop-pytest")));
    let log = File::create(&log_path).unwrap();
    let child = Command::new(python)
        .args([
            "-m",
            "pytest",
            "tests/interop",
            "-q",
            "--tb=short",
            "-p",
            "no:cacheprovider",
        ])
        .current_dir(&root)
        .env_clear()
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut run = Pytest { child };
    let deadline = Instant::now() + PYTEST_TIMEOUT;
    let status = loop {
        if let Some(status) = run.child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(run);
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    (status, output)
}

/// The last lines a function logged, for the failure message.
fn log_tail(invoker: &LocalInvoker, name: &str) -> String {
    let logs = invoker.logs(name);
    let lines: Vec<&str> = logs.lines().collect();
    let tail = lines
        .get(lines.len().saturating_sub(20)..)
        .unwrap_or_default();
    format!("--- {name} (last lines) ---\n{}", tail.join("\n"))
}
