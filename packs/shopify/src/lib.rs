//! Shopify webhook connector.
//!
//! Verifies `X-Shopify-Hmac-Sha256`: the base64 HMAC-SHA256 of the raw body
//! keyed with the app's client secret (or the store's webhook signing key),
//! accepted when it matches under any of the trigger's `webhook-secret`
//! values (Shopify itself takes up to an hour to switch to a rotated client
//! secret, so keep both during a rotation). Then emits one event: type
//! `shopify.<X-Shopify-Topic>` with `/` as `.` (`orders/create` →
//! `shopify.orders.create`), idempotency key = `X-Shopify-Webhook-Id`,
//! subject = `X-Shopify-Shop-Domain`, time = `X-Shopify-Triggered-At` when
//! present. The data is the JSON body verbatim. Shopify signs no timestamp,
//! so there is no replay window to check: the webhook id deduplicates.

use serde_json::Value;
use weir_sdk::encoding::base64_decode;
use weir_sdk::host::HashAlgorithm;
use weir_sdk::verify::hmac_any;
use weir_sdk::{
    Connector, NewEvent, NoConfig, Receipt, Rejection, Secrets, WebhookRequest, event_type_strict,
};

/// Name of the secret holding the client secret or webhook signing key.
pub const SECRET_NAME: &str = "webhook-secret";

/// The header Shopify signs deliveries in.
pub const HMAC_HEADER: &str = "x-shopify-hmac-sha256";

/// Longest `X-Shopify-Webhook-Id` accepted.
const MAX_ID_LEN: usize = 255;

/// Longest topic accepted.
const MAX_TOPIC_LEN: usize = 120;

/// The Shopify connector.
pub struct Shopify;

impl Connector for Shopify {
    type Config = Value;

    fn receive(request: &WebhookRequest, secrets: &Secrets, config: Value) -> Result<Receipt, Rejection> {
        request.require_method("POST", "Shopify sends webhooks")?;
        // Read after the method check, so a GET is refused as such.
        weir_sdk::config::from_value::<NoConfig>(config).map_err(Rejection::Misconfigured)?;
        let secrets = secrets.require_all(SECRET_NAME)?;
        verify(request, &secrets)?;
        Ok(Receipt::with_event(event(request)?))
    }
}

weir_sdk::export_connector!(Shopify);

/// Checks `X-Shopify-Hmac-Sha256` against the body under any of `secrets`.
pub fn verify(request: &WebhookRequest, secrets: &[&str]) -> Result<(), Rejection> {
    let header = request.require_signature_header(HMAC_HEADER)?;
    let mac = base64_decode(header)
        .filter(|mac| mac.len() == 32)
        .ok_or_else(|| {
            Rejection::Unauthorized("`X-Shopify-Hmac-Sha256` is not a base64 HMAC-SHA256".to_owned())
        })?;
    if hmac_any(HashAlgorithm::Sha256, secrets, &request.body, &[mac]) {
        Ok(())
    } else {
        Err(Rejection::Unauthorized(format!(
            "`X-Shopify-Hmac-Sha256` does not match the body under the trigger's `{SECRET_NAME}`"
        )))
    }
}

/// Builds the event from a verified request.
pub fn event(request: &WebhookRequest) -> Result<NewEvent, Rejection> {
    let topic = request.require_header("x-shopify-topic")?;
    let event_type = event_type(topic)?;
    let id = request.require_header("x-shopify-webhook-id")?.trim();
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(Rejection::Malformed(format!(
            "`X-Shopify-Webhook-Id` must be 1 to {MAX_ID_LEN} bytes"
        )));
    }
    let body = request.body_str()?;
    request.json::<serde::de::IgnoredAny>()?;
    let mut event = NewEvent::new(event_type, id, body);
    if let Some(shop) = non_empty_header(request, "x-shopify-shop-domain") {
        event = event.with_subject(shop);
    }
    if let Some(time) = non_empty_header(request, "x-shopify-triggered-at") {
        event = event.with_time(time);
    }
    Ok(event)
}

/// `orders/create` → `shopify.orders.create`; topics are lowercase words
/// with `_`, joined by `/`.
fn event_type(topic: &str) -> Result<String, Rejection> {
    let topic = topic.trim();
    let refused = || {
        Rejection::Malformed(format!(
            "`X-Shopify-Topic` `{}` is not a topic such as orders/create",
            topic.chars().take(64).collect::<String>()
        ))
    };
    if topic.len() > MAX_TOPIC_LEN {
        return Err(refused());
    }
    event_type_strict("shopify.", topic).map_err(|_| refused())
}

fn non_empty_header<'a>(request: &'a WebhookRequest, name: &str) -> Option<&'a str> {
    request
        .header(name)
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use weir_sdk::testing::{self, sign_base64};

    /// Shopify's own test vector: shopify-app-js
    /// packages/apps/shopify-api/lib/webhooks/__tests__/validate.test.ts
    /// (secret `test_secret_key` from its test config, body `{"foo": "bar"}`).
    const SECRET: &str = "test_secret_key";
    const BODY: &str = r#"{"foo": "bar"}"#;
    const HMAC: &str = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=";

    fn request(hmac: &str, body: &str) -> WebhookRequest {
        let headers = [
            ("X-Shopify-Hmac-Sha256", hmac),
            ("X-Shopify-Topic", "products/create"),
            ("X-Shopify-Webhook-Id", "123456789"),
            ("X-Shopify-Shop-Domain", "shop1.myshopify.io"),
            ("X-Shopify-API-Version", "2023-01"),
            ("X-Shopify-Triggered-At", "2023-03-29T18:00:27.877041743Z"),
        ];
        testing::request("POST", &headers, body)
    }

    fn secrets(values: &[&str]) -> Secrets {
        testing::secrets(SECRET_NAME, values)
    }

    #[test]
    fn shopifys_test_vector_becomes_one_event() {
        let receipt =
            Shopify::receive(&request(HMAC, BODY), &secrets(&[SECRET]), json!({})).expect("accepted");
        let event = &receipt.events[0];
        assert_eq!(event.event_type, "shopify.products.create");
        assert_eq!(event.idempotency_key, "123456789");
        assert_eq!(event.subject.as_deref(), Some("shop1.myshopify.io"));
        assert_eq!(event.time.as_deref(), Some("2023-03-29T18:00:27.877041743Z"));
        assert_eq!(event.data, BODY);
    }

    #[test]
    fn a_rotation_accepts_the_old_and_the_new_secret() {
        assert!(Shopify::receive(&request(HMAC, BODY), &secrets(&["new_secret", SECRET]), json!({})).is_ok());
        let new_hmac = sign_base64(HashAlgorithm::Sha256, "new_secret", BODY);
        assert!(
            Shopify::receive(
                &request(&new_hmac, BODY),
                &secrets(&["new_secret", SECRET]),
                json!({})
            )
            .is_ok()
        );
        assert!(matches!(
            Shopify::receive(&request(HMAC, BODY), &secrets(&["new_secret"]), json!({})),
            Err(Rejection::Unauthorized(_))
        ));
    }

    #[test]
    fn tampered_unreadable_and_missing_signatures_are_refused() {
        for hmac in [
            HMAC.replace('B', "C"),
            "not base64!".to_owned(),
            "aGk=".to_owned(),
        ] {
            assert!(matches!(
                Shopify::receive(&request(&hmac, BODY), &secrets(&[SECRET]), json!({})),
                Err(Rejection::Unauthorized(_))
            ));
        }
        let mut unsigned = request(HMAC, BODY);
        unsigned.headers.retain(|h| h.name != HMAC_HEADER);
        assert!(matches!(
            Shopify::receive(&unsigned, &secrets(&[SECRET]), json!({})),
            Err(Rejection::Unauthorized(reason)) if reason.contains(HMAC_HEADER)
        ));
    }

    #[test]
    fn topics_become_dotted_types() {
        assert_eq!(
            event_type("orders/create").ok().as_deref(),
            Some("shopify.orders.create")
        );
        assert_eq!(
            event_type("customers/data_request").ok().as_deref(),
            Some("shopify.customers.data_request")
        );
        assert!(event_type("orders create").is_err());
        assert!(event_type("").is_err());
    }

    #[test]
    fn configuration_is_refused() {
        assert!(matches!(
            Shopify::receive(&request(HMAC, BODY), &secrets(&[SECRET]), json!({"topic": "x"})),
            Err(Rejection::Misconfigured(reason)) if reason.contains("`topic`")
        ));
    }
}
