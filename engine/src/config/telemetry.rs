//! The `[telemetry]` section: OpenTelemetry trace export over OTLP/HTTP,
//! available when Weir is built with the `otel` cargo feature, and the
//! start-up check that refuses the section's keys in a build without it.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// OpenTelemetry trace export. Spans (the HTTP request, ingest, pack calls,
/// delivery attempts) carry the `request_id`, so a trace backend can follow
/// an event from ingest to each attempt. Needs a binary built with
/// `--features otel`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Base URL of an OTLP/HTTP collector; traces are posted as JSON to
    /// `<otlp_endpoint>/v1/traces`. Setting it turns export on. When unset,
    /// the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (plus `/v1/traces`) is used if present.
    /// Default: none, no export. Example: `http://127.0.0.1:4318`.
    pub otlp_endpoint: Option<String>,
    /// The `service.name` resource attribute of exported spans. Default
    /// `weir`.
    pub service_name: String,
    /// Fraction of traces exported, from 0.0 to 1.0, decided per trace
    /// (ingest and each delivery attempt are separate traces, joined by
    /// `request_id`). Default 1.0.
    pub sample_ratio: f64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            service_name: "weir".to_owned(),
            sample_ratio: 1.0,
        }
    }
}

impl TelemetryConfig {
    /// Checks the section; `exporter_built` says whether this binary has
    /// the `otel` feature (`cfg!(feature = "otel")`), a parameter so that
    /// both answers can be tested.
    pub fn validate(&self, exporter_built: bool) -> Result<(), ConfigError> {
        let invalid = |key, message: String| Err(ConfigError::Invalid { key, message });
        if let Some(endpoint) = &self.otlp_endpoint {
            if !exporter_built {
                return invalid(
                    "telemetry.otlp_endpoint",
                    "this `weir` was built without OpenTelemetry export: rebuild it with \
                     `cargo build --release --features otel`, or leave it unset"
                        .to_owned(),
                );
            }
            if url::Url::parse(endpoint).map_or(true, |url| !matches!(url.scheme(), "http" | "https")) {
                return invalid(
                    "telemetry.otlp_endpoint",
                    format!(
                        "`{endpoint}` must be an http:// or https:// URL, e.g. \"http://127.0.0.1:4318\""
                    ),
                );
            }
        }
        if self.service_name.trim().is_empty() {
            return invalid("telemetry.service_name", "must not be empty".to_owned());
        }
        if !(0.0..=1.0).contains(&self.sample_ratio) {
            return invalid(
                "telemetry.sample_ratio",
                "must be between 0.0 and 1.0, e.g. 0.1".to_owned(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_endpoint(endpoint: &str) -> TelemetryConfig {
        TelemetryConfig {
            otlp_endpoint: Some(endpoint.to_owned()),
            ..TelemetryConfig::default()
        }
    }

    #[test]
    fn an_endpoint_without_the_feature_names_the_key_and_the_fix() {
        let error = with_endpoint("http://127.0.0.1:4318")
            .validate(false)
            .expect_err("refused without the exporter");
        let text = error.to_string();
        assert!(text.contains("`telemetry.otlp_endpoint`"), "{text}");
        assert!(text.contains("--features otel"), "{text}");
        // Without an endpoint nothing is exported, so nothing is refused.
        TelemetryConfig::default()
            .validate(false)
            .expect("no endpoint, no feature needed");
    }

    #[test]
    fn values_are_checked_when_the_exporter_is_built() {
        with_endpoint("http://127.0.0.1:4318")
            .validate(true)
            .expect("valid");
        for (config, key) in [
            (with_endpoint("127.0.0.1:4318"), "telemetry.otlp_endpoint"),
            (with_endpoint("grpc://collector:4317"), "telemetry.otlp_endpoint"),
            (
                TelemetryConfig {
                    sample_ratio: 1.5,
                    ..TelemetryConfig::default()
                },
                "telemetry.sample_ratio",
            ),
            (
                TelemetryConfig {
                    service_name: " ".to_owned(),
                    ..TelemetryConfig::default()
                },
                "telemetry.service_name",
            ),
        ] {
            let error = config.validate(true).expect_err(key);
            assert!(error.to_string().contains(key), "{error}");
        }
    }
}
