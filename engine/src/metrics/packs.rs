//! The plugin host's per-component call statistics ([`Health`]'s
//! snapshot) as metric families, built at scrape time: calls, errors by
//! kind and a duration histogram, labelled by pack and component.
//!
//! [`Health`]: crate::host::health::Health

use std::collections::BTreeMap;

use prometheus::proto::{Bucket, Counter, Histogram, LabelPair, Metric, MetricFamily, MetricType};

use crate::host::health::{ComponentHealthView, DURATION_BUCKETS_MICROS};

/// A snapshot of every component's statistics, by `pack/component`.
pub struct PackCalls(BTreeMap<String, ComponentHealthView>);

impl From<BTreeMap<String, ComponentHealthView>> for PackCalls {
    fn from(snapshot: BTreeMap<String, ComponentHealthView>) -> Self {
        Self(snapshot)
    }
}

impl PackCalls {
    /// The families: `weir_pack_calls_total`, `weir_pack_call_errors_total`,
    /// `weir_pack_call_duration_seconds`.
    pub fn collect(&self) -> Vec<MetricFamily> {
        let mut calls = Vec::new();
        let mut errors = Vec::new();
        let mut durations = Vec::new();
        for (label, view) in &self.0 {
            let (pack, component) = label.split_once('/').unwrap_or((label.as_str(), ""));
            let labels = [("pack", pack), ("component", component)];
            calls.push(counter(&labels, view.calls));
            for (kind, count) in &view.errors {
                errors.push(counter(
                    &[("pack", pack), ("component", component), ("kind", kind)],
                    *count,
                ));
            }
            durations.push(histogram(&labels, view));
        }
        [
            family(
                "weir_pack_calls_total",
                "Pack component calls, by pack and component.",
                MetricType::COUNTER,
                calls,
            ),
            family(
                "weir_pack_call_errors_total",
                "Failed pack component calls, by pack, component and kind of failure.",
                MetricType::COUNTER,
                errors,
            ),
            family(
                "weir_pack_call_duration_seconds",
                "Duration of pack component calls, by pack and component.",
                MetricType::HISTOGRAM,
                durations,
            ),
        ]
        .into_iter()
        .filter(|family| !family.get_metric().is_empty())
        .collect()
    }
}

fn family(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(name.to_owned());
    family.set_help(help.to_owned());
    family.set_field_type(kind);
    family.set_metric(metrics);
    family
}

/// A metric with `labels`, sorted by name as the registry's own are.
fn labelled(labels: &[(&str, &str)]) -> Metric {
    let mut sorted = labels.to_vec();
    sorted.sort_unstable();
    let mut metric = Metric::default();
    metric.set_label(
        sorted
            .iter()
            .map(|(name, value)| {
                let mut pair = LabelPair::default();
                pair.set_name((*name).to_owned());
                pair.set_value((*value).to_owned());
                pair
            })
            .collect(),
    );
    metric
}

fn counter(labels: &[(&str, &str)], value: u64) -> Metric {
    let mut metric = labelled(labels);
    let mut counter = Counter::default();
    counter.set_value(value as f64);
    metric.set_counter(counter);
    metric
}

fn histogram(labels: &[(&str, &str)], view: &ComponentHealthView) -> Metric {
    let mut metric = labelled(labels);
    let mut histogram = Histogram::default();
    let mut cumulative = 0;
    let buckets = DURATION_BUCKETS_MICROS
        .iter()
        .zip(&view.duration_buckets)
        .map(|(bound, count)| {
            cumulative += count;
            let mut bucket = Bucket::default();
            bucket.set_upper_bound(*bound as f64 / 1e6);
            bucket.set_cumulative_count(cumulative);
            bucket
        })
        .collect();
    histogram.set_bucket(buckets);
    histogram.set_sample_count(view.calls);
    histogram.set_sample_sum(view.total_micros as f64 / 1e6);
    metric.set_histogram(histogram);
    metric
}
