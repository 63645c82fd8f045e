//! [`StoredEvent`]: an event in the log, shaped like CloudEvents 1.0.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::ids::{EventId, TenantId, TriggerId};
use crate::time::UnixMillis;

/// Everything about an event except its id, which the committer assigns.
/// This is also the stored value; the id is the key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventDraft {
    /// Where the event came from, e.g. `/triggers/trg_…`.
    pub source: String,
    /// Dotted event type, e.g. `github.push`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// What the event is about, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// When it happened (provider's time or receive time), RFC 3339.
    pub time: String,
    /// The event's JSON data, kept verbatim.
    pub data: Box<RawValue>,
    /// Weir's metadata.
    pub weir: EventMeta,
}

/// Weir's metadata about an event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventMeta {
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// The trigger that received it; `None` for events an application
    /// published through `POST /api/v1/events`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_id: Option<TriggerId>,
    /// The key duplicates are recognised by, within the trigger.
    pub idempotency_key: String,
    /// When Weir received the request.
    pub received_at_ms: UnixMillis,
    /// The client's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_address: Option<String>,
    /// The client's `User-Agent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Selected request headers (provider event/delivery headers).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// An event as read back from the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Identifier, `evt_…`; orders events by arrival.
    pub id: EventId,
    /// The rest of the event.
    #[serde(flatten)]
    pub draft: EventDraft,
}

impl StoredEvent {
    /// The event's type.
    pub fn event_type(&self) -> &str {
        &self.draft.event_type
    }

    /// The trigger it came from, if it came through one.
    pub fn trigger_id(&self) -> Option<TriggerId> {
        self.draft.weir.trigger_id
    }

    /// The tenant it belongs to.
    pub fn tenant_id(&self) -> TenantId {
        self.draft.weir.tenant_id
    }
}
