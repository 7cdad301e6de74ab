//! The Lambda Runtime API on 127.0.0.1, lean enough that its latency is not what we measure:
//! a thread per connection, blocking std I/O, and a Mutex + Condvar hand-off with the driver
//! (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
//!
//! The driver runs one invocation at a time: `invoke` queues an event, a `GET /next` waiting on
//! the condvar takes it, and the `POST /response` (or `/error`) with the matching id completes it.
//!
//! The Extensions API's register and next are served too (unless turned off), as Lambda answers
//! an extension that subscribes to no events: an id, then a `GET /event/next` that is never
//! answered while the server runs.

use std::collections::VecDeque;
use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::http::Request;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const INVOCATION: &str = "/2018-06-01/runtime/invocation/";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";
const EXTENSION_REGISTER: &str = "/2020-01-01/extension/register";
const EXTENSION_NEXT: &str = "/2020-01-01/extension/event/next";
/// What Lambda itself answers to a response or error post.
const ACCEPTED: &[u8] =
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}";
const NOT_FOUND: &[u8] = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
const TRACE_ID: &str = "Root=1-69251e40-6b86b273ff34fce19d6b804e;Parent=53995c3f42cd8ad8;Sampled=0";
/// The deadline we announce: Lambda's default timeout is 3 s; ours is long so it never bites.
const DEADLINE: Duration = Duration::from_secs(30);

/// How the function answered one invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`.
    Response,
    /// `POST /invocation/{id}/error` (for the authorizer, a denial is one).
    Error,
}

/// Why `invoke` or `wait_first_poll` returned without a result.
#[derive(Debug)]
pub enum WaitError {
    /// Nothing happened in time (the caller checks whether the process died).
    Timeout,
    /// The function posted to `/init/error` with this body.
    InitFailed(String),
}

/// The first body seen for each outcome, to show what the function actually answers.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    /// First `/response` body.
    pub response: Option<String>,
    /// First `/error` body.
    pub error: Option<String>,
    /// Posts whose request id was not the one in flight (should stay 0).
    pub stray_posts: u64,
}

struct Invocation {
    id: String,
    event: Arc<[u8]>,
}

#[derive(Default)]
struct State {
    closed: bool,
    queue: VecDeque<Invocation>,
    in_flight: Option<String>,
    completed: Option<(Instant, Outcome)>,
    first_poll: Option<Instant>,
    init_error: Option<String>,
    samples: Samples,
    /// Extensions registered so far.
    extensions: u32,
}

struct Shared {
    function_arn: String,
    /// Whether the Extensions API is served (else it answers 404, as the test emulators do).
    extensions_api: bool,
    state: Mutex<State>,
    /// Signalled when an event is queued or the server closes (`GET /next` waits on it).
    queued: Condvar,
    /// Signalled on a completion, an init error or the first poll (the driver waits on it).
    progressed: Condvar,
    /// Signalled when the server closes (extensions' `GET /event/next` wait on it).
    closing: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a connection thread panicked: the run is void anyway.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running Runtime API; dropping it stops accepting and releases waiting connections.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Listens on an ephemeral 127.0.0.1 port; `extensions_api` serves the Extensions API.
    pub fn start(function_name: &str, extensions_api: bool) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
            extensions_api,
            state: Mutex::new(State::default()),
            queued: Condvar::new(),
            progressed: Condvar::new(),
            closing: Condvar::new(),
        });
        let accept_shared = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("runtime-api-accept".into())
            .spawn(move || accept(&listener, &accept_shared))?;
        Ok(Self {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// When the first `GET /next` arrived (the end of the function's init).
    pub fn wait_first_poll(&self, timeout: Duration) -> Result<Instant, WaitError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(message) = state.init_error.take() {
                return Err(WaitError::InitFailed(message));
            }
            if let Some(at) = state.first_poll {
                return Ok(at);
            }
            state = self.wait(state, deadline)?;
        }
    }

    /// Runs one invocation: the time from queueing `event` to having read the function's whole
    /// answer, and which answer it was.
    pub fn invoke(
        &self,
        id: String,
        event: &Arc<[u8]>,
        timeout: Duration,
    ) -> Result<(Duration, Outcome), WaitError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        state.completed = None;
        state.in_flight = Some(id.clone());
        let queued_at = Instant::now();
        state.queue.push_back(Invocation {
            id,
            event: Arc::clone(event),
        });
        drop(state);
        self.shared.queued.notify_one();

        let mut state = self.shared.lock();
        loop {
            if let Some((at, outcome)) = state.completed.take() {
                state.in_flight = None;
                return Ok((at.saturating_duration_since(queued_at), outcome));
            }
            if let Some(message) = state.init_error.take() {
                return Err(WaitError::InitFailed(message));
            }
            state = self.wait(state, deadline)?;
        }
    }

    /// The first bodies seen and the stray-post count so far.
    pub fn samples(&self) -> Samples {
        self.shared.lock().samples.clone()
    }

    /// How many extensions registered.
    pub fn extensions(&self) -> u32 {
        self.shared.lock().extensions
    }

    fn wait<'a>(
        &self,
        state: MutexGuard<'a, State>,
        deadline: Instant,
    ) -> Result<MutexGuard<'a, State>, WaitError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(WaitError::Timeout);
        }
        let (state, _) = self
            .shared
            .progressed
            .wait_timeout(state, left)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(state)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.queued.notify_all();
        self.shared.closing.notify_all();
        // Wake the blocking accept() so its thread sees `closed` and ends.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.lock().closed {
            return;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(shared);
        // A connection that fails is the function's problem; the driver sees it as a timeout.
        let _ = thread::Builder::new()
            .name("runtime-api-conn".into())
            .spawn(move || serve(stream, &shared));
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    // Without it, Nagle + delayed ACK can hold a small answer back for 40 ms.
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::with_capacity(16 * 1024, read_half);
    let mut writer = stream;
    let mut request = Request::default();
    let mut out = Vec::with_capacity(16 * 1024);
    while let Ok(true) = request.read(&mut reader) {
        let read_at = Instant::now();
        let result = if request.method == "GET" && request.path == NEXT {
            let Some(invocation) = next_invocation(shared, read_at) else {
                return;
            };
            out.clear();
            write_next(&mut out, shared, &invocation);
            writer.write_all(&out)
        } else if request.method == "POST" && request.path == INIT_ERROR {
            let result = writer.write_all(ACCEPTED);
            shared.lock().init_error = Some(String::from_utf8_lossy(&request.body).into_owned());
            shared.progressed.notify_all();
            result
        } else if shared.extensions_api
            && request.method == "POST"
            && request.path == EXTENSION_REGISTER
        {
            let id = {
                let mut state = shared.lock();
                state.extensions += 1;
                state.extensions
            };
            out.clear();
            let body = br#"{"functionName":"runtime-bench","functionVersion":"$LATEST","handler":"bootstrap"}"#;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                 Lambda-Extension-Identifier: 00000000-0000-4000-8000-{id:012x}\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            );
            out.extend_from_slice(body);
            writer.write_all(&out)
        } else if shared.extensions_api && request.method == "GET" && request.path == EXTENSION_NEXT
        {
            // No events were subscribed to: nothing to answer until the server closes.
            wait_closed(shared);
            return;
        } else if let Some((id, outcome)) = posted_outcome(&request) {
            // Acknowledge first so the function can move on to its next poll; the latency was
            // already taken (`read_at`).
            let result = writer.write_all(ACCEPTED);
            complete(shared, id, outcome, read_at, &request.body);
            result
        } else {
            writer.write_all(NOT_FOUND)
        };
        if result.is_err() {
            return;
        }
    }
}

/// Blocks until an event is queued; `None` when the server closes first.
fn next_invocation(shared: &Shared, polled_at: Instant) -> Option<Invocation> {
    let mut state = shared.lock();
    if state.first_poll.is_none() {
        state.first_poll = Some(polled_at);
        shared.progressed.notify_all();
    }
    loop {
        if state.closed {
            return None;
        }
        if let Some(invocation) = state.queue.pop_front() {
            return Some(invocation);
        }
        state = shared
            .queued
            .wait(state)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}

fn wait_closed(shared: &Shared) {
    let mut state = shared.lock();
    while !state.closed {
        state = shared
            .closing
            .wait(state)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}

fn write_next(out: &mut Vec<u8>, shared: &Shared, invocation: &Invocation) {
    let deadline_ms = (SystemTime::now() + DEADLINE)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 200 OK\r\n\
         Content-Type: application/json\r\n\
         Lambda-Runtime-Aws-Request-Id: {}\r\n\
         Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n\
         Lambda-Runtime-Invoked-Function-Arn: {}\r\n\
         Lambda-Runtime-Trace-Id: {TRACE_ID}\r\n\
         Content-Length: {}\r\n\r\n",
        invocation.id,
        shared.function_arn,
        invocation.event.len(),
    );
    out.extend_from_slice(&invocation.event);
}

/// `POST /invocation/{id}/response` or `/error`: the id and which one.
fn posted_outcome(request: &Request) -> Option<(&str, Outcome)> {
    if request.method != "POST" {
        return None;
    }
    let rest = request.path.strip_prefix(INVOCATION)?;
    if let Some(id) = rest.strip_suffix("/response") {
        Some((id, Outcome::Response))
    } else {
        rest.strip_suffix("/error").map(|id| (id, Outcome::Error))
    }
}

fn complete(shared: &Shared, id: &str, outcome: Outcome, at: Instant, body: &[u8]) {
    let mut state = shared.lock();
    if state.in_flight.as_deref() != Some(id) {
        state.samples.stray_posts += 1;
        return;
    }
    let sample = match outcome {
        Outcome::Response => &mut state.samples.response,
        Outcome::Error => &mut state.samples.error,
    };
    if sample.is_none() {
        *sample = Some(String::from_utf8_lossy(body).into_owned());
    }
    state.completed = Some((at, outcome));
    drop(state);
    shared.progressed.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_answers_declare_their_true_length() {
        for answer in [ACCEPTED, NOT_FOUND] {
            let text = std::str::from_utf8(answer).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("Content-Length: "))
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(length, body.len(), "{head}");
        }
    }

    #[test]
    fn response_and_error_posts_are_told_apart() {
        let mut request = Request::default();
        request.method = "POST".into();
        request.path = format!("{INVOCATION}abc/response");
        assert_eq!(posted_outcome(&request), Some(("abc", Outcome::Response)));
        request.path = format!("{INVOCATION}abc/error");
        assert_eq!(posted_outcome(&request), Some(("abc", Outcome::Error)));
        request.path = NEXT.to_owned();
        assert_eq!(posted_outcome(&request), None);
    }
}
