//! Typed, prefixed, time-sortable identifiers (`evt_01JD…`, `trg_01JD…`).
//!
//! Each id is a ULID (48-bit millisecond time + 80 random bits) behind a
//! type-specific prefix, so ids sort by creation time, are unique without
//! coordination, and an id of one kind can never be passed where another
//! is expected. In the store an id is its 16 ULID bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use ulid::Ulid;

/// A string that is not a valid id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a valid {kind} id (expected `{prefix}_` followed by 26 characters)")]
pub struct InvalidId {
    /// What was given.
    pub text: String,
    /// Which kind of id was expected, e.g. `event`.
    pub kind: &'static str,
    /// The prefix that kind uses, e.g. `evt`.
    pub prefix: &'static str,
}

/// A ULID greater than every one this function returned before: ids made
/// in the same millisecond increment the random part instead of drawing a
/// new one.
fn monotonic_ulid() -> Ulid {
    static GENERATOR: std::sync::Mutex<ulid::Generator> = std::sync::Mutex::new(ulid::Generator::new());
    let mut generator = GENERATOR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Overflow needs 2^80 ids in one millisecond; fall back to a fresh one.
    generator.generate().unwrap_or_else(|_| Ulid::new())
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Ulid);

        impl $name {
            /// The prefix this kind of id carries.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id for the current time, greater than every id this
            /// process made before (so lists ordered by id are in creation
            /// order even within one millisecond).
            pub fn generate() -> Self {
                Self(monotonic_ulid())
            }

            /// Wraps an existing ULID.
            pub fn from_ulid(ulid: Ulid) -> Self {
                Self(ulid)
            }

            /// The underlying ULID.
            pub fn ulid(self) -> Ulid {
                self.0
            }

            /// The 16 bytes used as this id's key in the store; they sort
            /// in creation order.
            pub fn to_bytes(self) -> [u8; 16] {
                self.0.to_bytes()
            }

            /// Reads an id back from its store key, if it is 16 bytes long.
            pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
                let bytes: [u8; 16] = bytes.try_into().ok()?;
                Some(Self(Ulid::from_bytes(bytes)))
            }

            /// Milliseconds since the Unix epoch when the id was made.
            pub fn timestamp_ms(self) -> u64 {
                self.0.timestamp_ms()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}_{}", $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let invalid = || InvalidId { text: text.to_owned(), kind: $kind, prefix: $prefix };
                let rest = text
                    .strip_prefix($prefix)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .ok_or_else(invalid)?;
                Ulid::from_string(rest).map(Self).map_err(|_| invalid())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

define_id!(
    /// Identifies a stored event.
    EventId, "evt", "event"
);
define_id!(
    /// Identifies a trigger (a tenant's instance of a connector).
    TriggerId, "trg", "trigger"
);
define_id!(
    /// Identifies a destination.
    DestinationId, "dst", "destination"
);
define_id!(
    /// Identifies a rule.
    RuleId, "rul", "rule"
);
define_id!(
    /// Identifies a tenant.
    TenantId, "ten", "tenant"
);
define_id!(
    /// Identifies an API token.
    TokenId, "tok", "token"
);
define_id!(
    /// Identifies one inbound webhook request in the request log; its time
    /// part is when the request arrived, so the log sorts by time.
    RequestId, "req", "request"
);
define_id!(
    /// Identifies a delivery of one event through one rule; also the
    /// `webhook-id` the destination sees, stable across retries.
    DeliveryId, "del", "delivery"
);

impl DeliveryId {
    /// The delivery id for `event` through `rule`: derived, not random, so
    /// that a router that re-runs after a crash re-creates the same
    /// delivery (and the receiver sees the same `webhook-id`) instead of a
    /// second one. The time part is the event's, so deliveries sort with
    /// their events.
    pub fn derive(event: EventId, rule: RuleId) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(event.to_bytes());
        hasher.update(rule.to_bytes());
        let digest = hasher.finalize();
        let mut random = [0u8; 16];
        random[6..].copy_from_slice(&digest[..10]);
        let random = u128::from_be_bytes(random);
        Self(Ulid::from_parts(event.timestamp_ms(), random))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_bytes() {
        let id = EventId::generate();
        let text = id.to_string();
        assert!(text.starts_with("evt_"));
        assert_eq!(text.len(), 30);
        assert_eq!(text.parse::<EventId>(), Ok(id));
        assert_eq!(EventId::from_bytes(&id.to_bytes()), Some(id));
    }

    #[test]
    fn the_wrong_prefix_is_refused() {
        let trigger = TriggerId::generate().to_string();
        let error = trigger.parse::<EventId>().expect_err("wrong kind");
        assert_eq!(error.kind, "event");
        assert!("evt_nope".parse::<EventId>().is_err());
    }

    #[test]
    fn delivery_ids_are_derived_deterministically() {
        let event = EventId::generate();
        let rule = RuleId::generate();
        assert_eq!(DeliveryId::derive(event, rule), DeliveryId::derive(event, rule));
        assert_ne!(
            DeliveryId::derive(event, rule),
            DeliveryId::derive(event, RuleId::generate())
        );
        assert_eq!(
            DeliveryId::derive(event, rule).timestamp_ms(),
            event.timestamp_ms()
        );
    }
}
