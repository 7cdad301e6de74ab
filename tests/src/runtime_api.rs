//! A Lambda Runtime API on loopback that runs a function binary as Lambda does, for the e2e
//! tests: [`RuntimeApi`] keeps every answer by request id, [`Function`] runs a built binary
//! against one. The protocol ([`server`], [`http`]) is the one tools/runtime-bench measures with.

pub mod http;
pub mod server;

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::workspace_root;
use server::{Answer, Backend, Invocation};

/// What the function answered for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST /response` with this body.
    Response(Value),
    /// `POST /error` with these fields.
    Error {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        error_message: String,
    },
}

impl Outcome {
    /// The response body; panics on an error outcome.
    pub fn response(self) -> Value {
        match self {
            Self::Response(value) => value,
            other => panic!("expected a response, got {other:?}"),
        }
    }

    /// Whether this is the error API Gateway turns into 401.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Error { error_message, .. } if error_message == "Unauthorized")
    }

    fn read(answer: Answer, body: &[u8]) -> Self {
        let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        match answer {
            Answer::Response => Self::Response(value),
            Answer::Error => Self::Error {
                error_type: value["errorType"].as_str().unwrap_or_default().to_owned(),
                error_message: value["errorMessage"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            },
        }
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Invocation>,
    results: HashMap<String, Outcome>,
    init_error: Option<String>,
    first_poll: Option<Instant>,
    next_id: u64,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Backend for Shared {
    fn function_arn(&self) -> &str {
        "arn:aws:lambda:us-east-1:123456789012:function:test"
    }

    fn trace_id(&self) -> &str {
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    }

    fn next(&self, _polled_at: Instant) -> Option<Invocation> {
        let mut state = self.state.lock().unwrap();
        state.first_poll.get_or_insert_with(Instant::now);
        self.changed.notify_all();
        loop {
            if let Some(next) = state.queue.pop_front() {
                return Some(next);
            }
            state = self.changed.wait(state).unwrap();
        }
    }

    fn answered(&self, id: &str, answer: Answer, body: &[u8], _read_at: Instant) {
        let outcome = Outcome::read(answer, body);
        self.state
            .lock()
            .unwrap()
            .results
            .insert(id.to_owned(), outcome);
        self.changed.notify_all();
    }

    fn init_failed(&self, body: &[u8]) {
        self.state.lock().unwrap().init_error = Some(String::from_utf8_lossy(body).into_owned());
        self.changed.notify_all();
    }

    // As Lambda without extensions: functions that try to register carry on without one.
    fn register_extension(&self) -> Option<u32> {
        None
    }

    fn wait_extension_event(&self) -> bool {
        false
    }
}

/// The Runtime API server.
pub struct RuntimeApi {
    address: String,
    shared: Arc<Shared>,
}

impl RuntimeApi {
    /// Listens on a free 127.0.0.1 port.
    pub fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let (address, _acceptor) = server::listen(Arc::clone(&shared)).unwrap();
        Self {
            address: address.to_string(),
            shared,
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Queues an event; the id identifies its answer.
    pub fn submit(&self, payload: &[u8]) -> String {
        let mut state = self.shared.state.lock().unwrap();
        state.next_id += 1;
        let id = format!("req-{:08}", state.next_id);
        state.queue.push_back(Invocation {
            id: id.clone(),
            event: Arc::from(payload),
        });
        self.shared.changed.notify_all();
        id
    }

    /// Waits up to `timeout` for the answer to `id`; `None` if it has not come yet.
    pub fn wait(&self, id: &str, timeout: Duration) -> Option<Result<Outcome, String>> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.state.lock().unwrap();
        loop {
            if let Some(outcome) = state.results.remove(id) {
                return Some(Ok(outcome));
            }
            if let Some(err) = &state.init_error {
                return Some(Err(format!("init error: {err}")));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap().0;
        }
    }

    /// The body of `POST /init/error`, once the function has reported one.
    pub fn init_error(&self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.state.lock().unwrap();
        loop {
            if state.init_error.is_some() {
                return state.init_error.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap().0;
        }
    }

    /// When the function first asked for an invocation.
    pub fn first_poll(&self) -> Option<Instant> {
        self.shared.state.lock().unwrap().first_poll
    }
}

/// A built function binary running against its own Runtime API, with its output captured.
pub struct Function {
    api: RuntimeApi,
    child: Mutex<Child>,
    output: Arc<Mutex<Vec<u8>>>,
    /// When the process was started.
    pub started: Instant,
}

/// Where `cargo build` put the binary `name`.
pub fn binary(name: &str) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("target"));
    let profile = std::env::var("E2E_PROFILE").unwrap_or_else(|_| "debug".to_owned());
    let path = target.join(profile).join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --bins` first (make test does)",
        path.display()
    );
    path
}

impl Function {
    /// Starts the binary `name` with exactly `env` (plus the Lambda variables and, unless `env`
    /// names an audience, `TOKEN_AUDIENCE` = [`crate::AUDIENCE`], which access tokens need).
    pub fn start(name: &str, env: &[(&str, &str)]) -> Self {
        Self::start_binary(&binary(name), name, env)
    }

    /// [`Function::start`] with the binary at `path` (another profile's build), as `name`.
    pub fn start_binary(path: &std::path::Path, name: &str, env: &[(&str, &str)]) -> Self {
        let api = RuntimeApi::start();
        let started = Instant::now();
        let names_audience = env
            .iter()
            .any(|(k, _)| *k == "TOKEN_AUDIENCE" || *k == "TOKEN_AUDIENCE_PARAM");
        let audience = (!names_audience).then_some(("TOKEN_AUDIENCE", crate::AUDIENCE));
        let mut child = Command::new(path)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "test")
            .env("AWS_REGION", "us-east-1")
            .env("RUST_LOG", "info")
            // Metrics written at the end of every invocation, so tests read them right away
            // (deployed, they wait METRICS_FLUSH_SECONDS); a test may set another value.
            .env("METRICS_FLUSH_SECONDS", "0")
            .envs(audience)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    output.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
        Self {
            api,
            child: Mutex::new(child),
            output,
            started,
        }
    }

    /// Invokes with an event and waits (at most 30 s) for the answer.
    pub fn invoke(&self, event: &Value) -> Outcome {
        self.invoke_raw(&serde_json::to_vec(event).unwrap())
    }

    /// Invokes with raw bytes (which need not be JSON).
    pub fn invoke_raw(&self, payload: &[u8]) -> Outcome {
        let id = self.api.submit(payload);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.api.wait(&id, Duration::from_millis(100)) {
                Some(Ok(outcome)) => return outcome,
                Some(Err(err)) => panic!("{err}\n--- function output ---\n{}", self.logs()),
                None => {}
            }
            if let Some(status) = self.child.lock().unwrap().try_wait().unwrap() {
                panic!(
                    "function exited ({status})\n--- function output ---\n{}",
                    self.logs()
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out\n--- function output ---\n{}",
                self.logs()
            );
        }
    }

    /// Waits up to 10 s for the process to exit (a failed init), returning its exit status.
    pub fn wait_exit(&self) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.lock().unwrap().try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The init error the function reported, if it reports one within 10 s.
    pub fn init_error(&self) -> Option<String> {
        self.api.init_error(Duration::from_secs(10))
    }

    /// The Runtime API it talks to.
    pub fn api(&self) -> &RuntimeApi {
        &self.api
    }

    /// Waits (at most 5 s) until the output contains `needle`; the output as it then is.
    pub fn logs_containing(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let logs = self.logs();
            if logs.contains(needle) || Instant::now() > deadline {
                return logs;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Everything the function wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}
