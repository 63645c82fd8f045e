//! OpenTelemetry trace export (cargo feature `otel`): Weir's `tracing`
//! spans, turned into OpenTelemetry spans by a `tracing-opentelemetry`
//! layer, batched on the tokio runtime and posted as OTLP/HTTP JSON to the
//! collector named by `telemetry.otlp_endpoint`.
//!
//! The spans exported are Weir's `tracing` spans (see `ARCHITECTURE.md`):
//! `request` (every HTTP request, with `request_id`), `ingest` (trigger,
//! outcome), `pack_call` (component, outcome) and `delivery_attempt`
//! (destination, delivery, `request_id`, status). The layer has its own
//! filter, independent of `RUST_LOG` (which filters log lines): Weir's
//! spans and events down to `debug`, other crates' from `info`. `ingest`
//! and `pack_call` are `debug` spans, so they are only created when
//! something exports them; the layer only exists when export is
//! configured.
//!
//! The HTTP client is the reqwest 0.13 Weir already links for deliveries
//! (a separate client instance: the collector usually lives on loopback or
//! a private network, which the delivery client's address guard refuses).

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing::{Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

use crate::config::TelemetryConfig;

/// The standard variable naming the traces URL itself.
pub const OTEL_TRACES_ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// The standard variable naming the collector's base URL.
pub const OTEL_ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// Where OTLP/HTTP collectors take traces, under their base URL.
const TRACES_PATH: &str = "/v1/traces";
/// Longest one export may take, retries included. It bounds how long a
/// stop waits for the last batch when the collector is unreachable.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);
/// The instrumentation scope of Weir's spans.
const SCOPE: &str = "weir";

/// Trace export could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The HTTP client for the collector could not be built.
    #[error("cannot build the HTTP client for the OTLP collector: {0}")]
    Client(#[from] reqwest::Error),
    /// The exporter refused its settings.
    #[error("cannot export traces to `{endpoint}`: {message}")]
    Exporter {
        /// The traces URL.
        endpoint: String,
        /// The exporter's explanation.
        message: String,
    },
}

/// A running trace export: keep it until the server has stopped, then
/// call [`TraceExport::shutdown`] so the last spans are sent.
#[derive(Debug)]
pub struct TraceExport {
    provider: SdkTracerProvider,
    endpoint: String,
}

impl TraceExport {
    /// Starts exporting to `endpoint` (the full traces URL, see
    /// [`traces_endpoint`]). Must run inside a tokio runtime: the batch
    /// task is spawned on it.
    pub fn start(config: &TelemetryConfig, endpoint: &str) -> Result<Self, TelemetryError> {
        // reqwest is built without a default TLS provider; ring is the one
        // Weir links (installing it twice is harmless).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("Weir/", env!("CARGO_PKG_VERSION")))
            .no_proxy()
            .timeout(EXPORT_TIMEOUT)
            .build()?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpJson)
            .with_endpoint(endpoint)
            .with_timeout(EXPORT_TIMEOUT)
            .with_http_client(client)
            .build()
            .map_err(|error| TelemetryError::Exporter {
                endpoint: endpoint.to_owned(),
                message: error.to_string(),
            })?;
        let batches = BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
        let resource = Resource::builder()
            .with_service_name(config.service_name.clone())
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(batches)
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                config.sample_ratio,
            ))))
            .with_resource(resource)
            .build();
        Ok(Self {
            provider,
            endpoint: endpoint.to_owned(),
        })
    }

    /// The `tracing` layer feeding this export, with its own filter (see
    /// the module docs); add it to the subscriber.
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        let spans = Targets::new()
            .with_default(Level::INFO)
            .with_target(SCOPE, Level::DEBUG);
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer(SCOPE))
            .with_filter(spans)
    }

    /// The traces URL spans go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends the spans still queued and stops. Blocks until the batch task
    /// answers: call it outside the runtime's worker threads (after
    /// `block_on` returned), while the runtime is still alive.
    pub fn shutdown(self) -> Result<(), String> {
        self.provider.shutdown().map_err(|error| error.to_string())
    }
}

/// The traces URL to export to, if any: `telemetry.otlp_endpoint` plus
/// `/v1/traces`; else the standard variables read through `var`
/// (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, or
/// `OTEL_EXPORTER_OTLP_ENDPOINT` plus `/v1/traces`); else none.
pub fn traces_endpoint(config: &TelemetryConfig, var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let base = |url: &str| format!("{}{TRACES_PATH}", url.trim_end_matches('/'));
    let set = |name| var(name).filter(|value| !value.trim().is_empty());
    config
        .otlp_endpoint
        .as_deref()
        .map(base)
        .or_else(|| set(OTEL_TRACES_ENDPOINT_VAR))
        .or_else(|| set(OTEL_ENDPOINT_VAR).map(|url| base(&url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_wins_over_the_standard_variables() {
        let vars = |name: &str| match name {
            OTEL_TRACES_ENDPOINT_VAR => Some("http://traces:4318/custom".to_owned()),
            OTEL_ENDPOINT_VAR => Some("http://env:4318".to_owned()),
            _ => None,
        };
        let mut config = TelemetryConfig {
            otlp_endpoint: Some("http://127.0.0.1:4318/".to_owned()),
            ..TelemetryConfig::default()
        };
        assert_eq!(
            traces_endpoint(&config, vars).as_deref(),
            Some("http://127.0.0.1:4318/v1/traces")
        );
        config.otlp_endpoint = None;
        assert_eq!(
            traces_endpoint(&config, vars).as_deref(),
            Some("http://traces:4318/custom")
        );
        let base_only = |name: &str| (name == OTEL_ENDPOINT_VAR).then(|| "http://env:4318".to_owned());
        assert_eq!(
            traces_endpoint(&config, base_only).as_deref(),
            Some("http://env:4318/v1/traces")
        );
        assert_eq!(traces_endpoint(&config, |_| Some(" ".to_owned())), None);
        assert_eq!(traces_endpoint(&config, |_| None), None);
    }
}
