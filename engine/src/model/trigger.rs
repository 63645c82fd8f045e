//! [`Trigger`]: a tenant's instance of a connector, reached at its webhook URL.

use serde::{Deserialize, Serialize};

use super::{ComponentRef, NamedSecret, TriggerPolicy, WebhookKey};
use crate::ids::TenantId;
use crate::ids::TriggerId;
use crate::time::UnixMillis;

/// A trigger as stored. Its secrets never leave the engine except into its
/// connector's calls.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trigger {
    /// Identifier, `trg_…`.
    pub id: TriggerId,
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// Operator's label, e.g. `acme/api pushes`.
    pub name: String,
    /// The connector that verifies and parses this trigger's requests.
    pub connector: ComponentRef,
    /// The secret path segment of the webhook URL.
    pub webhook_key: WebhookKey,
    /// Disabled triggers answer 403 `webhook_disabled`.
    pub enabled: bool,
    /// Secrets handed to the connector, e.g. `webhook-secret`.
    pub secrets: Vec<NamedSecret>,
    /// Connector settings (JSON object), handed to the connector.
    pub config: serde_json::Value,
    /// Inbound limits; absent fields take the `[ingest]` defaults.
    #[serde(default)]
    pub policy: TriggerPolicy,
    /// When it was created.
    pub created_at_ms: UnixMillis,
    /// When it was last changed (update, enable, disable, regenerate).
    #[serde(default)]
    pub updated_at_ms: Option<UnixMillis>,
}
