//! The `tracing` subscriber of `weir serve`: log lines (text or JSON,
//! filtered by `RUST_LOG`, default `info`) and, in a build with the `otel`
//! feature and an endpoint configured, OpenTelemetry trace export, whose
//! layer has a filter of its own (`weir::telemetry`). Each layer is
//! filtered separately, so a span only one of them wants is not formatted
//! for the other.

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, fmt};
use weir::Config;
use weir::config::LogFormat;

/// What must outlive the server: the trace export, flushed by
/// [`Telemetry::finish`].
pub struct Telemetry {
    #[cfg(feature = "otel")]
    export: Option<weir::telemetry::TraceExport>,
}

/// Installs the global subscriber. With trace export this must run inside
/// the tokio runtime (`runtime.enter()`), which runs the batch task.
pub fn init(config: &Config) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = match config.log.format {
        LogFormat::Text => fmt::layer().boxed(),
        LogFormat::Json => fmt::layer().json().boxed(),
    };
    let registry = tracing_subscriber::registry().with(lines.with_filter(filter));
    #[cfg(feature = "otel")]
    {
        let endpoint = weir::telemetry::traces_endpoint(&config.telemetry, |name| std::env::var(name).ok());
        let export = endpoint
            .map(|endpoint| weir::telemetry::TraceExport::start(&config.telemetry, &endpoint))
            .transpose()?;
        registry
            .with(export.as_ref().map(weir::telemetry::TraceExport::layer))
            .init();
        if let Some(export) = &export {
            tracing::info!(
                endpoint = export.endpoint(),
                sample_ratio = config.telemetry.sample_ratio,
                "exporting traces over OTLP/HTTP"
            );
        }
        Ok(Telemetry { export })
    }
    #[cfg(not(feature = "otel"))]
    {
        registry.init();
        Ok(Telemetry {})
    }
}

impl Telemetry {
    /// Sends the spans still queued. Call it after the server stopped,
    /// outside `block_on` but before the runtime is dropped.
    pub fn finish(self) {
        #[cfg(feature = "otel")]
        if let Some(export) = self.export
            && let Err(error) = export.shutdown()
        {
            tracing::warn!(%error, "the last traces could not be exported");
        }
    }
}
