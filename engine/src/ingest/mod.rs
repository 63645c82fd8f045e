//! Ingest: `/api/v1/webhooks/{webhook_key}`. Key → trigger → body (size
//! capped) → connector (WASM) → dedupe + durable append → answer.
//!
//! Nothing is acknowledged with a 2xx before the event and its dedupe
//! marker are on disk.

mod body;
mod handler;
mod request;
mod response;

pub use handler::receive_webhook;
