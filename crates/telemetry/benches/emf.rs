//! What telemetry adds to an invocation: the authorizer's EMF line (to `io::sink` and to a
//! `Vec`), the `Invocation` guard next to the per-invocation span it replaces, and a log line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::io;

use criterion::{Criterion, criterion_group, criterion_main};
use telemetry::names::{AUTHORIZER_DENY, AUTHORIZER_LATENCY, NAMESPACE, REASON};
use telemetry::{Invocations, JsonLog, Metrics};
use tracing_subscriber::filter::LevelFilter;

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
const TRACE_ID: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

fn record(metrics: &mut Metrics) {
    metrics.count(AUTHORIZER_DENY, &[(REASON, black_box("expired"))], 1);
    metrics.milliseconds(AUTHORIZER_LATENCY, &[], black_box(0.042));
}

fn emf(c: &mut Criterion) {
    let mut group = c.benchmark_group("emf");
    let mut metrics = Metrics::new(NAMESPACE, "authorizer");
    group.bench_function("authorizer_line_to_sink", |b| {
        b.iter(|| {
            record(&mut metrics);
            metrics.flush(&mut io::sink());
        })
    });
    let mut out = Vec::with_capacity(1024);
    group.bench_function("authorizer_line_to_vec", |b| {
        b.iter(|| {
            out.clear();
            record(&mut metrics);
            metrics.flush(&mut out);
            black_box(out.len())
        })
    });
    group.bench_function("authorizer_line_to_sink_new_metrics_each_time", |b| {
        b.iter(|| {
            let mut metrics = Metrics::new(NAMESPACE, "authorizer");
            record(&mut metrics);
            metrics.flush(&mut io::sink());
        })
    });
    record(&mut metrics);
    group.bench_function("emf_lines_strings", |b| {
        b.iter(|| metrics.emf_lines(black_box(1_764_000_000_000)))
    });
    group.finish();
}

fn invocation(c: &mut Criterion) {
    static INVOCATIONS: Invocations = Invocations::new();
    let mut group = c.benchmark_group("invocation");
    group.bench_function("guard_start_and_drop", |b| {
        b.iter(|| drop(INVOCATIONS.start(black_box(REQUEST_ID), Some(black_box(TRACE_ID)))))
    });

    // What the guard replaces: the same fields on a span, under tracing-subscriber's fmt layer.
    let fmt = tracing_subscriber::fmt()
        .json()
        .with_writer(io::sink)
        .with_max_level(LevelFilter::INFO)
        .finish();
    tracing::subscriber::with_default(fmt, || {
        group.bench_function("span_under_fmt_json_layer", |b| {
            b.iter(|| {
                let span = tracing::info_span!(
                    "invocation",
                    request_id = black_box(REQUEST_ID),
                    xray_trace_id = black_box(TRACE_ID),
                    cold_start = false
                );
                let _entered = span.enter();
            })
        });
    });

    let json =
        JsonLog::new("authorizer", LevelFilter::INFO, io::sink).with_invocations(&INVOCATIONS);
    tracing::subscriber::with_default(json, || {
        let _invocation = INVOCATIONS.start(REQUEST_ID, Some(TRACE_ID));
        group.bench_function("denial_log_line_to_sink", |b| {
            b.iter(|| tracing::info!(reason = black_box("expired"), "request denied"))
        });
        group.bench_function("disabled_debug_event", |b| {
            b.iter(|| tracing::debug!(reason = black_box("expired"), "not written"))
        });
        group.bench_function("span_under_json_log", |b| {
            b.iter(|| {
                let span = tracing::info_span!("invocation", request_id = black_box(REQUEST_ID));
                let _entered = span.enter();
            })
        });
    });
    group.finish();
}

criterion_group!(benches, emf, invocation);
criterion_main!(benches);
