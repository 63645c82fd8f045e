//! The export macros: one line turns a [`crate::Connector`] or
//! [`crate::Transformer`] into a component's exports.

/// Exports a type implementing [`crate::Connector`] as this component's
/// `weir:pack/inbound` interface.
///
/// ```ignore
/// weir_sdk::export_connector!(GithubConnector);
/// ```
///
/// A configuration that does not deserialize into the connector's
/// `Config` is answered with `Rejection::Misconfigured` naming the problem.
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        const _: () = {
            struct WeirConnectorExport;

            impl $crate::bindings::connector::exports::weir::pack::inbound::Guest for WeirConnectorExport {
                fn receive(
                    request: $crate::WebhookRequest,
                    secrets: ::std::vec::Vec<$crate::Secret>,
                    config: ::std::string::String,
                ) -> ::std::result::Result<$crate::Receipt, $crate::Rejection> {
                    let config =
                        $crate::__private::parse_config(&config).map_err($crate::Rejection::Misconfigured)?;
                    <$connector as $crate::Connector>::receive(
                        &request,
                        &$crate::Secrets::new(secrets),
                        config,
                    )
                }
            }

            // Native builds (pack unit tests) must not export symbols named
            // after WIT items: native linkers reject `:` in symbol names.
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::connector::__weir_export_connector!(
                WeirConnectorExport with_types_in $crate::bindings::connector
            );
        };
    };
}

/// Exports a type implementing [`crate::Transformer`] as this component's
/// `weir:pack/outbound` interface.
///
/// ```ignore
/// weir_sdk::export_transformer!(SlackTransformer);
/// ```
///
/// A configuration that does not deserialize into the transformer's
/// `Config` is answered with `TransformError::InvalidConfig`.
#[macro_export]
macro_rules! export_transformer {
    ($transformer:ty) => {
        const _: () = {
            struct WeirTransformerExport;

            impl $crate::bindings::transformer::exports::weir::pack::outbound::Guest
                for WeirTransformerExport
            {
                fn transform(
                    event: $crate::Event,
                    config: ::std::string::String,
                ) -> ::std::result::Result<$crate::Outgoing, $crate::TransformError> {
                    let config = $crate::__private::parse_config(&config)
                        .map_err($crate::TransformError::InvalidConfig)?;
                    <$transformer as $crate::Transformer>::transform(&event, config)
                }
            }

            // Native builds (pack unit tests) must not export symbols named
            // after WIT items: native linkers reject `:` in symbol names.
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::transformer::__weir_export_transformer!(
                WeirTransformerExport with_types_in $crate::bindings::transformer
            );
        };
    };
}
