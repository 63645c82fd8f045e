//! A trigger's effective policy: its own [`TriggerPolicy`] over the
//! `[ingest]` defaults, and the tenant's limits over the tenant defaults.
//! Resolved per request by borrowing, without allocating.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::ratelimit::Rate;
use crate::config::IngestConfig;
use crate::model::{TenantLimits, TriggerPolicy};

/// The limits a request to one trigger is checked against.
#[derive(Debug, Clone, Serialize)]
pub struct EffectivePolicy<'a> {
    /// Largest body in bytes.
    pub max_body_bytes: usize,
    /// Networks allowed; empty allows any.
    pub allowed_ips: &'a [IpNet],
    /// Methods allowed.
    pub allowed_methods: &'a [String],
    /// Rate limit of the webhook key; `None` is unlimited.
    #[serde(skip)]
    pub rate: Option<Rate>,
    /// Sustained requests per second (0: unlimited), for display.
    pub rate_per_second: f64,
    /// Burst, for display (0 when unlimited).
    pub burst: u32,
}

impl<'a> EffectivePolicy<'a> {
    /// `policy` over `defaults`.
    pub fn resolve(policy: &'a TriggerPolicy, defaults: &'a IngestConfig) -> Self {
        let rate = Rate::new(
            policy.rate_per_second.unwrap_or(defaults.rate_per_second),
            policy.burst.unwrap_or(defaults.burst),
        );
        Self {
            max_body_bytes: policy
                .max_body_bytes
                .unwrap_or(defaults.max_body_bytes)
                .min(defaults.max_body_bytes),
            allowed_ips: policy.allowed_ips.as_deref().unwrap_or(&defaults.allowed_ips),
            allowed_methods: policy
                .allowed_methods
                .as_deref()
                .unwrap_or(&defaults.allowed_methods),
            rate,
            rate_per_second: rate.map_or(0.0, |r| r.per_second),
            burst: rate.map_or(0, |r| r.burst),
        }
    }

    /// True when `address` may send.
    pub fn allows_address(&self, address: IpAddr) -> bool {
        self.allowed_ips.is_empty() || self.allowed_ips.iter().any(|net| net.contains(&address))
    }

    /// True when `method` is accepted.
    pub fn allows_method(&self, method: &str) -> bool {
        self.allowed_methods.iter().any(|allowed| allowed == method)
    }
}

/// A tenant's limits over the tenant defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TenantPolicy {
    /// Rate across the tenant's webhooks; `None` is unlimited.
    pub rate: Option<Rate>,
    /// Requests accepted per UTC day; `None` is unlimited.
    pub daily_quota: Option<u64>,
}

impl TenantPolicy {
    /// `limits` over `defaults`.
    pub fn resolve(limits: Option<&TenantLimits>, defaults: &IngestConfig) -> Self {
        let rate = Rate::new(
            limits
                .and_then(|l| l.rate_per_second)
                .unwrap_or(defaults.tenant_rate_per_second),
            limits.and_then(|l| l.burst).unwrap_or(defaults.tenant_burst),
        );
        let quota = limits
            .and_then(|l| l.daily_quota)
            .unwrap_or(defaults.tenant_daily_quota);
        Self {
            rate,
            daily_quota: (quota > 0).then_some(quota),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trigger_overrides_the_defaults_within_the_cap() {
        let defaults = IngestConfig {
            max_body_bytes: 1000,
            rate_per_second: 10.0,
            ..IngestConfig::default()
        };
        let policy = TriggerPolicy {
            max_body_bytes: Some(5000),
            allowed_ips: Some(vec!["10.0.0.0/8".parse().expect("net")]),
            rate_per_second: Some(0.0),
            ..TriggerPolicy::default()
        };
        let effective = EffectivePolicy::resolve(&policy, &defaults);
        assert_eq!(effective.max_body_bytes, 1000, "never above the instance cap");
        assert_eq!(effective.rate, None, "0 turns the default limit off");
        assert!(effective.allows_address("10.9.8.7".parse().expect("ip")));
        assert!(!effective.allows_address("11.0.0.1".parse().expect("ip")));
        assert!(effective.allows_method("POST") && effective.allows_method("GET"));
        assert!(!effective.allows_method("DELETE"));

        let plain = TriggerPolicy::default();
        let effective = EffectivePolicy::resolve(&plain, &defaults);
        assert!(
            effective.allows_address("2001:db8::1".parse().expect("ip")),
            "empty allows any"
        );
        assert_eq!(effective.rate.map(|r| r.burst), Some(10));
    }

    #[test]
    fn tenant_limits_override_tenant_defaults() {
        let defaults = IngestConfig {
            tenant_daily_quota: 100,
            ..IngestConfig::default()
        };
        assert_eq!(TenantPolicy::resolve(None, &defaults).daily_quota, Some(100));
        let limits = TenantLimits {
            rate_per_second: Some(5.0),
            burst: None,
            daily_quota: Some(0),
        };
        let policy = TenantPolicy::resolve(Some(&limits), &defaults);
        assert_eq!(policy.daily_quota, None);
        assert_eq!(policy.rate.map(|r| r.burst), Some(5));
    }
}
