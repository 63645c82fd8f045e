//! Stripe webhook connector.
//!
//! Verifies `Stripe-Signature: t=<unix secs>,v1=<hex>[,v1=<hex>…]`: an
//! HMAC-SHA256 of `"{t}.{raw body}"` keyed with the endpoint's signing secret
//! (`whsec_…`, used as raw bytes, as Stripe's SDKs do). The request is
//! accepted when any `v1` matches any of the trigger's `webhook-secret`
//! values, so both Stripe-side secret rolls (two `v1`) and Weir-side
//! rotations (two secret values) work; `v0` is ignored. The signed
//! timestamp must lie within `tolerance_secs` (default 300) of the receive
//! time in either direction, else the request is `stale`.
//!
//! The verified body becomes one event: type `stripe.<type>` (Stripe's types
//! are already dotted, e.g. `invoice.paid` → `stripe.invoice.paid`),
//! idempotency key = the event `id`, subject = `data.object.id` when
//! present, time = `created` (Unix seconds → RFC 3339 UTC; the RFC 3339 text
//! of v2 event notifications is kept as is). The data is the body verbatim.

mod signature;

use serde::Deserialize;
use serde_json::Value;
use weir_sdk::time::rfc3339_checked_from_unix_secs;
use weir_sdk::verify::Tolerance;
use weir_sdk::{Connector, NewEvent, Receipt, Rejection, Secrets, WebhookRequest};

pub use signature::SignatureHeader;

/// Name of the secret holding the endpoint's signing secret (`whsec_…`).
pub const SECRET_NAME: &str = "webhook-secret";

/// The header Stripe signs deliveries in.
pub const SIGNATURE_HEADER: &str = "stripe-signature";

/// Longest event `id` accepted as an idempotency key.
const MAX_ID_LEN: usize = 255;

/// Longest Stripe event type accepted (before the `stripe.` prefix).
const MAX_TYPE_LEN: usize = 190;

/// The Stripe connector.
pub struct Stripe;

/// The trigger's connector configuration: `{"tolerance_secs": 300}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeConfig {
    /// How far, in seconds, the signed timestamp may be from the receive
    /// time, before or after: 1 to 86400, default 300 (Stripe's SDKs'
    /// default).
    #[serde(default)]
    pub tolerance_secs: Tolerance,
}

impl Connector for Stripe {
    type Config = Value;

    fn receive(request: &WebhookRequest, secrets: &Secrets, config: Value) -> Result<Receipt, Rejection> {
        request.require_method("POST", "Stripe sends webhooks")?;
        // Read after the method check, so a GET is refused as such.
        let config: StripeConfig = weir_sdk::config::from_value(config).map_err(Rejection::Misconfigured)?;
        let tolerance = config.tolerance_secs.validate()?;
        let secrets = secrets.require_all(SECRET_NAME)?;
        let header = SignatureHeader::parse(request.require_signature_header(SIGNATURE_HEADER)?)?;
        header.verify(&request.body, &secrets)?;
        tolerance.check(request, header.timestamp)?;
        Ok(Receipt::with_event(event_from_body(request)?))
    }
}

weir_sdk::export_connector!(Stripe);

/// The fields of a Stripe event this connector reads; the rest of the body
/// is skipped while parsing and kept verbatim as the event's data.
#[derive(Debug, Deserialize)]
struct Head {
    id: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    created: Option<Value>,
    data: Option<Data>,
}

#[derive(Debug, Deserialize)]
struct Data {
    object: Option<Object>,
}

#[derive(Debug, Deserialize)]
struct Object {
    id: Option<Value>,
}

/// Turns a verified body into the event.
pub fn event_from_body(request: &WebhookRequest) -> Result<NewEvent, Rejection> {
    let body = request.body_str()?;
    let head: Head = serde_json::from_str(body)
        .map_err(|error| Rejection::Malformed(format!("body is not a Stripe event object: {error}")))?;
    let id = head
        .id
        .as_ref()
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty() && id.len() <= MAX_ID_LEN)
        .ok_or_else(|| {
            Rejection::Malformed(format!(
                "body has no event `id` string of 1 to {MAX_ID_LEN} bytes"
            ))
        })?;
    let kind = head
        .kind
        .as_ref()
        .and_then(Value::as_str)
        .ok_or_else(|| Rejection::Malformed("body has no event `type` string".to_owned()))?;
    if !is_valid_type(kind) {
        return Err(Rejection::Malformed(format!(
            "event `type` `{}` is not a dotted lowercase Stripe event type",
            kind.chars().take(64).collect::<String>()
        )));
    }
    let mut event = NewEvent::new(format!("stripe.{kind}"), id, body);
    let subject = head
        .data
        .and_then(|data| data.object)
        .and_then(|object| object.id)
        .and_then(|id| id.as_str().map(str::to_owned));
    if let Some(subject) = subject.filter(|s| !s.is_empty()) {
        event = event.with_subject(subject);
    }
    if let Some(time) = head.created.as_ref().and_then(created_time) {
        event = event.with_time(time);
    }
    Ok(event)
}

/// `created` is Unix seconds in v1 events and RFC 3339 text in v2 event
/// notifications.
fn created_time(created: &Value) -> Option<String> {
    match created {
        Value::Number(number) => number.as_i64().and_then(rfc3339_checked_from_unix_secs),
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        _ => None,
    }
}

/// Stripe event types are lowercase words joined by `.` and `_`, e.g.
/// `checkout.session.async_payment_succeeded`.
fn is_valid_type(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= MAX_TYPE_LEN
        && !kind.starts_with('.')
        && !kind.ends_with('.')
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use weir_sdk::host::HashAlgorithm;
    use weir_sdk::testing::{self, RequestBuilder, sign_hex};

    const RECEIVED_AT_MS: u64 = 1_795_428_000_000;
    const BODY: &str = r#"{"id":"evt_1","object":"event","created":1795427990,"type":"invoice.paid","data":{"object":{"id":"in_1","object":"invoice"}}}"#;

    fn signature(secret: &str, timestamp: u64, body: &str) -> String {
        sign_hex(HashAlgorithm::Sha256, secret, format!("{timestamp}.{body}"))
    }

    fn request(method: &str, header: Option<String>, body: &str) -> WebhookRequest {
        let header = header.as_deref().map(|h| ("Stripe-Signature", h));
        RequestBuilder::post()
            .method(method)
            .headers(header.as_slice())
            .body(body)
            .received_at_ms(RECEIVED_AT_MS)
            .build()
    }

    fn secrets(values: &[&str]) -> Secrets {
        testing::secrets(SECRET_NAME, values)
    }

    fn signed(secret: &str) -> WebhookRequest {
        let t = RECEIVED_AT_MS / 1000 - 10;
        request(
            "POST",
            Some(format!("t={t},v1={}", signature(secret, t, BODY))),
            BODY,
        )
    }

    #[test]
    fn a_signed_event_becomes_one_event() {
        let receipt =
            Stripe::receive(&signed("whsec_a"), &secrets(&["whsec_a"]), json!({})).expect("accepted");
        let event = &receipt.events[0];
        assert_eq!(event.event_type, "stripe.invoice.paid");
        assert_eq!(event.idempotency_key, "evt_1");
        assert_eq!(event.subject.as_deref(), Some("in_1"));
        assert_eq!(event.time.as_deref(), Some("2026-11-23T09:59:50Z"));
        assert_eq!(event.data, BODY);
    }

    #[test]
    fn a_rotation_accepts_the_old_and_the_new_secret() {
        let rotating = secrets(&["whsec_new", "whsec_old"]);
        assert!(Stripe::receive(&signed("whsec_old"), &rotating, json!({})).is_ok());
        assert!(Stripe::receive(&signed("whsec_new"), &rotating, json!({})).is_ok());
        assert!(matches!(
            Stripe::receive(&signed("whsec_gone"), &rotating, json!({})),
            Err(Rejection::Unauthorized(_))
        ));
    }

    #[test]
    fn tolerance_is_configurable() {
        let t = RECEIVED_AT_MS / 1000 - 400;
        let old = request(
            "POST",
            Some(format!("t={t},v1={}", signature("s", t, BODY))),
            BODY,
        );
        assert!(matches!(
            Stripe::receive(&old, &secrets(&["s"]), json!({})),
            Err(Rejection::Stale(_))
        ));
        assert!(Stripe::receive(&old, &secrets(&["s"]), json!({"tolerance_secs": 500})).is_ok());
    }

    #[test]
    fn bad_configurations_name_the_field() {
        for (config, field) in [
            (json!({"tolerance_secs": "300"}), "`tolerance_secs`"),
            (json!({"tolerance_secs": 0}), "`tolerance_secs`"),
            (json!({"tolerance_secs": -5}), "`tolerance_secs`"),
            (json!({"tolerance_secs": 1.5}), "`tolerance_secs`"),
            (json!({"tolerance_secs": 86_401}), "`tolerance_secs`"),
            (json!({"tolerance": 5}), "`tolerance`"),
            (json!([]), "JSON object"),
        ] {
            assert!(
                matches!(
                    Stripe::receive(&signed("s"), &secrets(&["s"]), config.clone()),
                    Err(Rejection::Misconfigured(reason)) if reason.contains(field)
                ),
                "{config}"
            );
        }
        assert!(matches!(
            Stripe::receive(
                &request("GET", None, ""),
                &secrets(&["s"]),
                json!({"tolerance": 5})
            ),
            Err(Rejection::MethodNotAllowed(_))
        ));
    }

    #[test]
    fn refusals_are_typed() {
        assert!(matches!(
            Stripe::receive(&request("GET", None, ""), &secrets(&["s"]), json!({})),
            Err(Rejection::MethodNotAllowed(_))
        ));
        assert!(matches!(
            Stripe::receive(&request("POST", None, BODY), &secrets(&["s"]), json!({})),
            Err(Rejection::Unauthorized(reason)) if reason.contains("stripe-signature")
        ));
        assert!(matches!(
            Stripe::receive(&signed("s"), &Secrets::default(), json!({})),
            Err(Rejection::Misconfigured(reason)) if reason.contains(SECRET_NAME)
        ));
    }

    #[test]
    fn bodies_without_id_or_type_are_malformed() {
        for body in [
            r#"{"type":"invoice.paid"}"#,
            r#"{"id":"evt_1"}"#,
            r#"{"id":"evt_1","type":"Invoice Paid"}"#,
            "[]",
        ] {
            let t = RECEIVED_AT_MS / 1000;
            let request = request(
                "POST",
                Some(format!("t={t},v1={}", signature("s", t, body))),
                body,
            );
            assert!(
                matches!(
                    Stripe::receive(&request, &secrets(&["s"]), json!({})),
                    Err(Rejection::Malformed(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn v2_notifications_keep_their_rfc3339_created() {
        assert_eq!(
            created_time(&json!("2022-02-15T00:27:45.330Z")).as_deref(),
            Some("2022-02-15T00:27:45.330Z")
        );
        assert_eq!(created_time(&json!(null)), None);
        assert_eq!(created_time(&json!(-1)), None);
    }
}
