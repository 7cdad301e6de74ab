//! The process's own invocation state, alone in its test binary (its own process): the first
//! invocation is the cold start, every later one is not.

#[test]
fn cold_start_is_true_for_the_first_invocation_of_the_process_only() {
    let first = telemetry::Invocation::start("first", None);
    assert!(first.cold_start());
    drop(first);
    for id in ["second", "third"] {
        let invocation = telemetry::Invocation::start(id, None);
        assert!(!invocation.cold_start(), "{id}");
    }
    let request_id = telemetry::Invocations::process()
        .with_current(|fields| fields.map(|f| f.request_id.to_owned()));
    assert_eq!(request_id, None, "no invocation is running");
}
