//! What the function's EMF lines add up to, read as CloudWatch reads them (telemetry's reader):
//! so a run shows that aggregated metrics still count every invocation.

use serde_json::{Value, json};
use telemetry::emf::extract;

/// The metrics of one run's log, summed per metric and dimension set.
#[derive(Debug, Default)]
pub struct Totals {
    /// Lines that are EMF documents (have an `_aws` member).
    pub documents: usize,
    /// Of those, lines CloudWatch would refuse.
    pub invalid: usize,
    /// Bytes of the EMF lines, newlines included.
    pub bytes: usize,
    /// (metric, dimension keys joined by `,`, sample count, sum).
    pub metrics: Vec<(String, String, f64, f64)>,
}

/// The authorizer's decision metrics: every invocation is exactly one of them (per reason).
const DECISIONS: [&str; 3] = ["AuthorizerAllow", "AuthorizerDeny", "AuthorizerFailure"];

impl Totals {
    /// Sums the EMF documents among `log`'s lines.
    pub fn read(log: &str) -> Self {
        let mut totals = Self::default();
        for line in log.lines().filter(|line| line.contains("\"_aws\"")) {
            totals.documents += 1;
            totals.bytes += line.len() + 1;
            let Ok(metrics) = extract(line) else {
                totals.invalid += 1;
                continue;
            };
            for metric in metrics {
                let keys: Vec<&str> = metric.dimensions.iter().map(|(k, _)| k.as_str()).collect();
                let keys = keys.join(",");
                let (count, sum) = (metric.sample_count(), metric.sum());
                match totals
                    .metrics
                    .iter_mut()
                    .find(|(name, dims, _, _)| *name == metric.name && *dims == keys)
                {
                    Some((_, _, c, s)) => {
                        *c += count;
                        *s += sum;
                    }
                    None => totals.metrics.push((metric.name, keys, count, sum)),
                }
            }
        }
        totals
    }

    /// The authorizer's decisions counted (allow, deny and failure by reason), if it wrote any.
    pub fn decisions(&self) -> Option<f64> {
        let by_reason = self
            .metrics
            .iter()
            .filter(|(name, dims, _, _)| {
                DECISIONS.contains(&name.as_str()) && dims.split(',').any(|k| k == "Reason")
            })
            .map(|(_, _, _, sum)| sum);
        let mut any = false;
        let total = by_reason.inspect(|_| any = true).sum();
        any.then_some(total)
    }

    /// The values of `name` recorded (its sample count), over its dimension sets without
    /// `Reason`.
    pub fn samples(&self, name: &str) -> f64 {
        self.metrics
            .iter()
            .filter(|(n, dims, _, _)| n == name && !dims.split(',').any(|k| k == "Reason"))
            .map(|(_, _, count, _)| count)
            .sum()
    }

    /// The totals for the `RESULT` line.
    pub fn to_json(&self) -> Value {
        json!({
            "documents": self.documents,
            "invalid": self.invalid,
            "bytes": self.bytes,
            "decisions": self.decisions(),
            "latency_samples": self.samples("AuthorizerLatency"),
            "metrics": self.metrics.iter().map(|(name, dims, count, sum)| json!({
                "name": name, "dimensions": dims, "samples": count, "sum": sum,
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_count_each_reason_once_and_skip_the_rollup() {
        let log = concat!(
            r#"{"level":"INFO","message":"not a metric"}"#,
            "\n",
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"JwtAuth","Dimensions":[["Service","Reason"],["Service"]],"Metrics":[{"Name":"AuthorizerDeny","Unit":"Count"}]},{"Namespace":"JwtAuth","Dimensions":[["Service"]],"Metrics":[{"Name":"AuthorizerLatency","Unit":"Milliseconds"}]}]},"Service":"authorizer","Reason":"expired","AuthorizerDeny":3,"AuthorizerLatency":{"Values":[0.05,0.06],"Counts":[2,1]}}"#,
            "\n",
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"JwtAuth","Dimensions":[["Service","Reason"]],"Metrics":[{"Name":"AuthorizerAllow","Unit":"Count"}]}]},"Service":"authorizer","Reason":"token","AuthorizerAllow":7}"#,
            "\n",
            r#"{"_aws":{}}"#,
            "\n",
        );
        let totals = Totals::read(log);
        assert_eq!((totals.documents, totals.invalid), (3, 1));
        assert_eq!(totals.decisions(), Some(10.0));
        assert_eq!(totals.samples("AuthorizerLatency"), 3.0);
    }
}
