//! The invocation being handled (request id, X-Ray trace id, cold start), which every log line
//! written during it carries. Process-wide state instead of a tracing span: see the crate docs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The state of one process: whether an invocation has started yet, and which one is running.
///
/// The functions use the process's own ([`Invocations::process`], behind [`Invocation::start`]);
/// tests and benchmarks make their own so they do not share it.
#[derive(Debug)]
pub struct Invocations {
    first: AtomicBool,
    current: Mutex<Current>,
}

#[derive(Debug)]
struct Current {
    /// Bumped by each start, so that a late guard never clears a newer invocation.
    generation: u64,
    active: bool,
    cold_start: bool,
    /// Reused from one invocation to the next: no allocation once it has grown to fit an id.
    request_id: String,
    /// Empty when the runtime gave none.
    xray_trace_id: String,
}

/// What a log line written during an invocation says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvocationFields<'a> {
    /// Whether this is the first invocation of the process.
    pub cold_start: bool,
    /// Lambda's request id.
    pub request_id: &'a str,
    /// The X-Ray trace header value (`Root=1-...;Parent=...;Sampled=0`), when there is one.
    pub xray_trace_id: Option<&'a str>,
}

static PROCESS: Invocations = Invocations::new();

impl Invocations {
    /// A fresh state: the next invocation started is the cold start.
    pub const fn new() -> Self {
        Self {
            first: AtomicBool::new(true),
            current: Mutex::new(Current {
                generation: 0,
                active: false,
                cold_start: false,
                request_id: String::new(),
                xray_trace_id: String::new(),
            }),
        }
    }

    /// The process's state, read by the subscriber [`crate::Logging`] installs.
    pub fn process() -> &'static Self {
        &PROCESS
    }

    /// Marks the start of an invocation; it lasts until the returned guard is dropped.
    pub fn start(&self, request_id: &str, xray_trace_id: Option<&str>) -> Invocation<'_> {
        let cold_start = self.first.swap(false, Ordering::Relaxed);
        let mut current = self.lock();
        current.generation = current.generation.wrapping_add(1);
        current.active = true;
        current.cold_start = cold_start;
        current.request_id.clear();
        current.request_id.push_str(request_id);
        current.xray_trace_id.clear();
        current.xray_trace_id.push_str(xray_trace_id.unwrap_or(""));
        Invocation {
            owner: self,
            generation: current.generation,
            cold_start,
            started: Instant::now(),
        }
    }

    /// Calls `f` with the running invocation's fields (`None` between invocations).
    pub fn with_current<R>(&self, f: impl FnOnce(Option<InvocationFields<'_>>) -> R) -> R {
        let current = self.lock();
        if !current.active {
            return f(None);
        }
        f(Some(InvocationFields {
            cold_start: current.cold_start,
            request_id: &current.request_id,
            xray_trace_id: Some(current.xray_trace_id.as_str()).filter(|id| !id.is_empty()),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Current> {
        // Nothing panics while holding the lock; if something ever did, the data is still usable.
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for Invocations {
    fn default() -> Self {
        Self::new()
    }
}

/// One invocation, from [`Invocation::start`] until dropped: log lines written meanwhile carry
/// its request id, trace id and cold-start flag. Costs two short string copies under an
/// uncontended lock; nothing is allocated once the buffers fit an id.
#[derive(Debug)]
#[must_use = "the invocation ends when this guard is dropped"]
pub struct Invocation<'a> {
    owner: &'a Invocations,
    generation: u64,
    cold_start: bool,
    started: Instant,
}

impl Invocation<'static> {
    /// Starts an invocation of this process, from lambda_runtime's `Context`:
    /// `Invocation::start(&context.request_id, context.xray_trace_id.as_deref())`.
    pub fn start(request_id: &str, xray_trace_id: Option<&str>) -> Self {
        PROCESS.start(request_id, xray_trace_id)
    }
}

impl Invocation<'_> {
    /// Whether this is the first invocation of the process.
    pub fn cold_start(&self) -> bool {
        self.cold_start
    }

    /// Time since the invocation started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Time since the invocation started, in milliseconds to the microsecond (`0.189`, not
    /// `0.18973199999999998`), for a latency metric.
    pub fn elapsed_ms(&self) -> f64 {
        // u32 microseconds cover 71 minutes; a Lambda invocation lasts at most 15.
        let micros = u32::try_from(self.elapsed().as_micros()).unwrap_or(u32::MAX);
        f64::from(micros) / 1000.0
    }
}

impl Drop for Invocation<'_> {
    fn drop(&mut self) {
        let mut current = self.owner.lock();
        if current.generation == self.generation {
            current.active = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_invocation_is_a_cold_start() {
        let invocations = Invocations::new();
        let first = invocations.start("a", None);
        assert!(first.cold_start());
        drop(first);
        let second = invocations.start("b", None);
        assert!(!second.cold_start());
        let cold = invocations.with_current(|fields| fields.map(|f| f.cold_start));
        assert_eq!(cold, Some(false));
    }

    #[test]
    fn fields_are_those_of_the_running_invocation() {
        let invocations = Invocations::new();
        let _invocation = invocations.start("req-1", Some("Root=1-abc"));
        let fields = invocations.with_current(|fields| {
            fields.map(|f| {
                (
                    f.cold_start,
                    f.request_id.to_owned(),
                    f.xray_trace_id.map(str::to_owned),
                )
            })
        });
        assert_eq!(
            fields,
            Some((true, "req-1".to_owned(), Some("Root=1-abc".to_owned())))
        );
    }

    #[test]
    fn elapsed_milliseconds_are_whole_microseconds() {
        let invocations = Invocations::new();
        let invocation = invocations.start("a", None);
        std::thread::sleep(Duration::from_micros(1500));
        let ms = invocation.elapsed_ms();
        assert!(ms >= 1.5, "{ms}");
        assert_eq!((ms * 1000.0).round() / 1000.0, ms);
    }

    #[test]
    fn nothing_is_current_between_invocations() {
        let invocations = Invocations::new();
        assert!(invocations.with_current(|fields| fields.is_none()));
        drop(invocations.start("req-1", None));
        assert!(invocations.with_current(|fields| fields.is_none()));
    }

    #[test]
    fn a_missing_trace_id_is_none_not_empty() {
        let invocations = Invocations::new();
        let _invocation = invocations.start("req-1", Some("Root=1-abc"));
        drop(_invocation);
        let _invocation = invocations.start("req-2", None);
        let trace = invocations
            .with_current(|fields| fields.and_then(|f| f.xray_trace_id).map(str::to_owned));
        assert_eq!(trace, None);
    }

    #[test]
    fn an_earlier_guard_dropped_late_does_not_end_the_newer_invocation() {
        let invocations = Invocations::new();
        let old = invocations.start("old", None);
        let _new = invocations.start("new", None);
        drop(old);
        let id = invocations.with_current(|fields| fields.map(|f| f.request_id.to_owned()));
        assert_eq!(id.as_deref(), Some("new"));
    }
}
