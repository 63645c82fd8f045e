//! Weir's configuration: what `weir.toml` may say, with defaults for every
//! key, validated once at start-up.
//!
//! Every field is documented with its default; unknown keys are refused so
//! a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::model::{is_method_name, networks};

mod env;
mod http;
mod telemetry;
use crate::time::human_duration;

pub use http::HttpConfig;
pub use telemetry::TelemetryConfig;

/// A configuration file or value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid config file `{path}`: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's explanation, naming the key.
        message: String,
    },
    /// An environment variable's value cannot be used.
    #[error("invalid environment variable `{var}`: {message}")]
    Env {
        /// The variable, e.g. `WEIR_INGEST_MAX_BODY_BYTES`.
        var: String,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range.
    #[error("invalid config value `{key}`: {message}")]
    Invalid {
        /// Dotted key, e.g. `delivery.retry_schedule`.
        key: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Base URL producers use to reach Weir, used to print webhook URLs.
    /// Default: `http://<listen>`. Example: `https://hooks.example.com`.
    pub public_url: Option<String>,
    /// Where the embedded store keeps its files. Default `.weir/data`.
    pub data_dir: PathBuf,
    /// Directory holding one sub-directory per pack. Default `plugins`.
    pub plugins_dir: PathBuf,
    /// HTTP server limits: client timeouts, connections, shutdown drain.
    pub http: HttpConfig,
    /// Inbound webhook settings.
    pub ingest: IngestConfig,
    /// Sandbox limits applied to every pack call.
    pub packs: PackLimits,
    /// Outbound delivery settings.
    pub delivery: DeliveryConfig,
    /// Logging.
    pub log: LogConfig,
    /// The `/metrics` endpoint.
    pub metrics: MetricsConfig,
    /// OpenTelemetry trace export (`--features otel` builds).
    pub telemetry: TelemetryConfig,
    /// The key sealing secrets at rest (destination headers): a file
    /// holding base64 of 32 bytes, created on first start when missing.
    /// Default `<data_dir>/encryption.key`; `WEIR_ENCRYPTION_KEY` (base64)
    /// takes precedence. Keep it apart from the data's backups.
    pub encryption_key_file: Option<PathBuf>,
    /// The key from `WEIR_ENCRYPTION_KEY`; never read from or written to
    /// the config file.
    #[serde(skip)]
    pub encryption_key: Option<String>,
    /// The admin token to install at start-up, from `WEIR_ADMIN_TOKEN`;
    /// never read from or written to the config file.
    #[serde(skip)]
    pub bootstrap_admin_token: Option<String>,
}

/// How log lines are written (to standard output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, span fields (`request_id`) included.
    Json,
}

/// Logging. The filter comes from `RUST_LOG` (default `info`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`. Default `text`; `--log-format` overrides it.
    pub format: LogFormat,
}

/// The `/metrics` endpoint (Prometheus text format).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `GET /metrics`, unauthenticated like `/healthz` (it shows
    /// counts, route templates and trigger ids, never secrets). Default
    /// true.
    pub enabled: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// How hard the store works before a webhook is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// Flush sled's buffers and `fdatasync` the log: survives power loss.
    Fsync,
    /// Flush sled's buffers to the OS: survives a crash of Weir, not of the
    /// machine.
    Flush,
    /// Acknowledge once the write is in memory; sled flushes every 500 ms.
    /// For benchmarks only.
    None,
}

/// Inbound webhook settings. The policy keys (`allowed_methods`,
/// `allowed_ips`, `rate_per_second`, `burst`) are defaults a trigger's own
/// `policy` overrides; `max_body_bytes` is both the default and the cap.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Largest accepted request body in bytes; larger ones get 413 before
    /// they are read (chunked bodies as soon as they cross it). A trigger
    /// may set a smaller limit, never a larger one. Default 1 MiB.
    pub max_body_bytes: usize,
    /// HTTP methods a webhook accepts unless its trigger says otherwise;
    /// others get 405 before the connector runs. `GET` is in the default
    /// for verification handshakes (Meta's `hub.challenge`). Default
    /// `["GET", "POST"]`.
    pub allowed_methods: Vec<String>,
    /// Networks webhooks may come from unless the trigger says otherwise
    /// (CIDR or bare addresses, IPv4 and IPv6); others get 403
    /// `ip_not_allowed`. Empty allows any address. Default `[]`.
    #[serde(deserialize_with = "networks::list")]
    pub allowed_ips: Vec<IpNet>,
    /// Sustained requests per second per webhook key (token bucket); over
    /// it, 429 `rate_limited` with `Retry-After`. 0 turns the limit off.
    /// Default 0.
    pub rate_per_second: f64,
    /// Burst per webhook key above the sustained rate; 0 means the rate
    /// rounded up (at least 1). Default 0.
    pub burst: u32,
    /// Sustained requests per second across all of a tenant's webhooks,
    /// unless the tenant's `limits` say otherwise; 0 turns it off.
    /// Default 0.
    pub tenant_rate_per_second: f64,
    /// Tenant burst; 0 means the tenant rate rounded up. Default 0.
    pub tenant_burst: u32,
    /// Webhooks a tenant may have accepted per UTC day, unless its
    /// `limits` say otherwise; over it, 429 `quota_exceeded` until UTC
    /// midnight. The day's count is stored, so it survives restarts.
    /// 0 means no quota. Default 0.
    pub tenant_daily_quota: u64,
    /// Reverse proxies (CIDR or addresses) whose `X-Forwarded-For` is
    /// believed. The client address is the socket peer, unless the peer is
    /// one of these: then it is the right-most address of
    /// `X-Forwarded-For` that is not a trusted proxy (addresses left of it
    /// could be forged by the client). Default `[]` (never believe it).
    #[serde(deserialize_with = "networks::list")]
    pub trusted_proxies: Vec<IpNet>,
    /// How long the inbound request log keeps a request. Default `7days`.
    #[serde(with = "human_duration")]
    pub request_log_retention: Duration,
    /// How long events are kept, with their deliveries and attempts,
    /// after they arrive; older ones are pruned (never before the router
    /// passed them or while a delivery is unfinished). `0s` keeps them
    /// forever. Default `30days`.
    #[serde(with = "human_duration")]
    pub event_retention: Duration,
    /// Request log records waiting to be written beyond which new ones are
    /// dropped (and counted) rather than slowing ingest, 1 to 1000000.
    /// Default 8192.
    pub request_log_queue: usize,
    /// How often expired dedupe markers and old request log records are
    /// pruned. Default `1m`.
    #[serde(with = "human_duration")]
    pub prune_interval: Duration,
    /// What "acknowledged" means. Default `fsync`.
    pub durability: Durability,
    /// Most requests committed by one flush. Default 512.
    pub max_commit_batch: usize,
    /// How long one commit may be in progress before Weir concludes the
    /// store is stuck and exits (status 70) for its supervisor to restart
    /// it; nothing acknowledged is lost. A healthy commit takes
    /// milliseconds. `0s` turns the watchdog off. Default `2m`.
    #[serde(with = "human_duration")]
    pub commit_stall_limit: Duration,
    /// How long an idempotency key is remembered per trigger. GitHub signs
    /// no timestamp, so this is the replay window. Default `3days`.
    #[serde(with = "human_duration")]
    pub dedupe_retention: Duration,
}

/// Sandbox limits applied to every pack call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PackLimits {
    /// Most linear memory one call may use, in bytes. Default 64 MiB.
    pub memory_bytes: usize,
    /// Wall-clock budget of one call. Default `500ms`.
    #[serde(with = "human_duration")]
    pub call_timeout: Duration,
    /// Largest total output (event data, bodies) one call may return, in
    /// bytes. Default 4 MiB.
    pub max_output_bytes: usize,
    /// Most pack instances alive at once (the pooling allocator's size);
    /// calls beyond it are answered "retry later". Default 256.
    pub max_instances: u32,
    /// Bytes of each instance slot kept resident and reset with memset
    /// between calls instead of being returned to the OS; faster calls for
    /// at most this much memory per warm slot. Default 1 MiB.
    pub keep_resident_bytes: usize,
    /// Consecutive failures (traps, timeouts, limits) after which a
    /// component is quarantined; 0 never quarantines. Default 5.
    pub quarantine_after: u32,
    /// How long a quarantine lasts. Default `5m`.
    #[serde(with = "human_duration")]
    pub quarantine_for: Duration,
    /// Cache compiled components under `<data_dir>/cache` so restarts skip
    /// compilation. Default true.
    pub compile_cache: bool,
}

/// Outbound delivery settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Delivery attempts in flight at once, all destinations together.
    /// Attempts mostly wait on the network, so this can be well above the
    /// number of cores. Default 256.
    pub concurrency: usize,
    /// Delivery attempts in flight at once to any one destination, so a
    /// slow or stalling destination holds at most this many of the
    /// `concurrency` slots; its other due deliveries wait (in memory, or
    /// back in the due queue when too many wait) without taking slots
    /// from other destinations. A destination's own `max_in_flight`
    /// overrides it. Default 16.
    pub per_destination_concurrency: usize,
    /// Delay before each retry; the length is the number of retries.
    /// Default `["5s", "5m", "30m", "2h", "5h", "10h", "10h"]`.
    #[serde(with = "human_duration::list")]
    pub retry_schedule: Vec<Duration>,
    /// Random spread applied to each delay, as a fraction. Default 0.2
    /// (±20%).
    pub jitter: f64,
    /// Timeout of one HTTP attempt. Default `15s`.
    #[serde(with = "human_duration")]
    pub timeout: Duration,
    /// Networks destinations may resolve to although they are private,
    /// loopback or otherwise internal. Empty by default: only public
    /// addresses are reachable. Example: `["127.0.0.1/32"]`.
    pub allow_private_networks: Vec<IpNet>,
    /// Bytes of each response body kept with the attempt. Default 4096.
    pub response_preview_bytes: usize,
    /// An HTTP(S) proxy every delivery goes through, e.g. an egress proxy
    /// such as `http://egress.internal:4750`. Destination names are still
    /// resolved and checked against the address rules before each send
    /// (the proxy should enforce its own policy too). The environment's
    /// `HTTP_PROXY`/`HTTPS_PROXY` are never read. Default: none, direct
    /// connections.
    pub proxy: Option<String>,
    /// A destination whose every attempt has failed for this long is
    /// disabled (with a `weir.destination.disabled` event); `0s` never.
    /// Default `5days`.
    #[serde(with = "human_duration")]
    pub disable_after: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            data_dir: PathBuf::from(".weir/data"),
            plugins_dir: PathBuf::from("plugins"),
            http: HttpConfig::default(),
            ingest: IngestConfig::default(),
            packs: PackLimits::default(),
            delivery: DeliveryConfig::default(),
            log: LogConfig::default(),
            metrics: MetricsConfig::default(),
            telemetry: TelemetryConfig::default(),
            encryption_key_file: None,
            encryption_key: None,
            bootstrap_admin_token: None,
        }
    }
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            allowed_methods: vec!["GET".to_owned(), "POST".to_owned()],
            allowed_ips: Vec::new(),
            rate_per_second: 0.0,
            burst: 0,
            tenant_rate_per_second: 0.0,
            tenant_burst: 0,
            tenant_daily_quota: 0,
            trusted_proxies: Vec::new(),
            request_log_retention: Duration::from_secs(7 * 24 * 3600),
            event_retention: Duration::from_secs(30 * 24 * 3600),
            request_log_queue: 8192,
            prune_interval: Duration::from_secs(60),
            durability: Durability::Fsync,
            max_commit_batch: 512,
            commit_stall_limit: Duration::from_secs(120),
            dedupe_retention: Duration::from_secs(3 * 24 * 3600),
        }
    }
}

impl Default for PackLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 * 1024 * 1024,
            call_timeout: Duration::from_millis(500),
            max_output_bytes: 4 * 1024 * 1024,
            max_instances: 256,
            keep_resident_bytes: 1024 * 1024,
            quarantine_after: 5,
            quarantine_for: Duration::from_secs(300),
            compile_cache: true,
        }
    }
}

impl DeliveryConfig {
    /// `proxy` parsed (checked by [`Config::validate`]); `None` when unset
    /// or unusable.
    pub fn proxy_url(&self) -> Option<url::Url> {
        self.proxy.as_deref().and_then(|text| url::Url::parse(text).ok())
    }
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        Self {
            concurrency: 256,
            per_destination_concurrency: 16,
            retry_schedule: vec![
                Duration::from_secs(5),
                minutes(5),
                minutes(30),
                minutes(120),
                minutes(300),
                minutes(600),
                minutes(600),
            ],
            jitter: 0.2,
            timeout: Duration::from_secs(15),
            allow_private_networks: Vec::new(),
            response_preview_bytes: 4096,
            proxy: None,
            disable_after: Duration::from_secs(5 * 24 * 3600),
        }
    }
}

impl Config {
    /// Reads and validates `path`.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let config: Self = toml::from_str(&text).map_err(|error| ConfigError::Parse {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Applies the `WEIR_<SECTION>_<KEY>` environment variables among
    /// `vars` (see `config/env.rs`), then validates, naming the variable
    /// when a value it set is out of range.
    pub fn with_env(&self, vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let config = env::apply(self, vars.iter().cloned())?;
        if let Err(ConfigError::Invalid { key, message }) = config.validate() {
            let var = format!("WEIR_{}", key.replace('.', "_").to_ascii_uppercase());
            if vars.iter().any(|(name, _)| *name == var) {
                return Err(ConfigError::Env { var, message });
            }
            return Err(ConfigError::Invalid { key, message });
        }
        Ok(config)
    }

    /// Checks ranges the types cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_owned(),
            })
        };
        if self.ingest.max_body_bytes == 0 {
            return invalid("ingest.max_body_bytes", "must be at least 1 byte");
        }
        if let Some(proxy) = &self.delivery.proxy
            && url::Url::parse(proxy).map_or(true, |url| !matches!(url.scheme(), "http" | "https"))
        {
            return invalid(
                "delivery.proxy",
                "must be an http:// or https:// URL, e.g. \"http://egress.internal:4750\"",
            );
        }
        if self.ingest.max_commit_batch == 0 {
            return invalid("ingest.max_commit_batch", "must be at least 1");
        }
        if self.ingest.allowed_methods.is_empty()
            || !self.ingest.allowed_methods.iter().all(|m| is_method_name(m))
        {
            return invalid(
                "ingest.allowed_methods",
                "must list upper-case HTTP methods, e.g. [\"GET\", \"POST\"]",
            );
        }
        for (key, rate) in [
            ("ingest.rate_per_second", self.ingest.rate_per_second),
            (
                "ingest.tenant_rate_per_second",
                self.ingest.tenant_rate_per_second,
            ),
        ] {
            if !(rate == 0.0 || crate::ratelimit::is_settable(rate)) {
                return invalid(
                    key,
                    "must be 0 (no limit) or from 1/86400 (one a day) to 1000000000",
                );
            }
        }
        // The queue's slots are allocated up front.
        if !(1..=1_000_000).contains(&self.ingest.request_log_queue) {
            return invalid("ingest.request_log_queue", "must be between 1 and 1000000");
        }
        if self.ingest.prune_interval < Duration::from_millis(10) {
            return invalid("ingest.prune_interval", "must be at least `10ms`");
        }
        if self.packs.memory_bytes < 1024 * 1024 {
            return invalid("packs.memory_bytes", "must be at least 1 MiB (1048576)");
        }
        if self.packs.call_timeout < Duration::from_millis(10) {
            return invalid("packs.call_timeout", "must be at least `10ms`");
        }
        if self.packs.max_instances == 0 {
            return invalid("packs.max_instances", "must be at least 1");
        }
        if self.delivery.concurrency == 0 {
            return invalid("delivery.concurrency", "must be at least 1");
        }
        if self.delivery.per_destination_concurrency == 0 {
            return invalid("delivery.per_destination_concurrency", "must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.delivery.jitter) {
            return invalid("delivery.jitter", "must be between 0.0 and 1.0, e.g. 0.2");
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return invalid("public_url", "must start with http:// or https://");
        }
        self.http.validate()?;
        self.telemetry.validate(cfg!(feature = "otel"))
    }

    /// The base URL webhook URLs are printed with, without a trailing `/`.
    pub fn public_base_url(&self, bound: SocketAddr) -> String {
        self.public_url.as_deref().map_or_else(
            || format!("http://{bound}"),
            |url| url.trim_end_matches('/').to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_all_defaults() {
        let config: Config = toml::from_str("").expect("parses");
        assert_eq!(config.ingest.durability, Durability::Fsync);
        assert_eq!(config.delivery.retry_schedule.len(), 7);
        config.validate().expect("defaults are valid");
    }

    #[test]
    fn durations_and_networks_parse_and_unknown_keys_are_refused() {
        let config: Config = toml::from_str(
            "[delivery]\nretry_schedule = [\"100ms\", \"2s\"]\nallow_private_networks = [\"127.0.0.1/32\"]\n",
        )
        .expect("parses");
        assert_eq!(config.delivery.retry_schedule[0], Duration::from_millis(100));
        let error = toml::from_str::<Config>("[delivery]\nretries = 3\n").expect_err("unknown key");
        assert!(error.to_string().contains("retries"), "{error}");
        let error = toml::from_str::<Config>("[packs]\ncall_timeout = \"soon\"\n").expect_err("bad");
        assert!(error.to_string().contains("soon"), "{error}");
    }

    #[test]
    fn the_example_file_lists_the_defaults() {
        let text = include_str!("../../weir.example.toml");
        let example: Config = toml::from_str(text).expect("the example parses");
        let render = |config: &Config| toml::to_string(config).expect("serializes");
        assert_eq!(render(&example), render(&Config::default()));
        let documented: toml::Table = toml::from_str(text).expect("table");
        let defaults: toml::Table = toml::from_str(&render(&Config::default())).expect("table");
        for (key, value) in &defaults {
            assert!(documented.contains_key(key), "weir.example.toml lacks `{key}`");
            if let (Some(inner), Some(documented)) = (value.as_table(), documented[key].as_table()) {
                for inner_key in inner.keys() {
                    assert!(
                        documented.contains_key(inner_key),
                        "weir.example.toml lacks `{key}.{inner_key}`"
                    );
                }
            }
        }
    }

    #[test]
    fn out_of_range_values_name_their_key() {
        let mut config = Config::default();
        config.delivery.jitter = 2.0;
        let error = config.validate().expect_err("invalid");
        assert!(error.to_string().contains("delivery.jitter"));
        let mut config = Config::default();
        config.ingest.request_log_queue = 1 << 40;
        let error = config.validate().expect_err("a queue allocated up front");
        assert!(error.to_string().contains("ingest.request_log_queue"), "{error}");
        let mut config = Config::default();
        config.http.max_connections = usize::MAX;
        let error = config
            .validate()
            .expect_err("more permits than a semaphore holds");
        assert!(error.to_string().contains("http.max_connections"), "{error}");
    }
}
