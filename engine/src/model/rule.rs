//! [`Rule`]: which events go to which destination, through which transformer.

use serde::{Deserialize, Serialize};

use super::ComponentRef;
use crate::ids::TenantId;
use crate::ids::{DestinationId, RuleId, TriggerId};
use crate::rules::{Condition, EventTypePattern};
use crate::time::UnixMillis;

/// A rule as stored. All enabled rules that match an event fire, in
/// ascending `priority` order.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rule {
    /// Identifier, `rul_…`.
    pub id: RuleId,
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// Operator's label.
    pub name: String,
    /// Disabled rules match nothing.
    pub enabled: bool,
    /// Lower fires first. Default 0.
    pub priority: i32,
    /// Triggers whose events this rule considers; empty means all.
    pub trigger_ids: Vec<TriggerId>,
    /// Event type globs, e.g. `github.*`; at least one.
    pub event_types: Vec<EventTypePattern>,
    /// Optional condition on the event's data.
    pub condition: Option<Condition>,
    /// Where matching events are delivered.
    pub destination_id: DestinationId,
    /// Transformer shaping the body; `None` sends the event data as is.
    pub transformer: Option<ComponentRef>,
    /// The transformer's configuration (JSON object).
    pub transformer_config: serde_json::Value,
    /// When it was created (milliseconds; shown as `created_at`).
    #[serde(rename = "created_at", with = "crate::time::rfc3339_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at_ms: UnixMillis,
}
