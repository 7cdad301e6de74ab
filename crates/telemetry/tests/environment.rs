//! The `Environment` dimension as deployed: read from the process variable `ENVIRONMENT`
//! (template.yaml sets it on every function), once per process. Each case runs in a child
//! process of this test binary, so that the variable is set before the first read and nothing
//! here changes the environment of a running process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::Command;

use telemetry::Metrics;
use telemetry::names::{AUTHORIZER_FAILURE, ENVIRONMENT_VARIABLE, NAMESPACE, REASON};

/// Set in the child: the `Environment` it must see, empty for none.
const EXPECTED: &str = "TELEMETRY_TEST_EXPECTED_ENVIRONMENT";
const TEST: &str = "the_environment_dimension_comes_from_the_process_variable";

#[test]
fn the_environment_dimension_comes_from_the_process_variable() {
    if let Ok(expected) = std::env::var(EXPECTED) {
        let expected = Some(expected.as_str()).filter(|e| !e.is_empty());
        let mut metrics = Metrics::new(NAMESPACE, "authorizer");
        assert_eq!(metrics.environment(), expected);
        metrics.count(AUTHORIZER_FAILURE, &[(REASON, "jwks_unavailable")], 1);
        let line: serde_json::Value =
            serde_json::from_str(&metrics.emf_lines(1_764_000_000_000)[0]).unwrap();
        let dimensions = &line["_aws"]["CloudWatchMetrics"][0]["Dimensions"];
        match expected {
            Some(environment) => {
                assert_eq!(line["Environment"], environment);
                assert_eq!(
                    *dimensions,
                    serde_json::json!([
                        ["Service", "Environment", "Reason"],
                        ["Service", "Environment"]
                    ])
                );
            }
            None => {
                assert!(line.get("Environment").is_none(), "{line}");
                assert_eq!(
                    *dimensions,
                    serde_json::json!([["Service", "Reason"], ["Service"]])
                );
            }
        }
        return;
    }
    let cases = [
        (Some("prod"), "prod"),
        (Some(" staging\n"), "staging"),
        (Some(""), ""),
        (None, ""),
    ];
    for (variable, expected) in cases {
        let mut child = Command::new(std::env::current_exe().unwrap());
        child
            .args(["--exact", TEST, "--test-threads=1"])
            .env(EXPECTED, expected);
        match variable {
            Some(value) => child.env(ENVIRONMENT_VARIABLE, value),
            None => child.env_remove(ENVIRONMENT_VARIABLE),
        };
        let output = child.output().unwrap();
        assert!(
            output.status.success(),
            "ENVIRONMENT={variable:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
