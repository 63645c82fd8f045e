//! `weir-sdk`: write Weir connector and transformer packs in Rust.
//!
//! A connector turns a provider's webhook request into events; a transformer
//! turns an event into the body a destination receives. Implement
//! [`Connector`] or [`Transformer`] for a type and export it with one macro:
//!
//! ```ignore
//! use weir_sdk::{Connector, NoConfig, Receipt, Rejection, Secrets, WebhookRequest, NewEvent};
//!
//! struct Echo;
//!
//! impl Connector for Echo {
//!     type Config = NoConfig;
//!
//!     fn receive(request: &WebhookRequest, _secrets: &Secrets, _config: NoConfig) -> Result<Receipt, Rejection> {
//!         let body = request.body_str()?;
//!         let key = weir_sdk::host::digest_hex(weir_sdk::host::HashAlgorithm::Sha256, body.as_bytes());
//!         Ok(Receipt::with_event(NewEvent::new("echo.received", key, body)))
//!     }
//! }
//!
//! weir_sdk::export_connector!(Echo);
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2` (or
//! `weir pack build`). The same code compiles natively, where the [`host`]
//! functions are implemented in Rust, so a pack's logic is unit-testable
//! with plain `cargo test`.

pub mod config;
mod connector;
pub mod encoding;
mod export;
pub mod host;
mod request;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;
mod transformer;
pub mod verify;

#[doc(hidden)]
#[allow(unsafe_code, missing_docs, clippy::all)]
pub mod bindings;

pub use connector::{Connector, NoConfig, Secrets, event_type, event_type_strict, is_snake_case_name};
pub use request::{percent_decode, percent_decode_bytes};
pub use transformer::Transformer;

/// Types shared by connectors and transformers, generated from the WIT
/// package `weir:pack` (see `wit/pack.wit` for each field's documentation).
pub use bindings::connector::weir::pack::types::{
    Event, Header, NewEvent, Outgoing, Receipt, Rejection, Reply, Secret, TransformError, WebhookRequest,
};

/// Re-exported so that packs can use the same JSON library as the SDK.
pub use serde_json;

/// Support for the export macros; not part of the public API.
#[doc(hidden)]
pub mod __private {
    /// Parses a component's JSON configuration; an empty string means `{}`.
    /// Errors name the field, e.g. ``invalid configuration at `retries`:
    /// invalid type: string "x", expected u32``.
    pub fn parse_config<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        crate::config::from_text(text)
    }
}
