//! [`Delivery`] and [`Attempt`]: the outbound life of one event through one rule.

use serde::{Deserialize, Serialize};

use super::ComponentRef;
use crate::ids::{DeliveryId, DestinationId, EventId, RuleId, TenantId};
use crate::time::UnixMillis;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (the first, or a retry).
    Pending,
    /// An attempt is in flight.
    Sending,
    /// The destination answered 2xx.
    Delivered,
    /// The transformer said there is nothing to send.
    Skipped,
    /// Given up: retries exhausted or a permanent failure. Replayable.
    Dead,
}

impl DeliveryStatus {
    /// True once nothing more will happen without a replay.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Skipped | Self::Dead)
    }

    /// The name the API uses (`pending`, `delivered`), for metrics and spans.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Delivered => "delivered",
            Self::Skipped => "skipped",
            Self::Dead => "dead",
        }
    }
}

/// One event on its way to one destination through one rule.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    /// Identifier, `del_…`; also the `webhook-id` header, stable across
    /// retries and replays so receivers can drop duplicates.
    pub id: DeliveryId,
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// The event delivered.
    pub event_id: EventId,
    /// The rule that matched.
    pub rule_id: RuleId,
    /// Where it goes.
    pub destination_id: DestinationId,
    /// The rule's transformer when the delivery was created.
    pub transformer: Option<ComponentRef>,
    /// The rule's transformer configuration when the delivery was created.
    pub transformer_config: serde_json::Value,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// Attempts made before the current retry schedule began: a replay
    /// starts a fresh schedule, so retry `n` uses schedule entry
    /// `attempts - schedule_base`.
    #[serde(default)]
    pub schedule_base: u32,
    /// For destinations ordered FIFO: the delivery's place in its key's
    /// queue; only the queue's head is ever due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fifo: Option<FifoSlot>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at_ms: Option<UnixMillis>,
    /// The last failure, for people.
    pub last_error: Option<String>,
    /// When it was created.
    pub created_at_ms: UnixMillis,
    /// When it last changed.
    pub updated_at_ms: UnixMillis,
}

/// A delivery's place in a FIFO queue: one queue per destination and
/// ordering key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FifoSlot {
    /// The first 16 bytes of the ordering key's SHA-256, hex.
    pub key_hash: String,
    /// Position in the queue (a ULID taken when it joined), hex.
    pub position: String,
}

impl FifoSlot {
    /// The slot for `key`, joining the queue now: behind every slot this
    /// process made before, even within the same millisecond (a plain
    /// ULID's random part would order those at random).
    pub fn join(key: &str) -> Self {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(key.as_bytes());
        Self {
            key_hash: hex::encode(&digest[..16]),
            position: Self::next_position(),
        }
    }

    /// A queue position after every one handed out before.
    pub fn next_position() -> String {
        hex::encode(crate::ids::monotonic_ulid().to_bytes())
    }

    /// The 32-byte queue prefix (destination, key) of this slot.
    pub fn queue_prefix(&self, destination: [u8; 16]) -> Vec<u8> {
        let mut prefix = destination.to_vec();
        prefix.extend(hex::decode(&self.key_hash).unwrap_or_default());
        prefix
    }

    /// The slot's key in the `fifo` tree: queue prefix then position.
    pub fn tree_key(&self, destination: [u8; 16]) -> Vec<u8> {
        let mut key = self.queue_prefix(destination);
        key.extend(hex::decode(&self.position).unwrap_or_default());
        key
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// 2xx.
    Delivered,
    /// Any other HTTP status.
    HttpError,
    /// No response within the timeout.
    Timeout,
    /// Could not connect or the connection broke.
    NetworkError,
    /// Refused by the SSRF guard (internal address).
    Refused,
    /// The transformer failed or trapped.
    TransformFailed,
    /// The transformer asked to skip this event.
    Skipped,
    /// The destination no longer exists or is disabled.
    DestinationGone,
}

impl AttemptOutcome {
    /// The name the API uses (`http_error`), for metrics and spans.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::HttpError => "http_error",
            Self::Timeout => "timeout",
            Self::NetworkError => "network_error",
            Self::Refused => "refused",
            Self::TransformFailed => "transform_failed",
            Self::Skipped => "skipped",
            Self::DestinationGone => "destination_gone",
        }
    }
}

/// One attempt of a delivery, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    /// The delivery.
    pub delivery_id: DeliveryId,
    /// 1 for the first attempt.
    pub number: u32,
    /// When it started.
    pub started_at_ms: UnixMillis,
    /// How long it took.
    pub duration_ms: u64,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The response status, when there was one.
    pub status_code: Option<u16>,
    /// What went wrong, for people.
    pub error: Option<String>,
    /// Response headers (names lowercase), when there was a response.
    pub response_headers: Vec<(String, String)>,
    /// The first bytes of the response body (lossy UTF-8).
    pub response_body: String,
    /// When the next attempt is scheduled, if any.
    pub next_attempt_at_ms: Option<UnixMillis>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_are_the_serialized_names() {
        use AttemptOutcome as O;
        use DeliveryStatus as S;
        for status in [S::Pending, S::Sending, S::Delivered, S::Skipped, S::Dead] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        let outcomes = [
            O::Delivered,
            O::HttpError,
            O::Timeout,
            O::NetworkError,
            O::Refused,
            O::TransformFailed,
            O::Skipped,
            O::DestinationGone,
        ];
        for outcome in outcomes {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.as_str());
        }
    }

    #[test]
    fn slots_joined_in_a_row_queue_in_that_order() {
        let slots: Vec<FifoSlot> = (0..1000).map(|_| FifoSlot::join("customer-1")).collect();
        let destination = [7; 16];
        for pair in slots.windows(2) {
            assert_eq!(pair[0].key_hash, pair[1].key_hash);
            assert!(
                pair[0].tree_key(destination) < pair[1].tree_key(destination),
                "{pair:?}"
            );
        }
    }
}
