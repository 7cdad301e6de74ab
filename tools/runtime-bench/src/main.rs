//! `runtime-bench`: runs a Lambda function binary under a Lambda Runtime API on loopback and
//! measures the whole binary: round-trip latency, CPU per invocation, cold start and memory.
//! See README.md for what each figure means.

// A measurement tool run by hand, not a Lambda: a failed invariant may abort the run loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod args;
mod emf;
mod error;
mod process;
mod report;
mod server;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use args::{Mode, Options};
use emf::Totals;
use error::BenchError;
use process::{Function, Launch};
use report::{Measurement, ProcessLog};
use server::{Answer, Server, WaitError};

fn main() -> ExitCode {
    // clap prints its own usage errors and exits with status 2 (`--help`: 0).
    let matches = args::command().get_matches();
    let result = match Mode::from_matches(&matches) {
        Ok(Mode::Summary(path)) => report::print_summary(&path),
        Ok(Mode::Bench(options)) => bench(&options),
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("runtime-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn bench(options: &Options) -> Result<(), BenchError> {
    let event = load_event(options)?;
    let launch = Launch {
        binary: options.binary.clone(),
        function_name: "runtime-bench".to_owned(),
        env: options.env.clone(),
        log: options.log.clone(),
    };
    let timeout = Duration::from_secs(options.timeout_secs);
    // Start each run with an empty log, so its size says what this run wrote.
    std::fs::write(&options.log, b"").map_err(|source| BenchError::Log {
        path: options.log.clone(),
        source,
    })?;

    let mut cold_starts = Vec::with_capacity(options.cold_starts);
    for _ in 0..options.cold_starts {
        let server =
            Server::start(&launch.function_name, options.extensions).map_err(BenchError::Server)?;
        let mut function = Function::spawn(&launch, server.addr())?;
        let polled = first_poll(&server, &mut function, options, timeout)?;
        cold_starts.push(polled.saturating_duration_since(function.spawned_at));
        // Dropping `function` kills it; dropping `server` releases its connection threads.
    }
    cold_starts.sort_unstable();

    let server =
        Server::start(&launch.function_name, options.extensions).map_err(BenchError::Server)?;
    // What the long-lived process writes starts here (the cold-start processes wrote before).
    let log_at_spawn = process::file_len(&options.log);
    let mut function = Function::spawn(&launch, server.addr())?;
    first_poll(&server, &mut function, options, timeout)?;
    let pid = function.pid();
    let mut invoker = Invoker {
        server: &server,
        event: &event,
        timeout,
        next_id: 0,
    };

    for _ in 0..options.warmup {
        invoker.invoke(&mut function, options)?;
    }

    let clk_tck = process::clock_ticks_per_sec();
    let log_before = process::file_len(&options.log);
    let harness_before = process::cpu_time(std::process::id())?;
    let cpu_before = process::cpu_time(pid)?;
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(options.invocations);
    let (mut responses, mut errors) = (0, 0);
    let pace = Duration::from_secs(options.pace_secs);
    for i in 0..options.invocations {
        if !pace.is_zero() {
            // Invocation i starts at i/n of the paced phase.
            let at = started + pace.mul_f64(i as f64 / options.invocations as f64);
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
        }
        let (latency, outcome) = invoker.invoke(&mut function, options)?;
        latencies.push(latency);
        match outcome {
            Answer::Response => responses += 1,
            Answer::Error => errors += 1,
        }
    }
    let wall = started.elapsed();
    let cpu_after = process::cpu_time(pid)?;
    let harness_after = process::cpu_time(std::process::id())?;
    let log_bytes = process::file_len(&options.log).saturating_sub(log_before);
    let memory = process::memory(pid)?;
    latencies.sort_unstable();

    let growth = if options.growth_check > 0 {
        for _ in 0..options.growth_check {
            invoker.invoke(&mut function, options)?;
        }
        let after = process::memory(pid)?;
        Some((
            options.growth_check,
            memory.rss_kib,
            after.rss_kib,
            after.hwm_kib,
        ))
    } else {
        None
    };
    let served = options.warmup + options.invocations + options.growth_check;
    let shutdown = options.shutdown.then(|| {
        let sent = Instant::now();
        function
            .terminate(Duration::from_secs(2))
            .map(|status| (status.success(), sent.elapsed()))
    });
    drop(function);
    let whole = std::fs::read(&options.log).unwrap_or_default();
    let written = whole
        .get(usize::try_from(log_at_spawn).unwrap_or(usize::MAX)..)
        .unwrap_or_default();
    let process_log = ProcessLog {
        bytes: written.len() as u64,
        invocations: served,
        totals: Totals::read(&String::from_utf8_lossy(written)),
        shutdown,
        extensions: server.extensions(),
    };

    let since = |after: Option<u64>, before: Option<u64>| Some(after?.saturating_sub(before?));
    let measurement = Measurement {
        label: options.label.clone(),
        binary: options.binary.clone(),
        event: options.event.clone(),
        event_bytes: event.len(),
        warmup: options.warmup,
        latencies,
        wall,
        cpu_ticks: cpu_after.ticks.saturating_sub(cpu_before.ticks),
        clk_tck,
        cpu_sched_ns: since(cpu_after.sched_ns, cpu_before.sched_ns),
        harness_sched_ns: since(harness_after.sched_ns, harness_before.sched_ns),
        cold_starts,
        memory,
        growth,
        responses,
        errors,
        samples: server.samples(),
        log_bytes,
        log: options.log.clone(),
        process_log,
    };
    measurement.print_block();
    println!("RESULT {}", measurement.to_json());
    let expected = match options.expect {
        Some(Answer::Response) if errors > 0 => Some("/response"),
        Some(Answer::Error) if responses > 0 => Some("/error"),
        _ => None,
    };
    match expected {
        Some(expected) => Err(BenchError::Unexpected {
            expected,
            responses,
            errors,
        }),
        None => Ok(()),
    }
}

/// The event bytes, with the token patched in.
fn load_event(options: &Options) -> Result<Arc<[u8]>, BenchError> {
    let Some(path) = &options.event else {
        return Ok(Arc::from(&b"{}"[..]));
    };
    let text = std::fs::read_to_string(path).map_err(|source| BenchError::Read {
        path: path.clone(),
        source,
    })?;
    let text = match &options.token {
        Some(token) => text.replace("REPLACE_WITH_ACCESS_TOKEN", token),
        None => {
            if text.contains("REPLACE_WITH_ACCESS_TOKEN") {
                eprintln!(
                    "runtime-bench: warning: {} has a token placeholder and no --token was given",
                    path.display()
                );
            }
            text
        }
    };
    Ok(Arc::from(text.into_bytes()))
}

fn first_poll(
    server: &Server,
    function: &mut Function,
    options: &Options,
    timeout: Duration,
) -> Result<Instant, BenchError> {
    server
        .wait_first_poll(timeout)
        .map_err(|err| failure(err, function, options, "starting"))
}

/// Sequential invocations with fresh request ids.
struct Invoker<'a> {
    server: &'a Server,
    event: &'a Arc<[u8]>,
    timeout: Duration,
    next_id: u64,
}

impl Invoker<'_> {
    fn invoke(
        &mut self,
        function: &mut Function,
        options: &Options,
    ) -> Result<(Duration, Answer), BenchError> {
        self.next_id += 1;
        let id = format!("8f5c1b2e-0000-4000-8000-{:012x}", self.next_id);
        self.server
            .invoke(id, self.event, self.timeout)
            .map_err(|err| failure(err, function, options, "invoking"))
    }
}

fn failure(
    err: WaitError,
    function: &mut Function,
    options: &Options,
    waiting_for: &'static str,
) -> BenchError {
    match (err, function.exited()) {
        (WaitError::InitFailed(body), _) => BenchError::InitFailed(body),
        (WaitError::Timeout, Some(status)) => BenchError::Exited {
            status,
            waiting_for,
            log: options.log.clone(),
        },
        (WaitError::Timeout, None) => BenchError::Timeout {
            secs: options.timeout_secs,
            waiting_for,
            log: options.log.clone(),
        },
    }
}
