//! [`RequestRecord`]: one inbound webhook request as the request log keeps
//! it — accepted, duplicate or rejected — and [`TriggerStats`], the
//! per-trigger counters shown with a webhook.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::ids::{EventId, RequestId, TenantId, TriggerId};
use crate::time::{UnixMillis, rfc3339_millis};

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestOutcome {
    /// Answered 2xx or 3xx with at least one new event, or with no event at
    /// all (a handshake reply, an ignored notification).
    Accepted,
    /// Every event it carried had been received before.
    Duplicate,
    /// Answered 4xx or 5xx; `error_code` says why.
    Rejected,
}

impl RequestOutcome {
    /// The outcome of an answer with `status`, where `all_duplicates`
    /// tells whether every event was a duplicate (and there was one).
    pub fn of(status: u16, all_duplicates: bool) -> Self {
        match (status, all_duplicates) {
            (400.., _) => Self::Rejected,
            (_, true) => Self::Duplicate,
            (_, false) => Self::Accepted,
        }
    }
}

/// One request to `/api/v1/webhooks/…`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Identifier, `req_…`; sorts by arrival time.
    pub id: RequestId,
    /// When it arrived.
    #[serde(with = "rfc3339_millis")]
    pub received_at: UnixMillis,
    /// The trigger its key named; `None` for unknown keys.
    pub trigger_id: Option<TriggerId>,
    /// That trigger's tenant; `None` for unknown keys.
    pub tenant_id: Option<TenantId>,
    /// HTTP method.
    pub method: Cow<'static, str>,
    /// The status Weir answered.
    pub status: u16,
    /// Accepted, duplicate or rejected.
    pub outcome: RequestOutcome,
    /// The error's stable code when rejected, e.g. `signature_invalid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<Cow<'static, str>>,
    /// Events stored (or, for duplicates, the earlier events).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_ids: Vec<EventId>,
    /// The client's address (see `ingest.trusted_proxies`).
    pub client_address: IpAddr,
    /// The client's `User-Agent`, at most 256 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Body bytes read, or the declared `Content-Length` when the body
    /// was refused unread.
    pub body_bytes: u64,
    /// Time from arrival to answer, in microseconds.
    pub duration_us: u64,
}

/// Counters of one trigger's webhook. Accepted events and duplicates are
/// exact (counted in the commit that stores them); rejections and the
/// last request come from the request log, which may drop records under
/// overload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerStats {
    /// Events stored.
    pub events_accepted: u64,
    /// Events refused as duplicates.
    pub duplicates: u64,
    /// When an event was last stored.
    pub last_accepted_ms: Option<UnixMillis>,
    /// Rejected requests by error code.
    pub rejections: BTreeMap<String, u64>,
    /// When a request last arrived, whatever its outcome.
    pub last_request_ms: Option<UnixMillis>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_follow_the_status() {
        assert_eq!(RequestOutcome::of(202, false), RequestOutcome::Accepted);
        assert_eq!(RequestOutcome::of(200, true), RequestOutcome::Duplicate);
        assert_eq!(RequestOutcome::of(200, false), RequestOutcome::Accepted);
        assert_eq!(RequestOutcome::of(503, true), RequestOutcome::Rejected);
        assert_eq!(RequestOutcome::of(404, false), RequestOutcome::Rejected);
    }
}
