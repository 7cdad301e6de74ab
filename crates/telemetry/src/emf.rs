//! Reading EMF documents the way CloudWatch Logs does: what tests and tools use to check that
//! the lines the functions write are valid and carry the right values.
//!
//! The rules are the specification's
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
//! the line is one JSON object; `_aws` holds an integer `Timestamp` and a `CloudWatchMetrics`
//! array of directives; a directive has a `Namespace` (1 to 255 characters), `Dimensions` (an
//! array of dimension sets of at most 30 keys, each key a member of the root with a string value)
//! and `Metrics` (at most 100 definitions, each a `Name` that is a member of the root and an
//! optional `Unit` of CloudWatch's list); a metric's member is a number or an array of at most
//! 100 numbers. One more form is read, the histogram CloudWatch takes and
//! [`crate::Metrics`] writes: `{"Values": [..], "Counts": [..]}`, at most 100 values with as
//! many counts.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::metrics::MAX_VALUES;

/// EMF: a dimension set holds at most 30 keys.
const MAX_DIMENSION_KEYS: usize = 30;
/// EMF: a directive defines at most 100 metrics.
const MAX_DEFINITIONS: usize = 100;
/// The units CloudWatch knows (MetricDatum's `Unit`).
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// One metric, with one dimension set, as CloudWatch extracts it from a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// The directive's namespace.
    pub namespace: String,
    /// The metric's name.
    pub name: String,
    /// The unit, `None` when the definition gives none.
    pub unit: Option<String>,
    /// The dimension set, keys with their values, in the set's order.
    pub dimensions: Vec<(String, String)>,
    /// The values, each with how many times it occurred.
    pub values: Vec<(f64, f64)>,
    /// The document's timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

impl Extracted {
    /// How many values: CloudWatch's `SampleCount`.
    pub fn sample_count(&self) -> f64 {
        self.values.iter().map(|(_, count)| count).sum()
    }

    /// The sum of the values: CloudWatch's `Sum`.
    pub fn sum(&self) -> f64 {
        self.values.iter().map(|(value, count)| value * count).sum()
    }

    /// Whether the dimension set is exactly `keys`, in any order.
    pub fn has_dimensions(&self, keys: &[&str]) -> bool {
        self.dimensions.len() == keys.len()
            && keys
                .iter()
                .all(|k| self.dimensions.iter().any(|(d, _)| d == k))
    }

    /// The value of dimension `key`.
    pub fn dimension(&self, key: &str) -> Option<&str> {
        self.dimensions
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a line is not a valid EMF document.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EmfError {
    /// The line is not one JSON object.
    #[error("not a JSON object")]
    NotAnObject,
    /// `_aws`, its `Timestamp` or its `CloudWatchMetrics` is missing or of the wrong type.
    #[error("invalid metadata: {0}")]
    Metadata(&'static str),
    /// A directive breaks a rule.
    #[error("invalid directive: {0}")]
    Directive(&'static str),
    /// A dimension key has no string member on the root.
    #[error("dimension {0:?} has no string value")]
    Dimension(String),
    /// A metric's member is missing or not a number, array or histogram within the limits.
    #[error("metric {0:?} has no valid value")]
    Metric(String),
}

/// The metrics CloudWatch extracts from `line`: one per metric definition and dimension set of
/// every directive.
pub fn extract(line: &str) -> Result<Vec<Extracted>, EmfError> {
    let root: Value = serde_json::from_str(line).map_err(|_| EmfError::NotAnObject)?;
    let root = root.as_object().ok_or(EmfError::NotAnObject)?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or(EmfError::Metadata("no _aws object"))?;
    let timestamp_ms = aws
        .get("Timestamp")
        .and_then(Value::as_u64)
        .ok_or(EmfError::Metadata("Timestamp is not an integer"))?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or(EmfError::Metadata("CloudWatchMetrics is not an array"))?;
    let mut extracted = Vec::new();
    for directive in directives {
        let directive = directive
            .as_object()
            .ok_or(EmfError::Directive("not an object"))?;
        let namespace = directive
            .get("Namespace")
            .and_then(Value::as_str)
            .filter(|n| (1..=255).contains(&n.chars().count()))
            .ok_or(EmfError::Directive(
                "Namespace is not a string of 1 to 255 characters",
            ))?;
        let sets = directive
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or(EmfError::Directive("Dimensions is not an array"))?;
        let definitions = directive
            .get("Metrics")
            .and_then(Value::as_array)
            .filter(|d| d.len() <= MAX_DEFINITIONS)
            .ok_or(EmfError::Directive(
                "Metrics is not an array of at most 100",
            ))?;
        let mut dimension_sets = Vec::with_capacity(sets.len());
        for set in sets {
            dimension_sets.push(dimension_set(root, set)?);
        }
        for definition in definitions {
            let (name, unit) = definition_of(definition)?;
            let values = values_of(root.get(name)).ok_or_else(|| EmfError::Metric(name.into()))?;
            for dimensions in &dimension_sets {
                extracted.push(Extracted {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                    unit: unit.map(str::to_owned),
                    dimensions: dimensions.clone(),
                    values: values.clone(),
                    timestamp_ms,
                });
            }
        }
    }
    Ok(extracted)
}

fn dimension_set(
    root: &Map<String, Value>,
    set: &Value,
) -> Result<Vec<(String, String)>, EmfError> {
    let keys = set
        .as_array()
        .filter(|keys| keys.len() <= MAX_DIMENSION_KEYS)
        .ok_or(EmfError::Directive(
            "a dimension set is not an array of at most 30",
        ))?;
    keys.iter()
        .map(|key| {
            let key = key
                .as_str()
                .ok_or(EmfError::Directive("a dimension key is not a string"))?;
            match root.get(key).and_then(Value::as_str) {
                Some(value) => Ok((key.to_owned(), value.to_owned())),
                None => Err(EmfError::Dimension(key.to_owned())),
            }
        })
        .collect()
}

fn definition_of(definition: &Value) -> Result<(&str, Option<&str>), EmfError> {
    let name = definition
        .get("Name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or(EmfError::Directive("a metric definition has no Name"))?;
    let unit = match definition.get("Unit") {
        None => None,
        Some(unit) => Some(
            unit.as_str()
                .filter(|u| UNITS.contains(u))
                .ok_or(EmfError::Directive("a Unit is not one of CloudWatch's"))?,
        ),
    };
    Ok((name, unit))
}

/// A number, an array of at most 100 numbers, or a histogram of at most 100 values.
fn values_of(member: Option<&Value>) -> Option<Vec<(f64, f64)>> {
    let numbers = |array: &Value| -> Option<Vec<f64>> {
        let array = array.as_array().filter(|a| a.len() <= MAX_VALUES)?;
        array.iter().map(Value::as_f64).collect()
    };
    match member? {
        Value::Number(n) => Some(vec![(n.as_f64()?, 1.0)]),
        array @ Value::Array(_) => Some(numbers(array)?.into_iter().map(|v| (v, 1.0)).collect()),
        Value::Object(histogram) => {
            let values = numbers(histogram.get("Values")?)?;
            let counts = numbers(histogram.get("Counts")?)?;
            (values.len() == counts.len() && counts.iter().all(|c| *c >= 0.0))
                .then(|| values.into_iter().zip(counts).collect())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document(metric: Value) -> String {
        json!({
            "_aws": {"Timestamp": 1_764_000_000_000_u64, "CloudWatchMetrics": [{
                "Namespace": "JwtAuth",
                "Dimensions": [["Service", "Reason"], ["Service"]],
                "Metrics": [{"Name": "AuthorizerDeny", "Unit": "Count"}]}]},
            "Service": "authorizer", "Reason": "expired", "AuthorizerDeny": metric,
        })
        .to_string()
    }

    #[test]
    fn each_dimension_set_is_a_metric() {
        let metrics = extract(&document(json!(3))).unwrap();
        assert_eq!(metrics.len(), 2);
        assert!(metrics[0].has_dimensions(&["Service", "Reason"]));
        assert_eq!(metrics[0].dimension("Reason"), Some("expired"));
        assert!(metrics[1].has_dimensions(&["Service"]));
        assert_eq!((metrics[1].sample_count(), metrics[1].sum()), (1.0, 3.0));
        assert_eq!(metrics[1].unit.as_deref(), Some("Count"));
    }

    #[test]
    fn arrays_and_histograms_are_values_with_counts() {
        let array = extract(&document(json!([1, 2.5]))).unwrap();
        assert_eq!(array[0].values, [(1.0, 1.0), (2.5, 1.0)]);
        let histogram = extract(&document(json!({"Values": [0.5, 2], "Counts": [10, 1]}))).unwrap();
        assert_eq!(
            (histogram[0].sample_count(), histogram[0].sum()),
            (11.0, 7.0)
        );
    }

    #[test]
    fn values_beyond_the_limits_are_refused() {
        let many: Vec<u32> = (0..101).collect();
        for bad in [
            json!(many),
            json!({"Values": many, "Counts": many}),
            json!({"Values": [1, 2], "Counts": [1]}),
            json!({"Values": [1]}),
            json!("1"),
            json!(null),
        ] {
            assert!(
                matches!(extract(&document(bad.clone())), Err(EmfError::Metric(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_dimension_without_its_member_is_refused() {
        let mut doc: Value = serde_json::from_str(&document(json!(1))).unwrap();
        doc.as_object_mut().unwrap().remove("Reason");
        assert_eq!(
            extract(&doc.to_string()),
            Err(EmfError::Dimension("Reason".into()))
        );
    }

    #[test]
    fn what_is_not_a_document_is_refused() {
        assert_eq!(
            extract("{\"level\":\"INFO\"}"),
            Err(EmfError::Metadata("no _aws object"))
        );
        assert_eq!(extract("[1]"), Err(EmfError::NotAnObject));
        assert_eq!(extract("{} trailing"), Err(EmfError::NotAnObject));
        let bad_unit = document(json!(1)).replace("\"Count\"", "\"Counts\"");
        assert!(matches!(extract(&bad_unit), Err(EmfError::Directive(_))));
    }
}
