//! How the API shows triggers and their webhooks. Secret values never
//! appear; only their names do.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::IngestConfig;
use crate::ids::{TenantId, TriggerId};
use crate::ingest::EffectivePolicy;
use crate::model::{ComponentRef, Trigger, TriggerPolicy, TriggerStats};
use crate::time::rfc3339;

/// A trigger as the API shows it.
#[derive(Debug, Serialize)]
pub struct TriggerView {
    /// Identifier.
    pub id: TriggerId,
    /// The owning tenant.
    pub tenant_id: TenantId,
    /// Label.
    pub name: String,
    /// Connector reference.
    pub connector: ComponentRef,
    /// Whether it accepts webhooks.
    pub enabled: bool,
    /// The webhook key.
    pub webhook_key: String,
    /// The full URL producers post to.
    pub webhook_url: String,
    /// Names of the configured secrets (values are never shown).
    pub secret_names: Vec<String>,
    /// Connector settings.
    pub config: serde_json::Value,
    /// The trigger's own limits (`null` fields take the defaults).
    pub policy: TriggerPolicy,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Last change, RFC 3339.
    pub updated_at: Option<String>,
}

impl TriggerView {
    /// The view of `trigger`, with URLs under `base_url`.
    pub fn of(trigger: &Trigger, base_url: &str) -> Self {
        let mut secret_names: Vec<String> = trigger.secrets.iter().map(|s| s.name.clone()).collect();
        secret_names.dedup();
        Self {
            id: trigger.id,
            tenant_id: trigger.tenant_id,
            name: trigger.name.clone(),
            connector: trigger.connector.clone(),
            enabled: trigger.enabled,
            webhook_key: trigger.webhook_key.as_str().to_owned(),
            webhook_url: webhook_url(trigger, base_url),
            secret_names,
            config: trigger.config.clone(),
            policy: trigger.policy.clone(),
            created_at: rfc3339(trigger.created_at_ms),
            updated_at: trigger.updated_at_ms.map(rfc3339),
        }
    }
}

/// `GET /api/v1/triggers/{id}/webhook`: the URL, whether it works, the
/// limits in force and what it has received.
#[derive(Debug, Serialize)]
pub struct WebhookInfo<'a> {
    /// The trigger.
    pub trigger_id: TriggerId,
    /// The full URL producers post to.
    pub url: String,
    /// The key in it.
    pub webhook_key: &'a str,
    /// Whether it accepts webhooks.
    pub enabled: bool,
    /// The limits in force: the trigger's policy over the defaults.
    pub effective_policy: EffectivePolicy<'a>,
    /// What it has received.
    pub stats: WebhookStats,
}

/// A webhook's counters.
#[derive(Debug, Serialize)]
pub struct WebhookStats {
    /// Events stored (exact).
    pub events_accepted: u64,
    /// Events refused as duplicates (exact).
    pub duplicates: u64,
    /// Rejected requests by error code, e.g. `{"signature_invalid": 2}`.
    pub rejections: BTreeMap<String, u64>,
    /// All rejected requests.
    pub rejected: u64,
    /// When the last request arrived, whatever became of it.
    pub last_used_at: Option<String>,
    /// When an event was last stored.
    pub last_accepted_at: Option<String>,
}

impl<'a> WebhookInfo<'a> {
    /// The info of `trigger` with `stats`.
    pub fn of(trigger: &'a Trigger, base_url: &str, defaults: &'a IngestConfig, stats: TriggerStats) -> Self {
        let last_used = stats.last_request_ms.max(stats.last_accepted_ms);
        Self {
            trigger_id: trigger.id,
            url: webhook_url(trigger, base_url),
            webhook_key: trigger.webhook_key.as_str(),
            enabled: trigger.enabled,
            effective_policy: EffectivePolicy::resolve(&trigger.policy, defaults),
            stats: WebhookStats {
                events_accepted: stats.events_accepted,
                duplicates: stats.duplicates,
                rejected: stats.rejections.values().sum(),
                rejections: stats.rejections,
                last_used_at: last_used.map(rfc3339),
                last_accepted_at: stats.last_accepted_ms.map(rfc3339),
            },
        }
    }
}

/// The full webhook URL of `trigger`.
pub fn webhook_url(trigger: &Trigger, base_url: &str) -> String {
    format!("{base_url}/api/v1/webhooks/{}", trigger.webhook_key.as_str())
}
