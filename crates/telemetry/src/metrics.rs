//! CloudWatch embedded metric format (EMF): metrics recorded over one or many invocations,
//! written to stdout as one JSON line per document at each flush, from which CloudWatch Logs
//! extracts the metrics. No API call.
//!
//! Specification: <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>
//!
//! Durations recorded more than once before a flush are written as a histogram,
//! `{"Values":[0.042,0.05],"Counts":[950,50]}`: the specification's target is a number or an
//! array of at most 100 numbers, and CloudWatch also takes this object of at most 100 values
//! with their counts, which AWS's own emitters write (awslabs/metrique's EMF format; the
//! OpenTelemetry collector's awsemf exporter, which splits histograms past 100 values because
//! CloudWatch refuses more). A value array would need one member per invocation.

use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::names::{ENVIRONMENT, ENVIRONMENT_VARIABLE, ROLLED_UP, SERVICE};

/// EMF: a metric's value array (or histogram) holds at most 100 values.
pub(crate) const MAX_VALUES: usize = 100;
/// EMF: a dimension set holds at most 30 dimensions (Service, Environment and 28 more).
const MAX_DIMENSIONS: usize = 30;
/// The dimensions every metric gets before its own: Service and Environment.
const BASE_DIMENSIONS: usize = 2;
/// EMF: a directive lists at most 100 metrics (we count per document, which is stricter).
const MAX_METRICS: usize = 100;

/// The unit CloudWatch records with a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Occurrences; recorded values of one metric are summed within a line.
    Count,
    /// Durations; recorded values of one metric are kept apart (two significant digits, with
    /// how often each occurred), so that percentiles stay right.
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// Metrics in EMF: record with [`Metrics::count`] and [`Metrics::milliseconds`], then
/// [`Metrics::flush`] to stdout, at the end of each invocation or, to write less, once
/// [`Metrics::is_due`] says the oldest value recorded has waited long enough.
///
/// Every metric gets the dimension `Service`, then `Environment` when the environment is known
/// (see [`Metrics::environment`]); the dimensions given with a value come after them. A metric
/// named in [`ROLLED_UP`] (`AuthorizerDeny`, `AuthorizerFailure`) is also published with those
/// base dimensions alone (a second dimension set in the same line), for alarms on the total.
/// One flush writes one line, unless two values cannot share a document (two values of one
/// dimension, e.g. `Grant=password` and `Grant=refresh_token`, or more than 100 distinct
/// durations of one metric): each document is a line. Counts are summed; a duration is kept to
/// two significant digits (at most 5% off) and counted per distinct value, so a minute of
/// invocations takes a few dozen values whatever the traffic. Keep `Metrics` from one
/// invocation to the next and recording and flushing allocate nothing once it has grown.
#[derive(Debug, Clone)]
pub struct Metrics {
    namespace: &'static str,
    service: &'static str,
    environment: EnvironmentSource,
    rolled_up: &'static [&'static str],
    entries: Vec<Entry>,
    dimensions: Vec<(&'static str, &'static str)>,
    /// Millisecond values with their counts, by entry index.
    samples: Vec<Sample>,
    line: Vec<u8>,
    /// When the oldest value not yet flushed was recorded.
    since: Option<Instant>,
    /// The same moment on the wall clock, milliseconds since the Unix epoch: the documents'
    /// timestamp, so every value lands in the CloudWatch minute it was recorded in.
    since_ms: Option<u64>,
}

/// One distinct duration of an entry and how many times it was recorded.
#[derive(Debug, Clone, Copy)]
struct Sample {
    entry: usize,
    ms: f64,
    count: u64,
}

/// One metric with one set of dimension values, in one document.
#[derive(Debug, Clone, Copy)]
struct Entry {
    document: usize,
    name: &'static str,
    unit: Unit,
    /// `dimensions[start..end]`.
    start: usize,
    end: usize,
    /// The sum for a count; the number of distinct values for milliseconds.
    value: u64,
    /// Also published with the base dimensions alone.
    rolled_up: bool,
}

/// Where the `Environment` dimension comes from.
#[derive(Debug, Clone, Copy)]
enum EnvironmentSource {
    /// The process environment variable `ENVIRONMENT`, read once per process.
    Process,
    /// A value given by the caller; `None` leaves the dimension out.
    Fixed(Option<&'static str>),
}

impl Metrics {
    /// No metrics yet, for `service` (the `Service` dimension) in `namespace`, with the
    /// roll-ups of [`ROLLED_UP`] and the `Environment` dimension from the process environment
    /// variable `ENVIRONMENT` (see [`Metrics::environment`]).
    pub const fn new(namespace: &'static str, service: &'static str) -> Self {
        Self {
            namespace,
            service,
            environment: EnvironmentSource::Process,
            rolled_up: ROLLED_UP,
            entries: Vec::new(),
            dimensions: Vec::new(),
            samples: Vec::new(),
            line: Vec::new(),
            since: None,
            since_ms: None,
        }
    }

    /// Adds `n` to the count `name` with `dimensions` (besides `Service`). Dimension values
    /// must be short ASCII codes (CloudWatch refuses empty ones): each distinct combination is
    /// a separately billed metric, so never a user name or an id; `'static` keeps them codes.
    pub fn count(
        &mut self,
        name: &'static str,
        dimensions: &[(&'static str, &'static str)],
        n: u64,
    ) {
        self.record(name, Unit::Count, dimensions, None, n);
    }

    /// Records a duration of `ms` milliseconds for `name` with `dimensions` (besides `Service`),
    /// rounded to two significant digits. A value that is not finite is dropped (JSON has no
    /// NaN).
    pub fn milliseconds(
        &mut self,
        name: &'static str,
        dimensions: &[(&'static str, &'static str)],
        ms: f64,
    ) {
        if ms.is_finite() {
            self.record(name, Unit::Milliseconds, dimensions, Some(quantize(ms)), 1);
        }
    }

    /// Publishes the metrics called `names` (and only those) with the base dimensions alone
    /// as well as with their own dimensions, in place of [`ROLLED_UP`].
    pub const fn with_rollups(mut self, names: &'static [&'static str]) -> Self {
        self.rolled_up = names;
        self
    }

    /// Uses `environment` as the `Environment` dimension in place of the process environment
    /// variable; `None` leaves the dimension out. For tests, and for callers that know better.
    pub const fn with_environment(mut self, environment: Option<&'static str>) -> Self {
        self.environment = EnvironmentSource::Fixed(environment);
        self
    }

    /// The value of the `Environment` dimension, `None` when it is left out. Unless set with
    /// [`Metrics::with_environment`], it is the process environment variable `ENVIRONMENT`
    /// (template.yaml sets it to the stack's `Environment` parameter), read once per process
    /// and trimmed; unset or blank, the dimension is left out.
    pub fn environment(&self) -> Option<&'static str> {
        match self.environment {
            EnvironmentSource::Process => process_environment(),
            EnvironmentSource::Fixed(value) => value,
        }
    }

    /// Whether nothing has been recorded since the last flush.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets what was recorded.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.dimensions.clear();
        self.samples.clear();
        self.since = None;
        self.since_ms = None;
    }

    /// Whether the values held were recorded in an earlier wall-clock minute than `now_ms`:
    /// flush them before recording more, so that no document spans two minutes. The alarms
    /// compare metrics of the same minute (Lambda's Errors against AuthorizerDeny), and a
    /// document's values all land at its timestamp.
    pub fn is_from_an_earlier_minute(&self, now_ms: u64) -> bool {
        self.since_ms
            .is_some_and(|since| since / 60_000 < now_ms / 60_000)
    }

    /// Whether a flush is due: something was recorded at least `interval` ago (with a zero
    /// interval, whether anything was recorded at all).
    pub fn is_due(&self, interval: Duration) -> bool {
        self.is_due_at(Instant::now(), interval)
    }

    /// [`Metrics::is_due`] at `now`.
    pub fn is_due_at(&self, now: Instant, interval: Duration) -> bool {
        self.since
            .is_some_and(|since| now.saturating_duration_since(since) >= interval)
    }

    /// The EMF documents for what was recorded, stamped `timestamp_ms` (milliseconds since the
    /// Unix epoch), one line each without the newline; usually exactly one, none if empty.
    pub fn emf_lines(&self, timestamp_ms: u64) -> Vec<String> {
        (0..self.documents())
            .filter_map(|document| {
                let mut line = Vec::new();
                self.write_document(document, timestamp_ms, &mut line);
                String::from_utf8(line).ok()
            })
            .collect()
    }

    /// Appends the EMF lines, each ending in a newline, to `out`.
    pub fn write_emf(&self, timestamp_ms: u64, out: &mut Vec<u8>) {
        for document in 0..self.documents() {
            self.write_document(document, timestamp_ms, out);
            out.push(b'\n');
        }
    }

    /// Writes the lines (stamped with the time the oldest value was recorded, see
    /// [`Metrics::is_from_an_earlier_minute`]) to `out` in one write, then forgets them. Write
    /// errors are ignored: a lost metric must not fail the invocation. With stdout, pass
    /// `&mut std::io::stdout().lock()`.
    pub fn flush(&mut self, out: &mut impl Write) {
        if self.is_empty() {
            return;
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.write_emf(self.since_ms.unwrap_or_else(now_ms), &mut line);
        let _ = out.write_all(&line);
        let _ = out.flush();
        self.line = line;
        self.clear();
    }

    fn record(
        &mut self,
        name: &'static str,
        unit: Unit,
        dimensions: &[(&'static str, &'static str)],
        sample: Option<f64>,
        n: u64,
    ) {
        self.since.get_or_insert_with(Instant::now);
        self.since_ms.get_or_insert_with(now_ms);
        let own = || own_dimensions(dimensions);
        let matches = |e: &Entry| e.name == name && e.unit == unit && self.dims(e).iter().eq(own());
        // A duration joins the entry that already holds its value, else one with room left.
        let held = sample.and_then(|ms| {
            self.samples
                .iter()
                .position(|s| s.ms == ms && self.entries.get(s.entry).is_some_and(matches))
        });
        let same = match held.and_then(|i| self.samples.get(i)) {
            Some(held) => Some(held.entry),
            None => self
                .entries
                .iter()
                .position(|e| matches(e) && (unit == Unit::Count || e.value < MAX_VALUES as u64)),
        };
        let index = match same {
            Some(index) => index,
            None => {
                let document = (0..=self.documents())
                    .find(|&d| self.fits(d, name, dimensions))
                    .unwrap_or_else(|| self.documents());
                let start = self.dimensions.len();
                self.dimensions.extend(own());
                let end = self.dimensions.len();
                self.entries.push(Entry {
                    document,
                    name,
                    unit,
                    start,
                    end,
                    value: 0,
                    // With no dimension of its own, the roll-up would be the same set twice.
                    rolled_up: end > start && self.rolled_up.contains(&name),
                });
                self.entries.len() - 1
            }
        };
        match (sample, held.and_then(|i| self.samples.get_mut(i))) {
            (Some(_), Some(held)) => held.count = held.count.saturating_add(n),
            (Some(ms), None) => {
                self.samples.push(Sample {
                    entry: index,
                    ms,
                    count: n,
                });
                if let Some(entry) = self.entries.get_mut(index) {
                    entry.value += 1;
                }
            }
            (None, _) => {
                if let Some(entry) = self.entries.get_mut(index) {
                    entry.value = entry.value.saturating_add(n);
                }
            }
        }
    }

    /// Whether a new entry `name` with `dimensions` can join `document`: no metric of that name
    /// there yet, no other value for one of its dimensions, no name used both ways.
    fn fits(
        &self,
        document: usize,
        name: &str,
        dimensions: &[(&'static str, &'static str)],
    ) -> bool {
        let mut count = 0;
        for entry in self.in_document(document) {
            count += 1;
            if entry.name == name || own_dimensions(dimensions).any(|(k, _)| *k == entry.name) {
                return false;
            }
            for (key, value) in self.dims(entry) {
                if *key == name || own_dimensions(dimensions).any(|(k, v)| k == key && v != value) {
                    return false;
                }
            }
        }
        count < MAX_METRICS
    }

    fn documents(&self) -> usize {
        self.entries
            .iter()
            .map(|e| e.document + 1)
            .max()
            .unwrap_or(0)
    }

    fn in_document(&self, document: usize) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.document == document)
    }

    fn dims(&self, entry: &Entry) -> &[(&'static str, &'static str)] {
        self.dimensions.get(entry.start..entry.end).unwrap_or(&[])
    }

    fn keys<'a>(&'a self, entry: &'a Entry) -> impl Iterator<Item = &'static str> + 'a {
        self.dims(entry).iter().map(|(key, _)| *key)
    }

    /// `{"_aws":{"Timestamp":..,"CloudWatchMetrics":[directive per dimension set]},
    /// "Service":..,"Environment":..,<dimension>:<value>..,<metric>:<value or values>..}`
    fn write_document(&self, document: usize, timestamp_ms: u64, out: &mut Vec<u8>) {
        let environment = self.environment();
        // The base dimension set: Service, and Environment when known.
        let base = |out: &mut Vec<u8>| {
            json_string(out, SERVICE);
            if environment.is_some() {
                out.push(b',');
                json_string(out, ENVIRONMENT);
            }
        };
        // The document's entries, with their index (for their samples); no Vec, no allocation.
        let entries = || {
            self.entries
                .iter()
                .enumerate()
                .filter(move |(_, e)| e.document == document)
        };
        out.extend_from_slice(b"{\"_aws\":{\"Timestamp\":");
        let _ = write!(out, "{timestamp_ms}");
        out.extend_from_slice(b",\"CloudWatchMetrics\":[");
        let mut first_directive = true;
        for (index, entry) in entries() {
            let same_keys = |(_, other): &(usize, &Entry)| {
                other.rolled_up == entry.rolled_up && self.keys(other).eq(self.keys(entry))
            };
            // One directive per list of dimension sets, at the first metric that has it.
            if entries()
                .take_while(|(i, _)| *i < index)
                .any(|e| same_keys(&e))
            {
                continue;
            }
            if !first_directive {
                out.push(b',');
            }
            first_directive = false;
            out.extend_from_slice(b"{\"Namespace\":");
            json_string(out, self.namespace);
            out.extend_from_slice(b",\"Dimensions\":[[");
            base(out);
            for key in self.keys(entry) {
                out.push(b',');
                json_string(out, key);
            }
            out.push(b']');
            if entry.rolled_up {
                out.extend_from_slice(b",[");
                base(out);
                out.push(b']');
            }
            out.extend_from_slice(b"],\"Metrics\":[");
            let members = entries().skip_while(|(i, _)| *i < index).filter(same_keys);
            for (n, (_, member)) in members.enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"Name\":");
                json_string(out, member.name);
                out.extend_from_slice(b",\"Unit\":");
                json_string(out, member.unit.as_str());
                out.push(b'}');
            }
            out.extend_from_slice(b"]}");
        }
        out.extend_from_slice(b"]},");
        json_string(out, SERVICE);
        out.push(b':');
        json_string(out, self.service);
        if let Some(environment) = environment {
            out.push(b',');
            json_string(out, ENVIRONMENT);
            out.push(b':');
            json_string(out, environment);
        }
        for (index, entry) in entries() {
            for (position, (key, value)) in self.dims(entry).iter().enumerate() {
                let written = entries()
                    .take_while(|(i, _)| *i < index)
                    .any(|(_, e)| self.keys(e).any(|k| k == *key))
                    || self.keys(entry).take(position).any(|k| k == *key);
                if !written {
                    out.push(b',');
                    json_string(out, key);
                    out.push(b':');
                    json_string(out, value);
                }
            }
        }
        for (index, entry) in entries() {
            out.push(b',');
            json_string(out, entry.name);
            out.push(b':');
            match entry.unit {
                Unit::Count => {
                    let _ = write!(out, "{}", entry.value);
                }
                Unit::Milliseconds => self.write_samples(index, out),
            }
        }
        out.push(b'}');
    }

    /// One value recorded once as a number; anything else as a histogram,
    /// `{"Values":[..],"Counts":[..]}` (at most [`MAX_VALUES`] values per entry).
    fn write_samples(&self, index: usize, out: &mut Vec<u8>) {
        let samples = || self.samples.iter().filter(move |s| s.entry == index);
        let mut all = samples();
        if let (Some(only), None) = (all.next(), all.next())
            && only.count == 1
        {
            let _ = serde_json::to_writer(&mut *out, &only.ms);
            return;
        }
        out.extend_from_slice(b"{\"Values\":[");
        for (i, sample) in samples().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = serde_json::to_writer(&mut *out, &sample.ms);
        }
        out.extend_from_slice(b"],\"Counts\":[");
        for (i, sample) in samples().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = write!(out, "{}", sample.count);
        }
        out.extend_from_slice(b"]}");
    }
}

/// `ms` to two significant digits: at most 5% off (0.5% at the top of a decade), and at most
/// 90 distinct values per decade, so a window of durations fits a histogram of 100 values.
/// Built from a whole number of units so that 0.042 is written `0.042`, not
/// `0.042000000000000003`; with plain arithmetic, not `log10` and `round`, whose libm pages
/// would add to the authorizer's resident memory.
fn quantize(ms: f64) -> f64 {
    if ms.is_nan() || ms <= 0.0 {
        return 0.0;
    }
    // `ms` = `digits` x 10^`exponent`, with 10 <= `digits` < 100.
    let (mut digits, mut exponent) = (ms, 0_i32);
    while digits >= 100.0 && exponent < 300 {
        digits /= 10.0;
        exponent += 1;
    }
    while digits < 10.0 && exponent > -300 {
        digits *= 10.0;
        exponent -= 1;
    }
    // Rounded half up; `digits` is below 100, so the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let digits = f64::from((digits + 0.5) as u32);
    let scale = 10_f64.powi(exponent.abs());
    if exponent < 0 {
        digits / scale
    } else {
        digits * scale
    }
}

/// The dimensions given with a value, without `Service` and `Environment` (set by [`Metrics`]
/// itself) and within EMF's limit.
fn own_dimensions<'a>(
    dimensions: &'a [(&'static str, &'static str)],
) -> impl Iterator<Item = &'a (&'static str, &'static str)> {
    dimensions
        .iter()
        .filter(|(key, _)| *key != SERVICE && *key != ENVIRONMENT)
        .take(MAX_DIMENSIONS - BASE_DIMENSIONS)
}

/// The process's `ENVIRONMENT`, read on first use.
fn process_environment() -> Option<&'static str> {
    static VALUE: OnceLock<Option<String>> = OnceLock::new();
    VALUE
        .get_or_init(|| environment_value(std::env::var(ENVIRONMENT_VARIABLE).ok()))
        .as_deref()
}

/// The dimension value for a variable's value: trimmed, and none when unset or blank
/// (CloudWatch refuses a dimension value without a non-blank character).
fn environment_value(variable: Option<String>) -> Option<String> {
    let value = variable?;
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// `value` as a JSON string. Names and codes need no escaping and are copied as they are
/// (measured: a third of the line's cost otherwise); anything else is escaped by serde_json.
fn json_string(out: &mut Vec<u8>, value: &str) {
    if value.bytes().all(|b| b >= b' ' && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a `Vec` cannot fail.
        let _ = serde_json::to_writer(out, value);
    }
}

/// The wall-clock time, milliseconds since the Unix epoch (EMF's `Timestamp`).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::*;
    use serde_json::{Value, json};
    use std::io;

    const T: u64 = 1_764_000_000_000;

    /// A writer that fails, to show flushing ignores it.
    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
    }

    /// The authorizer's metrics as deployed in prod (`ENVIRONMENT=prod`).
    fn authorizer() -> Metrics {
        Metrics::new(NAMESPACE, "authorizer").with_environment(Some("prod"))
    }

    fn token_generator() -> Metrics {
        Metrics::new(NAMESPACE, "token_generator").with_environment(Some("prod"))
    }

    /// The authorizer's metrics without the AuthorizerDeny roll-up.
    fn plain() -> Metrics {
        authorizer().with_rollups(&[])
    }

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn a_denial_is_one_exact_line() {
        let mut metrics = authorizer();
        metrics.count(AUTHORIZER_DENY, &[(REASON, "expired")], 1);
        let expected = r#"{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":[{"Namespace":"JwtAuth","Dimensions":[["Service","Environment","Reason"],["Service","Environment"]],"Metrics":[{"Name":"AuthorizerDeny","Unit":"Count"}]}]},"Service":"authorizer","Environment":"prod","Reason":"expired","AuthorizerDeny":1}"#;
        let lines = metrics.emf_lines(T);
        assert_eq!(lines, [expected]);

        let line = parse(&lines[0]);
        assert_eq!(line["_aws"]["Timestamp"], 1_764_000_000_000u64);
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 1);
        assert_eq!(directives[0]["Namespace"], "JwtAuth");
        // Per reason, and the total per service and environment (template.yaml's
        // AuthorizerErrorsAlarm subtracts it from Lambda's Errors).
        assert_eq!(
            directives[0]["Dimensions"],
            json!([
                ["Service", "Environment", "Reason"],
                ["Service", "Environment"]
            ])
        );
        assert_eq!(
            directives[0]["Metrics"],
            json!([{"Name": "AuthorizerDeny", "Unit": "Count"}])
        );
        assert_eq!(line["Service"], "authorizer");
        assert_eq!(line["Environment"], "prod");
        assert_eq!(line["Reason"], "expired");
        assert_eq!(line["AuthorizerDeny"], 1);
        assert_eq!(line.as_object().unwrap().len(), 5);
    }

    #[test]
    fn a_failure_is_its_own_metric_with_its_own_total() {
        let mut metrics = authorizer();
        metrics.count(
            AUTHORIZER_FAILURE,
            &[(REASON, "revocation_check_failed")],
            1,
        );
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 2001.5);
        let expected = concat!(
            r#"{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":["#,
            r#"{"Namespace":"JwtAuth","Dimensions":[["Service","Environment","Reason"],["Service","Environment"]],"Metrics":[{"Name":"AuthorizerFailure","Unit":"Count"}]},"#,
            r#"{"Namespace":"JwtAuth","Dimensions":[["Service","Environment"]],"Metrics":[{"Name":"AuthorizerLatency","Unit":"Milliseconds"}]}]},"#,
            r#""Service":"authorizer","Environment":"prod","Reason":"revocation_check_failed","AuthorizerFailure":1,"AuthorizerLatency":2000.0}"#
        );
        let lines = metrics.emf_lines(T);
        assert_eq!(lines, [expected]);
        // Not an AuthorizerDeny: the errors alarm subtracts that total, never this one.
        assert!(parse(&lines[0]).get(AUTHORIZER_DENY).is_none());
    }

    #[test]
    fn a_denied_invocation_of_the_authorizer_is_one_exact_line() {
        let mut metrics = authorizer();
        metrics.count(AUTHORIZER_DENY, &[(REASON, "expired")], 1);
        // Two significant digits.
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 0.189);
        let expected = concat!(
            r#"{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":["#,
            r#"{"Namespace":"JwtAuth","Dimensions":[["Service","Environment","Reason"],["Service","Environment"]],"Metrics":[{"Name":"AuthorizerDeny","Unit":"Count"}]},"#,
            r#"{"Namespace":"JwtAuth","Dimensions":[["Service","Environment"]],"Metrics":[{"Name":"AuthorizerLatency","Unit":"Milliseconds"}]}]},"#,
            r#""Service":"authorizer","Environment":"prod","Reason":"expired","AuthorizerDeny":1,"AuthorizerLatency":0.19}"#
        );
        assert_eq!(metrics.emf_lines(T), [expected]);
    }

    #[test]
    fn without_an_environment_the_dimension_is_left_out() {
        let mut metrics = authorizer().with_environment(None);
        assert_eq!(metrics.environment(), None);
        metrics.count(AUTHORIZER_DENY, &[(REASON, "expired")], 1);
        let expected = r#"{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":[{"Namespace":"JwtAuth","Dimensions":[["Service","Reason"],["Service"]],"Metrics":[{"Name":"AuthorizerDeny","Unit":"Count"}]}]},"Service":"authorizer","Reason":"expired","AuthorizerDeny":1}"#;
        assert_eq!(metrics.emf_lines(T), [expected]);
    }

    #[test]
    fn the_environment_variable_is_trimmed_and_blank_means_none() {
        assert_eq!(environment_value(None), None);
        assert_eq!(environment_value(Some(String::new())), None);
        assert_eq!(environment_value(Some("  \t".to_owned())), None);
        assert_eq!(
            environment_value(Some(" staging\n".to_owned())).as_deref(),
            Some("staging")
        );
        // The process's own value, whatever it is here, follows the same rule.
        let process = std::env::var(ENVIRONMENT_VARIABLE).ok();
        assert_eq!(
            Metrics::new(NAMESPACE, "authorizer").environment(),
            environment_value(process).as_deref()
        );
    }

    #[test]
    fn without_rollups_a_denial_has_one_dimension_set() {
        let mut metrics = plain();
        metrics.count(AUTHORIZER_DENY, &[(REASON, "expired")], 1);
        let line = parse(&metrics.emf_lines(T)[0]);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Service", "Environment", "Reason"]])
        );
    }

    #[test]
    fn a_rollup_without_dimensions_of_its_own_is_not_repeated() {
        let mut metrics = authorizer().with_rollups(&[LOGIN_FAILURES]);
        metrics.count(LOGIN_FAILURES, &[], 1);
        let line = parse(&metrics.emf_lines(T)[0]);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Service", "Environment"]])
        );
    }

    #[test]
    fn an_invocation_of_the_authorizer_is_one_line_with_two_directives() {
        let mut metrics = authorizer();
        metrics.count(AUTHORIZER_ALLOW, &[(REASON, "token")], 1);
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 0.042);
        let expected = concat!(
            r#"{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":["#,
            r#"{"Namespace":"JwtAuth","Dimensions":[["Service","Environment","Reason"]],"Metrics":[{"Name":"AuthorizerAllow","Unit":"Count"}]},"#,
            r#"{"Namespace":"JwtAuth","Dimensions":[["Service","Environment"]],"Metrics":[{"Name":"AuthorizerLatency","Unit":"Milliseconds"}]}]},"#,
            r#""Service":"authorizer","Environment":"prod","Reason":"token","AuthorizerAllow":1,"AuthorizerLatency":0.042}"#
        );
        assert_eq!(metrics.emf_lines(T), [expected]);
        let line = parse(expected);
        assert_eq!(line["AuthorizerLatency"], 0.042);
    }

    #[test]
    fn metrics_with_the_same_dimension_set_share_a_directive() {
        let mut metrics = token_generator();
        metrics.count(LOGIN_FAILURES, &[], 1);
        metrics.count(REFRESH_REUSE_DETECTED, &[], 1);
        let line = parse(&metrics.emf_lines(T)[0]);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"],
            json!([{"Namespace": "JwtAuth", "Dimensions": [["Service", "Environment"]], "Metrics": [
                {"Name": "LoginFailures", "Unit": "Count"},
                {"Name": "RefreshReuseDetected", "Unit": "Count"}]}])
        );
        assert_eq!(line["Environment"], "prod");
    }

    #[test]
    fn counts_of_the_same_metric_and_dimensions_are_summed() {
        let mut metrics = token_generator();
        metrics.count(TOKENS_ISSUED, &[(GRANT, "password")], 1);
        metrics.count(TOKENS_ISSUED, &[(GRANT, "password")], 2);
        let lines = metrics.emf_lines(T);
        assert_eq!(lines.len(), 1);
        assert_eq!(parse(&lines[0])["TokensIssued"], 3);
    }

    #[test]
    fn durations_of_one_metric_become_a_histogram() {
        let mut metrics = authorizer();
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 1.5);
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 2.0);
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 1.54);
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], f64::NAN);
        assert_eq!(
            parse(&metrics.emf_lines(T)[0])["AuthorizerLatency"],
            json!({"Values": [1.5, 2.0], "Counts": [2, 1]})
        );
    }

    #[test]
    fn one_value_recorded_twice_is_a_histogram_of_one() {
        let mut metrics = authorizer();
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 0.042);
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 0.0421);
        assert_eq!(
            parse(&metrics.emf_lines(T)[0])["AuthorizerLatency"],
            json!({"Values": [0.042], "Counts": [2]})
        );
    }

    #[test]
    fn durations_keep_two_significant_digits() {
        for (ms, kept) in [
            (0.04213, 0.042),
            (0.0995, 0.1),
            (0.189, 0.19),
            (1.0, 1.0),
            (12.34, 12.0),
            (2001.5, 2000.0),
            (0.0, 0.0),
            (-3.0, 0.0),
        ] {
            assert_eq!(quantize(ms), kept, "{ms}");
        }
        // Written as the short decimal, never with a binary rounding tail.
        assert_eq!(serde_json::to_string(&quantize(0.04213)).unwrap(), "0.042");
        // At most 90 distinct values in a decade.
        let distinct: std::collections::BTreeSet<u64> = (0..10_000)
            .map(|i| quantize(0.01 + f64::from(i) * 0.000_009).to_bits())
            .collect();
        assert!(distinct.len() <= 91, "{}", distinct.len());
    }

    #[test]
    fn more_than_100_distinct_durations_need_another_document() {
        let mut metrics = authorizer();
        metrics.count(AUTHORIZER_ALLOW, &[(REASON, "token")], 150);
        // 1.0, 1.1, ... 9.9, then 10, 11, ... 69 ms: 150 distinct values, each twice.
        let distinct = (10..100)
            .map(|k| f64::from(k) / 10.0)
            .chain((10..70).map(f64::from));
        for ms in distinct {
            metrics.milliseconds(AUTHORIZER_LATENCY, &[], ms);
            metrics.milliseconds(AUTHORIZER_LATENCY, &[], ms);
        }
        let lines: Vec<Value> = metrics.emf_lines(T).iter().map(|l| parse(l)).collect();
        assert_eq!(lines.len(), 2);
        let values = |line: &Value| {
            line["AuthorizerLatency"]["Values"]
                .as_array()
                .unwrap()
                .len()
        };
        assert_eq!((values(&lines[0]), values(&lines[1])), (100, 50));
        assert!(
            lines[1]["AuthorizerLatency"]["Counts"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c == 2)
        );
        // The count stays in the first document only.
        assert_eq!(lines[0]["AuthorizerAllow"], 150);
        assert!(lines[1].get("AuthorizerAllow").is_none());
    }

    /// A minute of the authorizer in one flush, read back by the specification's rules: the
    /// counts per reason, the roll-up total and the latency's sample count and sum add up.
    #[test]
    fn a_flushed_window_adds_up_when_read_as_cloudwatch_does() {
        let (mut main, mut refusals) = (authorizer(), authorizer().with_rollups(&[]));
        let mut latency_sum = 0.0;
        for i in 0..1000_u32 {
            match i % 20 {
                0 | 1 => main.count(AUTHORIZER_DENY, &[(REASON, "expired")], 1),
                2 => main.count(AUTHORIZER_DENY, &[(REASON, "bad_signature")], 1),
                3 => refusals.count(AUTHORIZER_DENY, &[(REASON, "insufficient_scope")], 1),
                4 => main.count(AUTHORIZER_FAILURE, &[(REASON, "jwks_unavailable")], 1),
                _ => main.count(AUTHORIZER_ALLOW, &[(REASON, "token")], 1),
            }
            // 0.030 .. 0.229 ms, then one slow call.
            let ms = if i == 999 {
                2001.5
            } else {
                0.03 + f64::from(i % 200) / 1000.0
            };
            main.milliseconds(AUTHORIZER_LATENCY, &[], ms);
            latency_sum += quantize(ms);
        }
        let mut out = Vec::new();
        refusals.flush(&mut out);
        main.flush(&mut out);
        let text = String::from_utf8(out).unwrap();
        let mut extracted = Vec::new();
        for line in text.lines() {
            extracted.extend(crate::emf::extract(line).unwrap());
        }
        let total = |name: &str, keys: &[&str], reason: Option<&str>| -> f64 {
            extracted
                .iter()
                .filter(|m| m.name == name && m.has_dimensions(keys))
                .filter(|m| reason.is_none_or(|r| m.dimension(REASON) == Some(r)))
                .map(crate::emf::Extracted::sum)
                .sum()
        };
        let by_reason = [SERVICE, ENVIRONMENT, REASON];
        let base = [SERVICE, ENVIRONMENT];
        assert_eq!(total(AUTHORIZER_ALLOW, &by_reason, Some("token")), 750.0);
        assert_eq!(total(AUTHORIZER_DENY, &by_reason, Some("expired")), 100.0);
        assert_eq!(
            total(AUTHORIZER_DENY, &by_reason, Some("bad_signature")),
            50.0
        );
        assert_eq!(
            total(AUTHORIZER_DENY, &by_reason, Some("insufficient_scope")),
            50.0
        );
        // The roll-up the errors alarm subtracts: the denials answered with an error only.
        assert_eq!(total(AUTHORIZER_DENY, &base, None), 150.0);
        assert_eq!(total(AUTHORIZER_FAILURE, &base, None), 50.0);
        let latency: Vec<_> = extracted
            .iter()
            .filter(|m| m.name == AUTHORIZER_LATENCY)
            .collect();
        let count: f64 = latency.iter().map(|m| m.sample_count()).sum();
        let sum: f64 = latency.iter().map(|m| m.sum()).sum();
        assert_eq!(count, 1000.0);
        assert!((sum - latency_sum).abs() < 1e-6, "{sum} {latency_sum}");
        assert!(
            latency
                .iter()
                .all(|m| m.unit.as_deref() == Some("Milliseconds"))
        );
        // A few lines for a thousand invocations: one per reason, and the latency's.
        assert!(text.lines().count() <= 6, "{text}");
        assert!(text.len() < 3000, "{} bytes", text.len());
    }

    #[test]
    fn a_flush_is_due_once_the_oldest_value_has_waited_the_interval() {
        let mut metrics = authorizer();
        let minute = Duration::from_secs(60);
        assert!(!metrics.is_due(Duration::ZERO), "nothing recorded");
        metrics.count(AUTHORIZER_ALLOW, &[(REASON, "token")], 1);
        let now = Instant::now();
        assert!(metrics.is_due(Duration::ZERO));
        assert!(!metrics.is_due_at(now, minute));
        metrics.count(AUTHORIZER_ALLOW, &[(REASON, "token")], 1);
        assert!(metrics.is_due_at(now + minute, minute));
        metrics.flush(&mut io::sink());
        assert!(!metrics.is_due_at(now + 2 * minute, minute));
    }

    #[test]
    fn documents_are_stamped_with_the_minute_their_values_were_recorded_in() {
        let mut metrics = authorizer();
        assert!(
            !metrics.is_from_an_earlier_minute(now_ms()),
            "nothing recorded"
        );
        metrics.count(AUTHORIZER_ALLOW, &[(REASON, "token")], 1);
        let recorded = metrics.since_ms.unwrap();
        assert!(!metrics.is_from_an_earlier_minute(recorded));
        let next_minute = (recorded / 60_000 + 1) * 60_000;
        assert!(metrics.is_from_an_earlier_minute(next_minute));
        let mut out = Vec::new();
        metrics.flush(&mut out);
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["_aws"]["Timestamp"], recorded);
        assert!(!metrics.is_from_an_earlier_minute(next_minute), "flushed");
    }

    #[test]
    fn two_values_of_one_dimension_need_two_lines() {
        let mut metrics = token_generator();
        metrics.count(TOKENS_ISSUED, &[(GRANT, "password")], 1);
        metrics.count(TOKENS_ISSUED, &[(GRANT, "refresh_token")], 1);
        metrics.count(LOGIN_FAILURES, &[], 1);
        let lines: Vec<Value> = metrics.emf_lines(T).iter().map(|l| parse(l)).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["Grant"], "password");
        assert_eq!(lines[0]["Environment"], "prod");
        assert_eq!(lines[1]["Environment"], "prod");
        assert_eq!(lines[0]["TokensIssued"], 1);
        assert_eq!(lines[0]["LoginFailures"], 1);
        assert_eq!(lines[1]["Grant"], "refresh_token");
        assert_eq!(lines[1]["TokensIssued"], 1);
        assert!(lines[1].get("LoginFailures").is_none());
    }

    #[test]
    fn service_and_environment_are_not_repeated_when_given_as_dimensions() {
        let mut metrics = plain();
        metrics.count(
            AUTHORIZER_DENY,
            &[
                (SERVICE, "other"),
                (ENVIRONMENT, "dev"),
                (REASON, "expired"),
            ],
            1,
        );
        let line = parse(&metrics.emf_lines(T)[0]);
        assert_eq!(line["Service"], "authorizer");
        assert_eq!(line["Environment"], "prod");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Service", "Environment", "Reason"]])
        );
    }

    #[test]
    fn values_are_escaped() {
        let mut metrics = Metrics::new("Odd\"Namespace", "svc\\").with_environment(Some("e\"nv"));
        metrics.count("Quote\"d", &[("Key\n", "va\"lue")], 1);
        let line = parse(&metrics.emf_lines(T)[0]);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "Odd\"Namespace"
        );
        assert_eq!(line["Service"], "svc\\");
        assert_eq!(line["Environment"], "e\"nv");
        assert_eq!(line["Key\n"], "va\"lue");
        assert_eq!(line["Quote\"d"], 1);
    }

    #[test]
    fn flush_writes_one_line_per_document_and_forgets() {
        let mut metrics = authorizer();
        metrics.count(AUTHORIZER_DENY, &[(REASON, "expired")], 1);
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 0.5);
        let mut out = Vec::new();
        metrics.flush(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        assert!(text.ends_with('\n'));
        let line = parse(text.trim_end());
        let stamp = line["_aws"]["Timestamp"].as_u64().unwrap();
        assert!(stamp > T - 365 * 86_400_000, "{stamp}");
        assert!(metrics.is_empty());

        let mut out = Vec::new();
        metrics.flush(&mut out);
        assert!(out.is_empty(), "nothing recorded, nothing written");
    }

    #[test]
    fn flush_ignores_write_errors() {
        let mut metrics = authorizer();
        metrics.count(AUTHORIZER_DENY, &[(REASON, "expired")], 1);
        metrics.flush(&mut Broken);
        assert!(metrics.is_empty());
    }

    #[test]
    fn nothing_recorded_is_no_line() {
        assert!(authorizer().emf_lines(T).is_empty());
    }
}
