//! The records Weir stores and serves: triggers, destinations, rules,
//! events, deliveries and attempts. Plain data with validated fields; the
//! store persists them and the API shows them (without secrets).

mod component_ref;
mod delivery;
mod destination;
mod event;
mod policy;
mod request_log;
mod rule;
mod secret;
mod tenant;
mod trigger;

pub use component_ref::{ComponentRef, InvalidComponentRef, is_valid_name as component_ref_name_is_valid};
pub use delivery::{Attempt, AttemptOutcome, Delivery, DeliveryStatus, FifoSlot};
pub use destination::{
    Destination, DestinationUrl, InvalidUrl, Ordering, PayloadEncryption, RateLimit, RotatingSecret,
    SealedHeader,
};
pub use event::{EventDraft, EventMeta, StoredEvent};
pub use policy::{InvalidPolicy, MAX_ALLOWED_NETWORKS, TriggerPolicy, is_method_name, networks};
pub use request_log::{RequestOutcome, RequestRecord, TriggerStats};
pub use rule::Rule;
pub use secret::{NamedSecret, SigningSecret, WebhookKey, random_alphanumeric};
pub use tenant::{ApiToken, Role, Tenant, TenantLimits};
pub use trigger::Trigger;
