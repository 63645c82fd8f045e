//! Delivery: claim due deliveries, transform, sign, send, record, retry.
//!
//! [`Dispatcher`] claims what is due and runs attempts concurrently (up to
//! `delivery.concurrency` in all and `delivery.per_destination_concurrency`
//! per destination, kept by [`lanes`]); [`attempt`] performs one (`render` makes the
//! body, `send` classifies the answer); [`signature`] signs with Standard
//! Webhooks; [`backoff`] schedules retries; [`ssrf`] keeps deliveries away
//! from internal networks; [`health`] disables failing destinations;
//! [`recorder`] writes finished attempts in batches;
//! [`client`] is the HTTP client.

pub mod attempt;
pub mod backoff;
pub mod client;
mod dispatcher;
pub mod health;
pub mod lanes;
pub mod recorder;
pub mod render;
mod send;
pub mod signature;
pub mod ssrf;

pub use dispatcher::Dispatcher;
