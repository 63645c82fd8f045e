//! Generated bindings for the two worlds of `wit/pack.wit`.
//!
//! Pack authors never use this module directly: [`crate::export_connector`]
//! and [`crate::export_transformer`] call into it. Both worlds share the
//! `types` and `host` interfaces; the transformer bindings reuse the
//! connector bindings' Rust types for them so that `weir_sdk::Event` is one
//! type whichever world a pack implements.

/// Bindings for the `connector` world.
pub mod connector {
    wit_bindgen::generate!({
        world: "connector",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "__weir_export_connector",
        default_bindings_module: "weir_sdk::bindings::connector",
    });
}

/// Bindings for the `transformer` world.
pub mod transformer {
    wit_bindgen::generate!({
        world: "transformer",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "__weir_export_transformer",
        default_bindings_module: "weir_sdk::bindings::transformer",
        with: {
            "weir:pack/types@0.1.0": crate::bindings::connector::weir::pack::types,
            "weir:pack/host@0.1.0": crate::bindings::connector::weir::pack::host,
        },
    });
}
