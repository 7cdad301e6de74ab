//! The tracing subscriber: one JSON object per event on one line, with the service and the
//! running invocation's fields. No spans: every span callsite is disabled (see the crate docs).

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};

use crate::invocation::Invocations;
use crate::level::level_for;

/// Keys every line may carry; an event field with one of these names is written as
/// `fields.<name>` so it cannot shadow them.
const RESERVED: [&str; 7] = [
    "level",
    "timestamp",
    "message",
    "service",
    "cold_start",
    "request_id",
    "xray_trace_id",
];

/// What lambda_runtime sets to the current invocation's trace id (sequential runtimes only).
const TRACE_ID_VARIABLE: &str = "_X_AMZN_TRACE_ID";

thread_local! {
    /// The line being built, reused so that logging allocates nothing once it has grown.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A [`Subscriber`] writing each enabled event as one JSON line (here on several):
///
/// ```text
/// {"level":"INFO","timestamp":"2025-11-24T16:00:00.123456Z","message":"request denied",
///  "service":"authorizer","cold_start":false,"request_id":"...","xray_trace_id":"...",
///  "reason":"expired"}
/// ```
///
/// The invocation fields appear only while an [`crate::Invocation`] is running; the trace id
/// when the runtime gave one (or `_X_AMZN_TRACE_ID` is set). Events below `level` (for crates
/// other than ours, below [`crate::OTHER_CRATES_MAX_LEVEL`] too), events from silenced targets
/// and all spans are disabled at their callsite, so they cost one cached check.
#[derive(Debug)]
pub struct JsonLog<W, T = SystemTime> {
    service: &'static str,
    level: LevelFilter,
    silenced: Vec<&'static str>,
    invocations: &'static Invocations,
    writer: W,
    timer: T,
}

impl<W> JsonLog<W> {
    /// Events at `level` or more severe, for `service`, written to `writer` (e.g.
    /// `std::io::stdout`), with the process's invocation state and the system clock.
    pub fn new(service: &'static str, level: LevelFilter, writer: W) -> Self {
        Self {
            service,
            level,
            silenced: Vec::new(),
            invocations: Invocations::process(),
            writer,
            timer: SystemTime,
        }
    }
}

impl<W, T> JsonLog<W, T> {
    /// Drops every event whose target is `module` or inside it (`lambda_runtime::layers::panic`).
    pub fn silence(mut self, module: &'static str) -> Self {
        self.silenced.push(module);
        self
    }

    /// Reads the invocation fields from `invocations` instead of the process's (tests).
    pub fn with_invocations(mut self, invocations: &'static Invocations) -> Self {
        self.invocations = invocations;
        self
    }

    /// Another clock for `timestamp` (tests pin it).
    pub fn with_timer<U>(self, timer: U) -> JsonLog<W, U> {
        JsonLog {
            service: self.service,
            level: self.level,
            silenced: self.silenced,
            invocations: self.invocations,
            writer: self.writer,
            timer,
        }
    }

    fn wanted(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event()
            && *metadata.level() <= level_for(metadata.target(), self.level)
            && !self
                .silenced
                .iter()
                .any(|module| is_within(metadata.target(), module))
    }
}

impl<W, T: FormatTime> JsonLog<W, T> {
    /// Appends the event's line, newline included, to `line`.
    fn write_line(&self, line: &mut String, event: &Event<'_>) {
        line.push_str("{\"level\":\"");
        line.push_str(event.metadata().level().as_str());
        line.push_str("\",\"timestamp\":\"");
        // The clock writes digits, '-', ':', '.', 'T' and 'Z' only: nothing to escape.
        let _ = self.timer.format_time(&mut Writer::new(line));
        line.push('"');

        let mut message = FieldWriter {
            line,
            pass: Pass::Message,
            found: false,
        };
        event.record(&mut message);
        if !message.found {
            line.push_str(",\"message\":\"\"");
        }

        line.push_str(",\"service\":");
        json_string(line, self.service);
        self.invocations.with_current(|current| {
            let Some(current) = current else { return };
            line.push_str(if current.cold_start {
                ",\"cold_start\":true,\"request_id\":"
            } else {
                ",\"cold_start\":false,\"request_id\":"
            });
            json_string(line, current.request_id);
            if let Some(trace) = current.xray_trace_id {
                line.push_str(",\"xray_trace_id\":");
                json_string(line, trace);
            } else if let Ok(trace) = std::env::var(TRACE_ID_VARIABLE) {
                line.push_str(",\"xray_trace_id\":");
                json_string(line, &trace);
            }
        });

        event.record(&mut FieldWriter {
            line,
            pass: Pass::Others,
            found: false,
        });
        line.push_str("}\n");
    }
}

impl<W, T> Subscriber for JsonLog<W, T>
where
    W: for<'w> MakeWriter<'w> + 'static,
    T: FormatTime + 'static,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // The filter depends on static metadata only, so tracing caches the answer per callsite:
        // a disabled event or span costs one load afterwards, and a disabled span is `Span::none`.
        if self.wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.wanted(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.level)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Unreachable in practice (spans are never enabled); any non-zero id will do.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let write = |line: &mut String| {
            line.clear();
            self.write_line(line, event);
            // One write per line, so lines from different threads never interleave; a failed
            // write (stdout closed) loses the line rather than failing the invocation.
            let _ = self
                .writer
                .make_writer_for(event.metadata())
                .write_all(line.as_bytes());
        };
        let reused = LINE.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut line) => write(&mut line),
            // An event logged while formatting another (from a field's Debug impl).
            Err(_) => write(&mut String::new()),
        });
        if reused.is_err() {
            // The thread is exiting and its buffer is gone.
            write(&mut String::new());
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Whether `target` is `module` or one of its submodules.
fn is_within(target: &str, module: &str) -> bool {
    target
        .strip_prefix(module)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Message,
    Others,
}

/// Writes `,"name":value` for the fields of one pass: the message first, then the others.
struct FieldWriter<'a> {
    line: &'a mut String,
    pass: Pass,
    found: bool,
}

impl FieldWriter<'_> {
    /// Writes the key if this pass takes the field; says whether to write the value.
    fn key(&mut self, field: &Field) -> bool {
        let is_message = field.name() == "message";
        if is_message != (self.pass == Pass::Message) {
            return false;
        }
        self.found = true;
        self.line.push(',');
        if !is_message && RESERVED.contains(&field.name()) {
            self.line.push_str("\"fields.");
            escape_into(self.line, field.name());
            self.line.push_str("\":");
        } else {
            json_string(self.line, field.name());
            self.line.push(':');
        }
        true
    }

    fn display(&mut self, field: &Field, value: impl fmt::Display) {
        if self.key(field) {
            let _ = write!(self.line, "{value}");
        }
    }
}

impl Visit for FieldWriter<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.display(field, value);
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.display(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.display(field, value);
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.display(field, value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.display(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.display(field, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            json_string(self.line, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.key(field) {
            self.line.push('"');
            let _ = write!(Escaped(self.line), "{value}");
            self.line.push('"');
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            // `%value` and the message arrive here too; their Debug is their Display.
            self.line.push('"');
            let _ = write!(Escaped(self.line), "{value:?}");
            self.line.push('"');
        }
    }
}

/// `value` as a JSON string, quotes included.
fn json_string(line: &mut String, value: &str) {
    line.push('"');
    escape_into(line, value);
    line.push('"');
}

/// JSON string escaping (RFC 8259 §7): `"`, `\` and the control characters.
fn escape_into(line: &mut String, value: &str) {
    let mut rest = value;
    while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') {
        let Some((plain, tail)) = rest.split_at_checked(at) else {
            break;
        };
        line.push_str(plain);
        let mut chars = tail.chars();
        match chars.next() {
            Some('"') => line.push_str("\\\""),
            Some('\\') => line.push_str("\\\\"),
            Some('\n') => line.push_str("\\n"),
            Some('\r') => line.push_str("\\r"),
            Some('\t') => line.push_str("\\t"),
            Some(c) => {
                let _ = write!(line, "\\u{:04x}", u32::from(c));
            }
            None => {}
        }
        rest = chars.as_str();
    }
    line.push_str(rest);
}

/// A `fmt::Write` that escapes what is written through it, for Debug and Display values.
struct Escaped<'a>(&'a mut String);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use std::sync::{Arc, Mutex};

    /// Captures what the subscriber writes.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Self;
        fn make_writer(&'w self) -> Self {
            self.clone()
        }
    }

    fn fixed_clock(w: &mut Writer<'_>) -> fmt::Result {
        w.write_str("2025-11-24T16:00:00.000000Z")
    }

    /// The lines written while `f` runs, parsed.
    fn lines(
        invocations: &'static Invocations,
        level: LevelFilter,
        f: impl FnOnce(),
    ) -> Vec<Value> {
        let buffer = Buffer::default();
        let subscriber = JsonLog::new("authorizer", level, buffer.clone())
            .silence("lambda_runtime::layers::panic")
            .with_invocations(invocations)
            .with_timer(fixed_clock as fn(&mut Writer<'_>) -> fmt::Result);
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'), "{text}");
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    #[test]
    fn event_during_an_invocation_has_every_field_flattened() {
        static INVOCATIONS: Invocations = Invocations::new();
        let lines = lines(&INVOCATIONS, LevelFilter::INFO, || {
            let _invocation = INVOCATIONS.start(
                "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
                Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
            );
            tracing::info!(
                reason = "expired",
                attempts = 2u64,
                fresh = false,
                "request denied"
            );
        });
        assert_eq!(
            lines,
            [json!({
                "level": "INFO",
                "timestamp": "2025-11-24T16:00:00.000000Z",
                "message": "request denied",
                "service": "authorizer",
                "cold_start": true,
                "request_id": "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
                "xray_trace_id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                "reason": "expired",
                "attempts": 2,
                "fresh": false,
            })]
        );
    }

    #[test]
    fn the_second_invocation_is_not_a_cold_start() {
        static INVOCATIONS: Invocations = Invocations::new();
        let lines = lines(&INVOCATIONS, LevelFilter::INFO, || {
            for id in ["first", "second"] {
                let _invocation = INVOCATIONS.start(id, None);
                tracing::info!("handled");
            }
        });
        let cold: Vec<_> = lines.iter().map(|l| l["cold_start"].clone()).collect();
        assert_eq!(cold, [json!(true), json!(false)]);
        assert_eq!(lines[1]["request_id"], "second");
    }

    #[test]
    fn line_outside_an_invocation_has_no_invocation_fields() {
        static INVOCATIONS: Invocations = Invocations::new();
        let lines = lines(&INVOCATIONS, LevelFilter::INFO, || {
            tracing::error!(error = "JWT_SECRET is 9 bytes", "configuration is invalid");
        });
        let keys: Vec<_> = lines[0].as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["error", "level", "message", "service", "timestamp"],
            "{lines:?}"
        );
        assert_eq!(lines[0]["level"], "ERROR");
    }

    #[test]
    fn events_below_the_level_and_from_silenced_targets_are_not_written() {
        static INVOCATIONS: Invocations = Invocations::new();
        let lines = lines(&INVOCATIONS, LevelFilter::WARN, || {
            tracing::info!("too detailed");
            tracing::error!(target: "lambda_runtime::layers::panic", "Denied {{ .. }}");
            tracing::warn!(target: "lambda_runtime::layers::panicky", "kept: another module");
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["message"], "kept: another module");
    }

    #[test]
    fn trace_is_written_for_our_crates_only() {
        static INVOCATIONS: Invocations = Invocations::new();
        let lines = lines(&INVOCATIONS, LevelFilter::TRACE, || {
            tracing::trace!(target: "lambda_runtime::layers::api_response", body = "{}", "raw JSON event received from Lambda");
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "received response from service");
            tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "beginning attempt #1");
            tracing::trace!(target: "auth_aws::store", "ours");
        });
        let messages: Vec<_> = lines.iter().map(|l| l["message"].clone()).collect();
        assert_eq!(messages, [json!("beginning attempt #1"), json!("ours")]);
    }

    #[test]
    fn strings_are_escaped_and_display_values_written_as_strings() {
        static INVOCATIONS: Invocations = Invocations::new();
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} é";
        let lines = lines(&INVOCATIONS, LevelFilter::INFO, || {
            tracing::info!(plain = awkward, shown = %awkward, debugged = ?awkward, "{awkward}");
        });
        assert_eq!(lines[0]["message"], awkward);
        assert_eq!(lines[0]["plain"], awkward);
        assert_eq!(lines[0]["shown"], awkward);
        assert_eq!(lines[0]["debugged"], format!("{awkward:?}"));
    }

    #[test]
    fn fields_named_like_the_line_keys_do_not_shadow_them() {
        static INVOCATIONS: Invocations = Invocations::new();
        let lines = lines(&INVOCATIONS, LevelFilter::INFO, || {
            tracing::info!(service = "other", level = 3, "shadowing");
        });
        assert_eq!(lines[0]["service"], "authorizer");
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[0]["fields.service"], "other");
        assert_eq!(lines[0]["fields.level"], 3);
    }

    #[test]
    fn an_event_without_a_message_has_an_empty_one() {
        static INVOCATIONS: Invocations = Invocations::new();
        let lines = lines(&INVOCATIONS, LevelFilter::INFO, || {
            tracing::info!(count = 1);
        });
        assert_eq!(lines[0]["message"], "");
        assert_eq!(lines[0]["count"], 1);
    }

    #[test]
    fn spans_are_disabled() {
        static INVOCATIONS: Invocations = Invocations::new();
        let _ = lines(&INVOCATIONS, LevelFilter::TRACE, || {
            let span = tracing::info_span!("invocation", request_id = "r");
            assert!(span.is_disabled());
        });
    }
}
