//! Weir: a webhook event engine whose provider connectors and payload
//! transformers are sandboxed WebAssembly components.
//!
//! The walk of one webhook, module by module (see `ARCHITECTURE.md`):
//! [`ingest`] receives it and asks a connector in [`host`] to verify it,
//! [`store`] commits it durably, [`router`] matches [`rules`] and schedules
//! deliveries, and [`delivery`] transforms, signs and sends them. [`api`]
//! is the admin HTTP API; [`server`] wires everything together. With the
//! `otel` cargo feature, `telemetry` exports their spans over OTLP.

pub mod api;
pub mod audit;
pub mod batch;
pub mod catalog;
pub mod config;
pub mod crypto;
pub mod delivery;
pub mod error;
pub mod fixtures;
pub mod host;
pub mod ids;
pub mod ingest;
pub mod metrics;
pub mod model;
pub mod packkit;
pub mod ratelimit;
pub mod router;
pub mod rules;
pub mod schema;
pub mod server;
pub mod store;
#[cfg(feature = "otel")]
pub mod telemetry;
pub mod time;

pub use config::Config;
pub use server::{Server, ServerHandle};
