//! Host-side bindings generated from `wit/pack.wit`, one module per world.
//! The transformer bindings reuse the connector bindings' `types` and
//! `host` so both worlds share one set of Rust types and one host
//! implementation (`super::imports`).

#![allow(missing_docs)]

/// Bindings for the `connector` world.
pub mod connector {
    wasmtime::component::bindgen!({
        world: "connector",
        path: "../wit",
        exports: { default: async },
    });
}

/// Bindings for the `transformer` world.
pub mod transformer {
    wasmtime::component::bindgen!({
        world: "transformer",
        path: "../wit",
        exports: { default: async },
        with: {
            "weir:pack/types": super::connector::weir::pack::types,
            "weir:pack/host": super::connector::weir::pack::host,
        },
    });
}

pub use connector::weir::pack::host::{HashAlgorithm, LogLevel};
pub use connector::weir::pack::types::{
    Event, Header, NewEvent, Outgoing, Receipt, Rejection, Reply, Secret, TransformError, WebhookRequest,
};
