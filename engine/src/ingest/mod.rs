//! Ingest: `/api/v1/webhooks/{webhook_key}`. Key → trigger → policy (IP,
//! method, rate limits, daily quota) → body (size capped) → connector
//! (WASM) → dedupe + durable append → answer, with every request recorded
//! in the request log.
//!
//! Nothing is acknowledged with a 2xx before the event and its dedupe
//! marker are on disk. The checks run cheapest first, so a flood of
//! refused requests costs a map lookup each, never a body read or a
//! connector call.

mod body;
pub mod client;
mod events;
mod handler;
mod ledger;
pub mod maintenance;
pub mod policy;
pub mod quota;
pub mod ratelimit;
mod request;
pub mod request_log;
mod response;

pub use events::is_valid_event_type;
pub use handler::receive_webhook;
pub use policy::{EffectivePolicy, TenantPolicy};
pub use request_log::{RequestLog, RequestLogThread};

use crate::ids::{TenantId, TriggerId};
use quota::QuotaReservations;
use ratelimit::RateLimiter;

/// Ingest's in-memory state, shared by every request.
pub struct Gateway {
    /// Token buckets per webhook key (keyed by trigger: one key each).
    pub key_limits: RateLimiter<TriggerId>,
    /// Token buckets per tenant.
    pub tenant_limits: RateLimiter<TenantId>,
    /// Daily quota reservations of requests in flight.
    pub quota: QuotaReservations,
    /// The request log writer's queue.
    pub request_log: RequestLog,
}

impl Gateway {
    /// Fresh limiters around `request_log`.
    pub fn new(request_log: RequestLog) -> Self {
        Self {
            key_limits: RateLimiter::default(),
            tenant_limits: RateLimiter::default(),
            quota: QuotaReservations::default(),
            request_log,
        }
    }
}

/// The answer to a commit: `202` with new event ids, or `200 duplicate`.
pub fn accepted_response(
    outcomes: &[crate::store::CommitOutcome],
) -> Result<axum::response::Response, crate::error::ApiError> {
    response::accepted(None, outcomes)
}
