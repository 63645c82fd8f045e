//! Ingest: `/api/v1/webhooks/{webhook_key}`. Key → trigger → body (size
//! capped) → connector (WASM) → dedupe + durable append → answer.
//!
//! Nothing is acknowledged with a 2xx before the event and its dedupe
//! marker are on disk.

mod body;
mod handler;
mod request;
mod response;

pub use handler::{is_valid_event_type, receive_webhook};

/// The answer to a commit: `202` with new event ids, or `200 duplicate`.
pub fn accepted_response(outcomes: &[crate::store::CommitOutcome]) -> axum::response::Response {
    response::accepted(None, outcomes)
}
