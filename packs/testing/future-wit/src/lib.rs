//! A connector compiled against `weir:pack@0.2.0` (see `wit/`), without the
//! SDK, so that Weir's check of the contract version a component exports
//! can be tested against a real component.

#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ world: "connector", path: "wit" });
}

use bindings::exports::weir::pack::inbound::Guest;
use bindings::weir::pack::types::{Receipt, Rejection, Secret, WebhookRequest};

/// The connector; it rejects everything, it only has to exist.
pub struct Future;

impl Guest for Future {
    fn receive(
        _request: WebhookRequest,
        _secrets: Vec<Secret>,
        _config: String,
    ) -> Result<Receipt, Rejection> {
        Err(Rejection::Ignored("built for a future contract".into()))
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Future with_types_in bindings);
