//! The figures of one run, printed for people (a block) and for scripts (one `RESULT {json}`
//! line), and the summary table built from those lines by `--summary`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::emf::Totals;
use crate::error::BenchError;
use crate::process::Memory;
use crate::server::Samples;

/// The label run.sh gives baseline (a); the summary divides CPU by its CPU.
pub const BLOCKING_LABEL: &str = "baseline-blocking";
/// The label run.sh gives baseline (b).
pub const RUNTIME_LABEL: &str = "baseline-runtime";

/// Everything measured for one binary and event.
#[derive(Debug)]
pub struct Measurement {
    /// `--label`.
    pub label: String,
    /// The function binary.
    pub binary: PathBuf,
    /// The event file, if any, and the bytes sent.
    pub event: Option<PathBuf>,
    /// Size of the event sent.
    pub event_bytes: usize,
    /// Warm-up invocations (not measured).
    pub warmup: usize,
    /// Round trips of the measured invocations, sorted.
    pub latencies: Vec<Duration>,
    /// Wall time of the measured phase.
    pub wall: Duration,
    /// `/proc/<pid>/stat` utime + stime over the measured phase, in ticks.
    pub cpu_ticks: u64,
    /// Ticks per second, and whether it came from `getconf CLK_TCK` (else assumed 100).
    pub clk_tck: (u64, bool),
    /// schedstat CPU over the measured phase, ns.
    pub cpu_sched_ns: Option<u64>,
    /// The driver's own CPU over the measured phase (schedstat, all its threads), ns.
    pub harness_sched_ns: Option<u64>,
    /// Spawn to first `GET /next`, one per fresh process, sorted.
    pub cold_starts: Vec<Duration>,
    /// Memory after the measured phase.
    pub memory: Memory,
    /// `--growth-check`: (invocations, VmRSS before, VmRSS after, VmHWM after).
    pub growth: Option<(usize, u64, u64, u64)>,
    /// `/response` posts among the measured invocations.
    pub responses: u64,
    /// `/error` posts among the measured invocations.
    pub errors: u64,
    /// First bodies and stray posts.
    pub samples: Samples,
    /// Bytes the function wrote to stdout/stderr during the measured phase.
    pub log_bytes: u64,
    /// Where they went.
    pub log: PathBuf,
    /// What the long-lived process wrote over its whole life.
    pub process_log: ProcessLog,
}

/// The long-lived process's output from spawn to exit: with `--shutdown`, what it wrote when
/// signalled (metrics held in memory) is in; without, what it still held is lost, as when
/// Lambda kills an instance that registered no extension.
#[derive(Debug)]
pub struct ProcessLog {
    /// Bytes written.
    pub bytes: u64,
    /// Invocations it served: warm-up, measured and growth check.
    pub invocations: usize,
    /// Its EMF documents, summed.
    pub totals: Totals,
    /// `--shutdown`: whether it exited on SIGTERM within 2 s (cleanly?, how long it took).
    pub shutdown: Option<Option<(bool, Duration)>>,
    /// Extensions it registered.
    pub extensions: u32,
}

impl ProcessLog {
    fn bytes_per_invocation(&self) -> f64 {
        self.bytes as f64 / self.invocations.max(1) as f64
    }
}

impl Measurement {
    fn invocations(&self) -> usize {
        self.latencies.len()
    }

    fn per_invocation_us(&self, ns: u64) -> f64 {
        ns as f64 / 1_000.0 / self.invocations() as f64
    }

    /// CPU µs per invocation from utime + stime.
    fn cpu_us_ticks(&self) -> f64 {
        self.cpu_ticks as f64 * 1e6 / self.clk_tck.0 as f64 / self.invocations() as f64
    }

    /// CPU µs per invocation, the schedstat figure when there is one (ns resolution), else
    /// utime + stime (10 ms resolution: ±1 µs per invocation over 10000 invocations).
    pub fn cpu_us(&self) -> f64 {
        self.cpu_sched_ns
            .map_or_else(|| self.cpu_us_ticks(), |ns| self.per_invocation_us(ns))
    }

    /// The human-readable block.
    pub fn print_block(&self) {
        let lat = |p: f64| us(percentile(&self.latencies, p));
        let mean = self.latencies.iter().sum::<Duration>() / self.invocations().max(1) as u32;
        let max = self.latencies.last().copied().unwrap_or_default();
        println!("== {} ==", self.label);
        println!("  binary        {}", self.binary.display());
        match &self.event {
            Some(path) => println!(
                "  event         {} ({} bytes)",
                path.display(),
                self.event_bytes
            ),
            None => println!("  event         {{}}"),
        }
        println!(
            "  invocations   {} measured after {} warm-up: {} responses, {} errors, {} stray posts",
            self.invocations(),
            self.warmup,
            self.responses,
            self.errors,
            self.samples.stray_posts
        );
        println!(
            "  latency       p50 {:.1} µs  p90 {:.1} µs  p99 {:.1} µs  mean {:.1} µs  max {:.1} µs",
            lat(50.0),
            lat(90.0),
            lat(99.0),
            us(mean),
            us(max)
        );
        println!(
            "  throughput    {:.0} invocations/s, one at a time",
            self.invocations() as f64 / self.wall.as_secs_f64()
        );
        let tck = if self.clk_tck.1 {
            "getconf CLK_TCK"
        } else {
            "assumed"
        };
        print!(
            "  function CPU  {:.2} µs/inv (utime+stime: {} ticks at {}/s, {tck})",
            self.cpu_us_ticks(),
            self.cpu_ticks,
            self.clk_tck.0
        );
        match self.cpu_sched_ns {
            Some(ns) => println!("; {:.2} µs/inv (schedstat)", self.per_invocation_us(ns)),
            None => println!(),
        }
        if let Some(ns) = self.harness_sched_ns {
            println!(
                "  harness CPU   {:.2} µs/inv (driver + Runtime API threads, schedstat)",
                self.per_invocation_us(ns)
            );
        }
        if !self.cold_starts.is_empty() {
            println!(
                "  cold start    median {:.2} ms  p90 {:.2} ms  ({} processes, spawn to first GET /next)",
                ms(percentile(&self.cold_starts, 50.0)),
                ms(percentile(&self.cold_starts, 90.0)),
                self.cold_starts.len()
            );
        }
        println!(
            "  memory        VmHWM {} KiB ({:.1} MiB)  VmRSS {} KiB ({:.1} MiB)",
            self.memory.hwm_kib,
            mib(self.memory.hwm_kib),
            self.memory.rss_kib,
            mib(self.memory.rss_kib)
        );
        if let Some((n, before, after, hwm)) = self.growth {
            println!(
                "  growth        {n} more invocations: VmRSS {before} -> {after} KiB ({:+} KiB), VmHWM {hwm} KiB",
                after as i64 - before as i64
            );
        }
        println!(
            "  log           {} bytes, {:.1} bytes/invocation, in {}",
            self.log_bytes,
            self.log_bytes as f64 / self.invocations() as f64,
            self.log.display()
        );
        let process = &self.process_log;
        println!(
            "  process log   {} bytes over {} invocations (warm-up, measured, growth): {:.1} bytes/invocation",
            process.bytes,
            process.invocations,
            process.bytes_per_invocation()
        );
        let totals = &process.totals;
        println!(
            "  metrics       {} EMF documents ({} bytes, {} invalid); decisions counted {}, latency samples {}, of {} invocations",
            totals.documents,
            totals.bytes,
            totals.invalid,
            totals
                .decisions()
                .map_or_else(|| "-".to_owned(), |d| format!("{d:.0}")),
            totals.samples("AuthorizerLatency"),
            process.invocations
        );
        match process.shutdown {
            Some(Some((clean, took))) => println!(
                "  shutdown      SIGTERM: exited {} after {:.1} ms ({} extension(s) registered)",
                if clean { "cleanly" } else { "with an error" },
                ms(took),
                process.extensions
            ),
            Some(None) => println!(
                "  shutdown      SIGTERM: still running after 2 s, killed ({} extension(s) registered)",
                process.extensions
            ),
            None => println!(
                "  shutdown      killed (SIGKILL), {} extension(s) registered",
                process.extensions
            ),
        }
        if let Some(body) = &self.samples.response {
            println!("  response      {}", truncate(body, 160));
        }
        if let Some(body) = &self.samples.error {
            println!("  error         {}", truncate(body, 160));
        }
    }

    /// The figures as one JSON object (the `RESULT` line).
    pub fn to_json(&self) -> Value {
        let lat = |p: f64| round(us(percentile(&self.latencies, p)), 1);
        json!({
            "label": self.label,
            "binary": self.binary,
            "event": self.event,
            "event_bytes": self.event_bytes,
            "invocations": self.invocations(),
            "warmup": self.warmup,
            "responses": self.responses,
            "errors": self.errors,
            "stray_posts": self.samples.stray_posts,
            "latency_us": {
                "p50": lat(50.0), "p90": lat(90.0), "p99": lat(99.0),
                "max": round(us(self.latencies.last().copied().unwrap_or_default()), 1),
            },
            "invocations_per_sec": round(self.invocations() as f64 / self.wall.as_secs_f64(), 0),
            "cpu_us_per_invocation": round(self.cpu_us(), 2),
            "cpu_us_per_invocation_ticks": round(self.cpu_us_ticks(), 2),
            "cpu_us_per_invocation_schedstat": self.cpu_sched_ns.map(|ns| round(self.per_invocation_us(ns), 2)),
            "cpu_ticks": self.cpu_ticks,
            "clk_tck": self.clk_tck.0,
            "harness_cpu_us_per_invocation": self.harness_sched_ns.map(|ns| round(self.per_invocation_us(ns), 2)),
            "cold_start_ms": (!self.cold_starts.is_empty()).then(|| json!({
                "median": round(ms(percentile(&self.cold_starts, 50.0)), 2),
                "p90": round(ms(percentile(&self.cold_starts, 90.0)), 2),
                "samples": self.cold_starts.len(),
            })),
            "vm_hwm_kib": self.memory.hwm_kib,
            "vm_rss_kib": self.memory.rss_kib,
            "growth": self.growth.map(|(n, before, after, hwm)| json!({
                "invocations": n, "vm_rss_before_kib": before, "vm_rss_after_kib": after,
                "vm_hwm_after_kib": hwm,
            })),
            "log_bytes_per_invocation": round(self.log_bytes as f64 / self.invocations() as f64, 1),
            "process_log": {
                "bytes": self.process_log.bytes,
                "invocations": self.process_log.invocations,
                "bytes_per_invocation": round(self.process_log.bytes_per_invocation(), 2),
                "metrics": self.process_log.totals.to_json(),
                "shutdown": self.process_log.shutdown.map(|s| s.map(|(clean, took)| json!({
                    "clean": clean, "ms": round(ms(took), 1),
                }))),
                "extensions": self.process_log.extensions,
            },
        })
    }
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `--summary`: one table row per label, CPU also as a ratio to the two baselines. When a label
/// has several `RESULT` lines (run.sh's rounds), the row is its round with the least function
/// CPU: contention from other processes only ever adds, so the minimum is the best estimate of
/// the binary's own cost; the spread is shown beside it. The cold start is, on the same grounds,
/// the least median over the rounds.
pub fn print_summary(path: &Path) -> Result<(), BenchError> {
    let text = std::fs::read_to_string(path).map_err(|source| BenchError::Read {
        path: path.to_owned(),
        source,
    })?;
    let rows: Vec<Value> = text
        .lines()
        .filter_map(|line| line.strip_prefix("RESULT "))
        .filter_map(|json| serde_json::from_str(json).ok())
        .collect();
    let best = best_per_label(&rows);
    let baseline = |label: &str| {
        best.iter()
            .find(|b| b.row["label"] == label)
            .map(|b| b.cpu_min)
    };
    let (blocking, runtime) = (baseline(BLOCKING_LABEL), baseline(RUNTIME_LABEL));
    let ratio = |value: f64, base: Option<f64>| match base {
        Some(b) if b > 0.0 => format!("{:.2}x", value / b),
        _ => "-".to_owned(),
    };
    let num = |v: &Value, digits: usize| {
        v.as_f64()
            .map_or_else(|| "-".to_owned(), |x| format!("{x:.digits$}"))
    };
    println!(
        "{:<30} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>13} {:>9} {:>8} {:>8} {:>7} {:>5} {:>6} {:>13}",
        "label",
        "ok",
        "err",
        "p50 µs",
        "p90 µs",
        "p99 µs",
        "CPU µs",
        "median",
        "(rounds: max)",
        "/blocking",
        "/runtime",
        "cold ms",
        "HWM MiB",
        "log B",
        "proc B",
        "counted"
    );
    for b in &best {
        let row = &b.row;
        println!(
            "{:<30} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7.2} {:>7.2} {:>13} {:>9} {:>8} {:>8} {:>7} {:>5} {:>6} {:>13}",
            row["label"].as_str().unwrap_or("?"),
            num(&row["responses"], 0),
            num(&row["errors"], 0),
            num(&row["latency_us"]["p50"], 1),
            num(&row["latency_us"]["p90"], 1),
            num(&row["latency_us"]["p99"], 1),
            b.cpu_min,
            median(&b.cpus),
            format!("({}: {:.2})", b.rounds, b.cpu_max),
            ratio(b.cpu_min, blocking),
            ratio(b.cpu_min, runtime),
            b.cold_ms
                .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.2}")),
            row["vm_hwm_kib"]
                .as_f64()
                .map_or_else(|| "-".to_owned(), |k| format!("{:.1}", k / 1024.0)),
            num(&row["log_bytes_per_invocation"], 0),
            num(&row["process_log"]["bytes_per_invocation"], 1),
            counted(&row["process_log"]),
        );
    }
    for row in rows.iter().filter(|r| r["growth"].is_object()) {
        let g = &row["growth"];
        println!(
            "growth {}: {} more invocations, VmRSS {} -> {} KiB",
            row["label"].as_str().unwrap_or("?"),
            g["invocations"],
            g["vm_rss_before_kib"],
            g["vm_rss_after_kib"]
        );
    }
    Ok(())
}

/// `decisions/invocations` of a process log, `-` when it wrote no decision metric.
fn counted(process: &Value) -> String {
    match (
        process["metrics"]["decisions"].as_f64(),
        process["invocations"].as_u64(),
    ) {
        (Some(decisions), Some(invocations)) => format!("{decisions:.0}/{invocations}"),
        _ => "-".to_owned(),
    }
}

/// The median of a label's rounds (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// A label's least-CPU round, with the CPU spread over its rounds.
#[derive(Debug)]
struct Best {
    row: Value,
    cpu_min: f64,
    cpu_max: f64,
    /// Every round's CPU, for the median.
    cpus: Vec<f64>,
    rounds: usize,
    /// The least cold-start median over the rounds (cold starts suffer the same contention).
    cold_ms: Option<f64>,
}

/// One `Best` per label, in the order labels first appear.
fn best_per_label(rows: &[Value]) -> Vec<Best> {
    let mut best: Vec<Best> = Vec::new();
    for row in rows {
        let Some(cpu) = row["cpu_us_per_invocation"].as_f64() else {
            continue;
        };
        let cold = row["cold_start_ms"]["median"].as_f64();
        match best.iter_mut().find(|b| b.row["label"] == row["label"]) {
            Some(b) => {
                b.rounds += 1;
                b.cpu_max = b.cpu_max.max(cpu);
                b.cpus.push(cpu);
                b.cold_ms = match (b.cold_ms, cold) {
                    (Some(a), Some(c)) => Some(a.min(c)),
                    (a, c) => a.or(c),
                };
                if cpu < b.cpu_min {
                    b.cpu_min = cpu;
                    b.row = row.clone();
                }
            }
            None => best.push(Best {
                row: row.clone(),
                cpu_min: cpu,
                cpu_max: cpu,
                cpus: vec![cpu],
                rounds: 1,
                cold_ms: cold,
            }),
        }
    }
    best
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10_f64.powi(digits);
    (x * scale).round() / scale
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_pick_a_sample() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile(&samples, 50.0), Duration::from_micros(50));
        assert_eq!(percentile(&samples, 99.0), Duration::from_micros(99));
        assert_eq!(percentile(&samples, 100.0), Duration::from_micros(100));
        assert_eq!(percentile(&samples[..1], 90.0), Duration::from_micros(1));
    }

    #[test]
    fn summary_keeps_the_least_cpu_round_of_each_label() {
        let rows = vec![
            json!({"label": "a", "cpu_us_per_invocation": 20.0, "round": 1,
                   "cold_start_ms": {"median": 1.5}}),
            json!({"label": "b", "cpu_us_per_invocation": 50.0}),
            json!({"label": "a", "cpu_us_per_invocation": 16.0, "round": 2,
                   "cold_start_ms": {"median": 4.0}}),
            json!({"label": "a", "cpu_us_per_invocation": 31.0, "round": 3}),
        ];
        let best = best_per_label(&rows);
        assert_eq!(best.len(), 2);
        assert_eq!(best[0].row["round"], 2);
        assert_eq!(
            (best[0].cpu_min, best[0].cpu_max, best[0].rounds),
            (16.0, 31.0, 3)
        );
        assert_eq!(best[0].cold_ms, Some(1.5));
        assert_eq!(best[1].rounds, 1);
    }
}
