//! CloudWatch embedded metric format (EMF): metrics recorded during an invocation, written to
//! stdout as one JSON line per flush, from which CloudWatch Logs extracts the metrics. No API call.
//!
//! Specification: <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use std::io::Write;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::names::{ENVIRONMENT, ENVIRONMENT_VARIABLE, ROLLED_UP, SERVICE};

/// EMF: a metric's value array holds at most 100 values.
const MAX_VALUES: u32 = 100;
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
    /// Durations; recorded values of one metric are kept apart (a value array), so that
    /// percentiles stay right.
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

/// The metrics of one invocation, in EMF: record with [`Metrics::count`] and
/// [`Metrics::milliseconds`], then [`Metrics::flush`] to stdout at the end of the invocation.
///
/// Every metric gets the dimension `Service`, then `Environment` when the environment is known
/// (see [`Metrics::environment`]); the dimensions given with a value come after them. A metric
/// named in [`ROLLED_UP`] (`AuthorizerDeny`, `AuthorizerFailure`) is also published with those
/// base dimensions alone (a second dimension set in the same line), for alarms on the total.
/// One flush writes one line, unless two values cannot share a document (two values of one
/// dimension, e.g. `Grant=password` and `Grant=refresh_token`): each document is a line. Keep
/// `Metrics` from one invocation to the next and recording and flushing allocate nothing.
#[derive(Debug, Clone)]
pub struct Metrics {
    namespace: &'static str,
    service: &'static str,
    environment: EnvironmentSource,
    rolled_up: &'static [&'static str],
    entries: Vec<Entry>,
    dimensions: Vec<(&'static str, &'static str)>,
    /// Millisecond values, by entry index.
    samples: Vec<(usize, f64)>,
    line: Vec<u8>,
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
    /// The sum for a count; the number of samples for milliseconds.
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

    /// Records a duration of `ms` milliseconds for `name` with `dimensions` (besides `Service`).
    /// A value that is not finite is dropped (JSON has no NaN).
    pub fn milliseconds(
        &mut self,
        name: &'static str,
        dimensions: &[(&'static str, &'static str)],
        ms: f64,
    ) {
        if ms.is_finite() {
            self.record(name, Unit::Milliseconds, dimensions, Some(ms), 1);
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

    /// Writes the lines (now as their timestamp) to `out` in one write, then forgets them. Write
    /// errors are ignored: a lost metric must not fail the invocation. With stdout, pass
    /// `&mut std::io::stdout().lock()`.
    pub fn flush(&mut self, out: &mut impl Write) {
        if self.is_empty() {
            return;
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.write_emf(now_ms(), &mut line);
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
        let own = || own_dimensions(dimensions);
        let same = self.entries.iter().position(|e| {
            e.name == name
                && e.unit == unit
                && self.dims(e).iter().eq(own())
                && (unit == Unit::Count || e.value < u64::from(MAX_VALUES))
        });
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
        if let Some(entry) = self.entries.get_mut(index) {
            entry.value = entry.value.saturating_add(n);
        }
        if let Some(ms) = sample {
            self.samples.push((index, ms));
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
                Unit::Milliseconds => self.write_samples(index, entry.value, out),
            }
        }
        out.push(b'}');
    }

    /// One value as a number, several as an array (EMF's value array).
    fn write_samples(&self, index: usize, n: u64, out: &mut Vec<u8>) {
        let mut values = self
            .samples
            .iter()
            .filter(|(entry, _)| *entry == index)
            .map(|(_, ms)| *ms);
        if n == 1 {
            if let Some(ms) = values.next() {
                let _ = serde_json::to_writer(&mut *out, &ms);
            }
            return;
        }
        out.push(b'[');
        for (i, ms) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = serde_json::to_writer(&mut *out, &ms);
        }
        out.push(b']');
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

fn now_ms() -> u64 {
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
            r#""Service":"authorizer","Environment":"prod","Reason":"revocation_check_failed","AuthorizerFailure":1,"AuthorizerLatency":2001.5}"#
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
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 0.189);
        let expected = concat!(
            r#"{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":["#,
            r#"{"Namespace":"JwtAuth","Dimensions":[["Service","Environment","Reason"],["Service","Environment"]],"Metrics":[{"Name":"AuthorizerDeny","Unit":"Count"}]},"#,
            r#"{"Namespace":"JwtAuth","Dimensions":[["Service","Environment"]],"Metrics":[{"Name":"AuthorizerLatency","Unit":"Milliseconds"}]}]},"#,
            r#""Service":"authorizer","Environment":"prod","Reason":"expired","AuthorizerDeny":1,"AuthorizerLatency":0.189}"#
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
    fn durations_of_one_metric_become_a_value_array() {
        let mut metrics = authorizer();
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 1.5);
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], 2.0);
        metrics.milliseconds(AUTHORIZER_LATENCY, &[], f64::NAN);
        assert_eq!(
            parse(&metrics.emf_lines(T)[0])["AuthorizerLatency"],
            json!([1.5, 2.0])
        );
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
