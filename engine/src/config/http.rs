//! The `[http]` section: how long the server waits for clients, how many
//! connections it holds open, and how long a graceful stop waits for the
//! requests in progress.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::time::human_duration;

/// The largest `max_connections` accepted (far above what a process's
/// file descriptors allow).
const MAX_CONNECTIONS: usize = 1_000_000;

/// Limits of the HTTP server, so that slow or idle clients cannot hold
/// Weir's connections (or its shutdown) forever.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// How long a client may take to send a request's headers, counted from
    /// when the connection opened, or from the previous response on a
    /// kept-alive connection (so it is also how long an idle connection
    /// stays open); then the connection is closed. Default `30s`.
    #[serde(with = "human_duration")]
    pub header_read_timeout: Duration,
    /// How long a client may take to send a webhook's body once its
    /// headers are in; then it gets `408 body_timeout`. Default `30s`.
    #[serde(with = "human_duration")]
    pub body_read_timeout: Duration,
    /// Connections open at once, 1 to 1000000; further clients wait in
    /// the listen backlog until one closes. Default 10000.
    pub max_connections: usize,
    /// At a graceful stop: how long requests in progress may take to
    /// finish before their connections are closed. Default `30s`.
    #[serde(with = "human_duration")]
    pub shutdown_drain: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            shutdown_drain: Duration::from_secs(30),
        }
    }
}

impl HttpConfig {
    /// Checks the section's values.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_owned(),
            })
        };
        if self.header_read_timeout.is_zero() {
            return invalid("http.header_read_timeout", "must be longer than 0s, e.g. \"30s\"");
        }
        if self.body_read_timeout.is_zero() {
            return invalid("http.body_read_timeout", "must be longer than 0s, e.g. \"30s\"");
        }
        if !(1..=MAX_CONNECTIONS).contains(&self.max_connections) {
            return invalid("http.max_connections", "must be between 1 and 1000000");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_timeouts_and_no_connections_are_refused_by_name() {
        assert!(HttpConfig::default().validate().is_ok());
        for (key, config) in [
            (
                "http.header_read_timeout",
                HttpConfig {
                    header_read_timeout: Duration::ZERO,
                    ..HttpConfig::default()
                },
            ),
            (
                "http.body_read_timeout",
                HttpConfig {
                    body_read_timeout: Duration::ZERO,
                    ..HttpConfig::default()
                },
            ),
            (
                "http.max_connections",
                HttpConfig {
                    max_connections: 0,
                    ..HttpConfig::default()
                },
            ),
            (
                "http.max_connections",
                HttpConfig {
                    max_connections: usize::MAX,
                    ..HttpConfig::default()
                },
            ),
        ] {
            match config.validate() {
                Err(ConfigError::Invalid { key: named, .. }) => assert_eq!(named, key),
                other => panic!("{key}: {other:?}"),
            }
        }
    }
}
