//! The Lambda Runtime API on 127.0.0.1 as the benchmark drives it, lean enough that its latency
//! is not what we measure: test-support's server (a thread per connection, blocking std I/O, no
//! allocation per request) with a Mutex + Condvar hand-off to the driver.
//!
//! The driver runs one invocation at a time: `invoke` queues an event, a `GET /next` waiting on
//! the condvar takes it, and the `POST /response` (or `/error`) with the matching id completes it.
//!
//! The Extensions API's register and next are served too (unless turned off), as Lambda answers
//! an extension that subscribes to no events: an id, then a `GET /event/next` that is never
//! answered while the server runs.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use test_support::runtime_api::server::Answer;
use test_support::runtime_api::server::{self, Backend, Invocation};

const TRACE_ID: &str = "Root=1-69251e40-6b86b273ff34fce19d6b804e;Parent=53995c3f42cd8ad8;Sampled=0";

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

#[derive(Default)]
struct State {
    closed: bool,
    queue: VecDeque<Invocation>,
    in_flight: Option<String>,
    completed: Option<(Instant, Answer)>,
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
        let shared = Arc::new(Shared {
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
            extensions_api,
            state: Mutex::new(State::default()),
            queued: Condvar::new(),
            progressed: Condvar::new(),
            closing: Condvar::new(),
        });
        let (addr, acceptor) = server::listen(Arc::clone(&shared))?;
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
    ) -> Result<(Duration, Answer), WaitError> {
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

impl Backend for Shared {
    fn function_arn(&self) -> &str {
        &self.function_arn
    }

    fn trace_id(&self) -> &str {
        TRACE_ID
    }

    /// Blocks until an event is queued; `None` when the server closes first.
    fn next(&self, polled_at: Instant) -> Option<Invocation> {
        let mut state = self.lock();
        if state.first_poll.is_none() {
            state.first_poll = Some(polled_at);
            self.progressed.notify_all();
        }
        loop {
            if state.closed {
                return None;
            }
            if let Some(invocation) = state.queue.pop_front() {
                return Some(invocation);
            }
            state = self
                .queued
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    fn answered(&self, id: &str, answer: Answer, body: &[u8], read_at: Instant) {
        let mut state = self.lock();
        if state.in_flight.as_deref() != Some(id) {
            state.samples.stray_posts += 1;
            return;
        }
        let sample = match answer {
            Answer::Response => &mut state.samples.response,
            Answer::Error => &mut state.samples.error,
        };
        if sample.is_none() {
            *sample = Some(String::from_utf8_lossy(body).into_owned());
        }
        state.completed = Some((read_at, answer));
        drop(state);
        self.progressed.notify_all();
    }

    fn init_failed(&self, body: &[u8]) {
        self.lock().init_error = Some(String::from_utf8_lossy(body).into_owned());
        self.progressed.notify_all();
    }

    fn register_extension(&self) -> Option<u32> {
        if !self.extensions_api {
            return None;
        }
        let mut state = self.lock();
        state.extensions += 1;
        Some(state.extensions)
    }

    /// No events were subscribed to: nothing to answer until the server closes.
    fn wait_extension_event(&self) -> bool {
        if !self.extensions_api {
            return false;
        }
        let mut state = self.lock();
        while !state.closed {
            state = self
                .closing
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        true
    }

    fn closed(&self) -> bool {
        self.lock().closed
    }
}
