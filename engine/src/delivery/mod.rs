//! Delivery: claim due deliveries, transform, sign, send, record, retry.
//!
//! [`Dispatcher`] claims what is due and runs attempts concurrently (up to
//! `delivery.concurrency`); [`attempt`] performs one (`render` makes the
//! body, `send` classifies the answer); [`signature`] signs with Standard
//! Webhooks; [`backoff`] schedules retries; [`ssrf`] keeps deliveries away
//! from internal networks; [`health`] disables failing destinations;
//! [`client`] is the HTTP client.

pub mod attempt;
pub mod backoff;
pub mod client;
mod dispatcher;
pub mod health;
mod render;
mod send;
pub mod signature;
pub mod ssrf;

pub use dispatcher::Dispatcher;
