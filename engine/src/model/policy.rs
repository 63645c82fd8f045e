//! [`TriggerPolicy`]: a trigger's inbound limits — body size, source
//! networks, rate, methods. Every field is optional; an absent one takes
//! the instance default from `[ingest]` (see `ingest::policy`).

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize};

/// Most networks one allowlist may hold.
pub const MAX_ALLOWED_NETWORKS: usize = 256;

/// A trigger's own limits; `None` means the instance default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerPolicy {
    /// Largest body in bytes, at most the instance's
    /// `ingest.max_body_bytes`. Example: `65536`.
    #[serde(default)]
    pub max_body_bytes: Option<usize>,
    /// Networks requests may come from (CIDR, or a bare address for one
    /// host), IPv4 and IPv6; an empty list allows any address. Example:
    /// `["192.30.252.0/22", "2a0a:a440::/29", "203.0.113.7"]`.
    #[serde(default, deserialize_with = "networks::optional")]
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_ips: Option<Vec<IpNet>>,
    /// Sustained requests per second on this webhook key; `0` turns the
    /// limit off. Example: `50`.
    #[serde(default)]
    pub rate_per_second: Option<f64>,
    /// Requests allowed in a burst above the sustained rate (the token
    /// bucket's size). Example: `100`.
    #[serde(default)]
    pub burst: Option<u32>,
    /// HTTP methods accepted; others are answered 405 before the
    /// connector runs. Example: `["POST"]`.
    #[serde(default)]
    pub allowed_methods: Option<Vec<String>>,
}

/// A policy value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid policy `{field}`: {message}")]
pub struct InvalidPolicy {
    /// The field, e.g. `rate_per_second`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl TriggerPolicy {
    /// Checks ranges the types cannot express; `max_body_cap` is the
    /// instance's `ingest.max_body_bytes`.
    pub fn validate(&self, max_body_cap: usize) -> Result<(), InvalidPolicy> {
        let invalid = |field, message: String| Err(InvalidPolicy { field, message });
        if let Some(bytes) = self.max_body_bytes
            && !(1..=max_body_cap).contains(&bytes)
        {
            return invalid(
                "max_body_bytes",
                format!("must be 1 to {max_body_cap} (the instance's `ingest.max_body_bytes`)"),
            );
        }
        if self
            .allowed_ips
            .as_ref()
            .is_some_and(|nets| nets.len() > MAX_ALLOWED_NETWORKS)
        {
            return invalid("allowed_ips", format!("at most {MAX_ALLOWED_NETWORKS} networks"));
        }
        if let Some(rate) = self.rate_per_second
            && !(rate == 0.0 || crate::ratelimit::is_settable(rate))
        {
            return invalid(
                "rate_per_second",
                format!(
                    "must be 0 (no limit) or from {} (one a day) to {}",
                    crate::ratelimit::MIN_PER_SECOND,
                    crate::ratelimit::MAX_PER_SECOND
                ),
            );
        }
        if self.burst == Some(0) {
            return invalid("burst", "must be at least 1".into());
        }
        if let Some(methods) = &self.allowed_methods {
            if methods.is_empty() {
                return invalid(
                    "allowed_methods",
                    "needs at least one method, e.g. [\"POST\"]".into(),
                );
            }
            if let Some(bad) = methods.iter().find(|m| !is_method_name(m)) {
                return invalid(
                    "allowed_methods",
                    format!("`{bad}` is not an upper-case HTTP method name like `POST`"),
                );
            }
        }
        Ok(())
    }
}

/// True for an upper-case HTTP method token such as `POST`.
pub fn is_method_name(text: &str) -> bool {
    (1..=20).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_uppercase())
}

/// Lenient network lists: each entry is CIDR (`10.0.0.0/8`, `2001:db8::/32`)
/// or a bare address meaning that one host.
pub mod networks {
    use std::net::IpAddr;

    use super::{Deserialize, Deserializer, IpNet};

    /// Parses one entry.
    pub fn parse(text: &str) -> Result<IpNet, String> {
        let text = text.trim();
        text.parse::<IpNet>()
            .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
            .map(|net| net.trunc())
            .map_err(|_| format!("`{text}` is not an IP network like `10.0.0.0/8` or an address"))
    }

    /// Deserializes a list.
    pub fn list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| parse(text).map_err(serde::de::Error::custom))
            .collect()
    }

    /// Deserializes an optional list.
    pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<IpNet>>, D::Error> {
        Option::<Vec<String>>::deserialize(deserializer)?
            .map(|texts| {
                texts
                    .iter()
                    .map(|text| parse(text).map_err(serde::de::Error::custom))
                    .collect()
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_addresses_are_single_hosts_and_bad_ones_are_named() {
        let policy: TriggerPolicy = serde_json::from_str(
            r#"{"allowed_ips": ["203.0.113.7", "10.1.2.3/8", "2001:db8::1", "2001:db8::/32"]}"#,
        )
        .expect("parses");
        let nets: Vec<String> = policy
            .allowed_ips
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            nets,
            ["203.0.113.7/32", "10.0.0.0/8", "2001:db8::1/128", "2001:db8::/32"]
        );
        let error = serde_json::from_str::<TriggerPolicy>(r#"{"allowed_ips": ["nope"]}"#).expect_err("bad");
        assert!(error.to_string().contains("`nope`"), "{error}");
        assert!(serde_json::from_str::<TriggerPolicy>(r#"{"rate": 1}"#).is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let cap = 1024;
        assert!(TriggerPolicy::default().validate(cap).is_ok());
        let cases = [
            (
                TriggerPolicy {
                    max_body_bytes: Some(2048),
                    ..TriggerPolicy::default()
                },
                "max_body_bytes",
            ),
            (
                TriggerPolicy {
                    rate_per_second: Some(f64::NAN),
                    ..TriggerPolicy::default()
                },
                "rate_per_second",
            ),
            (
                TriggerPolicy {
                    rate_per_second: Some(1e-300),
                    ..TriggerPolicy::default()
                },
                "rate_per_second",
            ),
            (
                TriggerPolicy {
                    burst: Some(0),
                    ..TriggerPolicy::default()
                },
                "burst",
            ),
            (
                TriggerPolicy {
                    allowed_methods: Some(vec!["post".into()]),
                    ..TriggerPolicy::default()
                },
                "allowed_methods",
            ),
        ];
        for (policy, field) in cases {
            assert_eq!(policy.validate(cap).map_err(|e| e.field), Err(field));
        }
    }
}
