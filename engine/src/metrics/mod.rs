//! [`Metrics`]: what `GET /metrics` shows, in the Prometheus text format
//! (0.0.4, the one `promtool check metrics` parses).
//!
//! Counters and histograms are updated where things happen (HTTP
//! middleware, ingest's ledger, delivery attempts); gauges that are cheap
//! to read (due-queue depth, store size) and the plugin host's per-component
//! call statistics are read at scrape time, so they never drift.
//!
//! Labels never carry secrets: HTTP requests are labelled with the matched
//! route template (`/api/v1/webhooks/{*webhook_key}`), never the raw path.
//!
//! The crate is `prometheus` (without protobuf) rather than
//! `prometheus-client`: the latter writes only OpenMetrics text, whose
//! `counter` families (`# TYPE x counter` then `x_total` samples) the
//! classic parser behind `promtool check metrics` reads as untyped metrics
//! without help.

mod packs;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::host::health::Health;
use crate::model::{AttemptOutcome, DeliveryStatus};
use crate::store::Store;

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// HTTP latency buckets, in seconds.
const HTTP_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Every metric of one Weir instance.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    events_accepted: IntCounterVec,
    events_duplicate: IntCounterVec,
    webhooks_rejected: IntCounterVec,
    delivery_attempts: IntCounterVec,
    deliveries_finished: IntCounterVec,
    delivery_retries: IntCounter,
    dead_letters: IntCounter,
    due_deliveries: IntGauge,
    store_size: IntGauge,
    router_lag: prometheus::Gauge,
    connections_open: IntGauge,
}

/// A metric could not be registered or encoded (a bug, not an input).
#[derive(Debug, thiserror::Error)]
#[error("metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| -> Result<IntCounterVec, MetricsError> {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let http_requests = counter(
            "weir_http_requests_total",
            "HTTP requests answered, by matched route template, method and status.",
            &["route", "method", "status"],
        )?;
        let events_accepted = counter(
            "weir_events_accepted_total",
            "Events stored from webhooks, by trigger.",
            &["trigger"],
        )?;
        let events_duplicate = counter(
            "weir_events_duplicate_total",
            "Webhook events recognised as duplicates and not stored again, by trigger.",
            &["trigger"],
        )?;
        let webhooks_rejected = counter(
            "weir_webhooks_rejected_total",
            "Webhook requests refused, by trigger (`unknown` for unknown keys) and error code.",
            &["trigger", "reason"],
        )?;
        let delivery_attempts = counter(
            "weir_delivery_attempts_total",
            "Delivery attempts made, by outcome.",
            &["outcome"],
        )?;
        let deliveries_finished = counter(
            "weir_deliveries_finished_total",
            "Deliveries that reached a final state, by status (delivered, dead, skipped).",
            &["status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "weir_http_request_duration_seconds",
                "Time to answer HTTP requests, by matched route template and method.",
            )
            .buckets(HTTP_BUCKETS.to_vec()),
            &["route", "method"],
        )?;
        registry.register(Box::new(http_duration.clone()))?;
        let delivery_retries = IntCounter::new(
            "weir_delivery_retries_total",
            "Failed delivery attempts that scheduled a retry.",
        )?;
        registry.register(Box::new(delivery_retries.clone()))?;
        let dead_letters = IntCounter::new(
            "weir_dead_letters_total",
            "Deliveries given up on (dead): permanent failures and exhausted retries.",
        )?;
        registry.register(Box::new(dead_letters.clone()))?;
        let due_deliveries = IntGauge::new(
            "weir_due_queue_deliveries",
            "Deliveries waiting in the due queue (read at scrape time).",
        )?;
        registry.register(Box::new(due_deliveries.clone()))?;
        let connections_open = IntGauge::new(
            "weir_http_connections_open",
            "HTTP connections open now (at most `http.max_connections`).",
        )?;
        registry.register(Box::new(connections_open.clone()))?;
        let router_lag = prometheus::Gauge::new(
            "weir_router_lag_seconds",
            "Age of the oldest stored event the router has not scheduled deliveries for; 0 when it is caught up (read at scrape time).",
        )?;
        registry.register(Box::new(router_lag.clone()))?;
        let store_size = IntGauge::new(
            "weir_store_size_bytes",
            "Bytes the embedded store occupies on disk (read at scrape time).",
        )?;
        registry.register(Box::new(store_size.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            http_duration,
            events_accepted,
            events_duplicate,
            webhooks_rejected,
            delivery_attempts,
            deliveries_finished,
            delivery_retries,
            dead_letters,
            due_deliveries,
            store_size,
            router_lag,
            connections_open,
        })
    }

    /// The gauge of open HTTP connections, for the server loop to move.
    pub fn connections_open(&self) -> IntGauge {
        self.connections_open.clone()
    }

    /// One answered HTTP request on `route` (the matched template).
    pub fn http_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.http_requests
            .with_label_values(&[route, method, status.as_str()])
            .inc();
        self.http_duration
            .with_label_values(&[route, method])
            .observe(seconds);
    }

    /// A webhook request's stored and duplicate events.
    pub fn webhook_events(&self, trigger: &str, stored: u64, duplicates: u64) {
        if stored > 0 {
            self.events_accepted.with_label_values(&[trigger]).inc_by(stored);
        }
        if duplicates > 0 {
            self.events_duplicate
                .with_label_values(&[trigger])
                .inc_by(duplicates);
        }
    }

    /// A refused webhook request.
    pub fn webhook_rejected(&self, trigger: &str, reason: &str) {
        self.webhooks_rejected.with_label_values(&[trigger, reason]).inc();
    }

    /// A recorded delivery attempt and the state it left the delivery in.
    pub fn delivery_attempt(&self, outcome: AttemptOutcome, status: DeliveryStatus) {
        self.delivery_attempts
            .with_label_values(&[outcome.as_str()])
            .inc();
        match status {
            DeliveryStatus::Pending => self.delivery_retries.inc(),
            DeliveryStatus::Dead => {
                self.dead_letters.inc();
                self.deliveries_finished.with_label_values(&["dead"]).inc();
            }
            DeliveryStatus::Delivered => self.deliveries_finished.with_label_values(&["delivered"]).inc(),
            DeliveryStatus::Skipped => self.deliveries_finished.with_label_values(&["skipped"]).inc(),
            _ => {}
        }
    }

    /// The text exposition: the registered metrics with the scrape-time
    /// gauges read from `store`, then the plugin host's call statistics
    /// from `health`.
    pub fn render(&self, store: &Store, health: &Health) -> Result<String, MetricsError> {
        match store.due_count() {
            Ok(due) => self.due_deliveries.set(i64::try_from(due).unwrap_or(i64::MAX)),
            Err(error) => tracing::warn!(%error, "cannot count due deliveries for /metrics"),
        }
        match store.oldest_unrouted() {
            Ok(oldest) => self.router_lag.set(oldest.map_or(0.0, |id| {
                crate::time::now_ms().saturating_sub(id.timestamp_ms()) as f64 / 1000.0
            })),
            Err(error) => tracing::warn!(%error, "cannot read the router's lag for /metrics"),
        }
        match store.size_on_disk() {
            Ok(bytes) => self.store_size.set(i64::try_from(bytes).unwrap_or(i64::MAX)),
            Err(error) => tracing::warn!(%error, "cannot read the store size for /metrics"),
        }
        let mut families = self.registry.gather();
        families.extend(packs::PackCalls::from(health.snapshot()).collect());
        let mut text = Vec::new();
        TextEncoder::new().encode(&families, &mut text)?;
        String::from_utf8(text).map_err(|error| MetricsError(prometheus::Error::Msg(error.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_in_the_text_format() {
        let metrics = Metrics::new().expect("registers");
        metrics.http_request("/healthz", "GET", 200, 0.002);
        metrics.webhook_events("trg_1", 2, 1);
        metrics.webhook_rejected("unknown", "unknown_webhook");
        metrics.delivery_attempt(AttemptOutcome::Delivered, DeliveryStatus::Delivered);
        let temp = tempfile::tempdir().expect("temp");
        let store = Store::open(temp.path(), crate::config::Durability::None).expect("store");
        let health = Health::new(crate::host::health::QuarantinePolicy {
            after_failures: 0,
            duration: std::time::Duration::from_secs(1),
        });
        health.record("github/github", std::time::Duration::from_micros(700), None);
        let text = metrics.render(&store, &health).expect("renders");
        for line in [
            "# TYPE weir_http_requests_total counter",
            "weir_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1",
            "weir_events_accepted_total{trigger=\"trg_1\"} 2",
            "weir_events_duplicate_total{trigger=\"trg_1\"} 1",
            "weir_webhooks_rejected_total{reason=\"unknown_webhook\",trigger=\"unknown\"} 1",
            "weir_deliveries_finished_total{status=\"delivered\"} 1",
            "weir_due_queue_deliveries 0",
            "weir_router_lag_seconds 0",
            "weir_pack_calls_total{component=\"github\",pack=\"github\"} 1",
            "weir_pack_call_duration_seconds_bucket{component=\"github\",pack=\"github\",le=\"0.001\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing `{line}` in:\n{text}");
        }
    }
}
