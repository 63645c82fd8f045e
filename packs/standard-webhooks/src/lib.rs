//! Standard Webhooks connector (<https://www.standardwebhooks.com>).
//!
//! Verifies the spec's symmetric scheme: `webhook-signature` holds
//! space-separated `v1,<base64>` entries, each an HMAC-SHA256 of
//! `"{webhook-id}.{webhook-timestamp}.{raw body}"` keyed with the base64
//! decoding of the secret after `whsec_` (a bare base64 secret works too).
//! The request is accepted when any `v1` entry matches under any of the
//! trigger's `webhook-secret` values (rotation). `webhook-timestamp` must lie
//! within `tolerance_secs` (default 300) of the receive time in either
//! direction, else the request is `stale`.
//!
//! The verified body (a JSON object with a `type`, per the spec's payload
//! structure) becomes one event: type `<type_prefix><type>` (lowercased;
//! `type_prefix` defaults to empty; a payload without `type` takes the
//! configured `default_type`, else it is malformed), idempotency key =
//! `webhook-id`, time =
//! the payload's `timestamp` when it is a string. The data is the body
//! verbatim.

mod config;
mod signature;

use serde::Deserialize;
use serde_json::Value;
use weir_sdk::{Connector, NewEvent, Receipt, Rejection, Secrets, WebhookRequest};

pub use config::StandardConfig;
pub use signature::{decode_secret, parse_timestamp, v1_signatures, verify};

/// Name of the secret holding the signing secret (`whsec_…`).
pub const SECRET_NAME: &str = "webhook-secret";

/// Longest `webhook-id` accepted as an idempotency key.
const MAX_ID_LEN: usize = 255;

/// Longest event type produced.
const MAX_TYPE_LEN: usize = 200;

/// The Standard Webhooks connector.
pub struct StandardWebhooks;

impl Connector for StandardWebhooks {
    type Config = Value;

    fn receive(request: &WebhookRequest, secrets: &Secrets, config: Value) -> Result<Receipt, Rejection> {
        request.require_method("POST", "Standard Webhooks are sent")?;
        // Read after the method check, so a GET is refused as such.
        let config = weir_sdk::config::from_value::<StandardConfig>(config)
            .map_err(Rejection::Misconfigured)?
            .validate()?;
        let keys = secrets
            .require_all(SECRET_NAME)?
            .into_iter()
            .map(decode_secret)
            .collect::<Result<Vec<_>, _>>()?;
        let id = request.require_signature_header("webhook-id")?.trim();
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(Rejection::Unauthorized(format!(
                "`webhook-id` must be 1 to {MAX_ID_LEN} bytes"
            )));
        }
        let timestamp = parse_timestamp(request.require_signature_header("webhook-timestamp")?)?;
        let signatures = v1_signatures(request.require_signature_header("webhook-signature")?)?;
        verify(id, timestamp, &request.body, &signatures, &keys)?;
        config.tolerance_secs.check(request, timestamp)?;
        Ok(Receipt::with_event(event_from_body(request, id, &config)?))
    }
}

weir_sdk::export_connector!(StandardWebhooks);

/// The fields of the spec's payload structure this connector reads; `data`
/// and anything else are kept verbatim in the event's data.
#[derive(Debug, Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: Option<Value>,
    timestamp: Option<Value>,
}

/// Turns a verified body into the event keyed by `id`.
pub fn event_from_body(
    request: &WebhookRequest,
    id: &str,
    config: &StandardConfig,
) -> Result<NewEvent, Rejection> {
    let body = request.body_str()?;
    let head: Head = serde_json::from_str(body)
        .map_err(|error| Rejection::Malformed(format!("body is not a JSON object: {error}")))?;
    let kind = head
        .kind
        .as_ref()
        .and_then(Value::as_str)
        .or(config.default_type.as_deref())
        .ok_or_else(|| {
            Rejection::Malformed(
                "payload has no `type` string (set `default_type` in the trigger's configuration to accept such payloads)"
                    .to_owned(),
            )
        })?;
    let event_type = event_type(&config.type_prefix, kind)?;
    let mut event = NewEvent::new(event_type, id, body);
    if let Some(time) = head
        .timestamp
        .as_ref()
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        event = event.with_time(time);
    }
    Ok(event)
}

/// `<prefix><type>`, lowercased; refused unless made of letters, digits,
/// `.`, `_` and `-`.
fn event_type(prefix: &str, kind: &str) -> Result<String, Rejection> {
    let event_type = format!("{prefix}{}", kind.to_ascii_lowercase());
    let valid = !kind.is_empty()
        && event_type.len() <= MAX_TYPE_LEN
        && event_type
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if valid {
        Ok(event_type)
    } else {
        Err(Rejection::Malformed(format!(
            "payload `type` `{}` is not a dotted event type (letters, digits, `.`, `_`, `-`)",
            kind.chars().take(64).collect::<String>()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use weir_sdk::host::HashAlgorithm;
    use weir_sdk::testing::{self, RequestBuilder, sign_base64};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const NEW_SECRET: &str = "whsec_c2VjcmV0LWtleS1hZnRlci1yb3RhdGlvbg==";
    const RECEIVED_AT_MS: u64 = 1_795_428_000_000;
    const BODY: &str = r#"{"type":"invoice.paid","timestamp":"2026-11-23T09:59:59Z","data":{"id":"inv_1"}}"#;

    fn signed(secret: &str, id: &str, timestamp: u64, body: &str) -> WebhookRequest {
        let key = decode_secret(secret).unwrap_or_default();
        let mac = sign_base64(HashAlgorithm::Sha256, key, format!("{id}.{timestamp}.{body}"));
        RequestBuilder::post()
            .header("webhook-id", id)
            .header("webhook-timestamp", &timestamp.to_string())
            .header("webhook-signature", &format!("v1,{mac}"))
            .body(body)
            .received_at_ms(RECEIVED_AT_MS)
            .build()
    }

    fn secrets(values: &[&str]) -> Secrets {
        testing::secrets(SECRET_NAME, values)
    }

    fn now() -> u64 {
        RECEIVED_AT_MS / 1000
    }

    #[test]
    fn a_signed_message_becomes_one_event() {
        let request = signed(SECRET, "msg_1", now(), BODY);
        let receipt =
            StandardWebhooks::receive(&request, &secrets(&[SECRET]), json!({"type_prefix": "acme."}))
                .expect("accepted");
        let event = &receipt.events[0];
        assert_eq!(event.event_type, "acme.invoice.paid");
        assert_eq!(event.idempotency_key, "msg_1");
        assert_eq!(event.time.as_deref(), Some("2026-11-23T09:59:59Z"));
        assert_eq!(event.data, BODY);
    }

    #[test]
    fn a_rotation_accepts_the_old_and_the_new_secret() {
        let rotating = secrets(&[NEW_SECRET, SECRET]);
        for secret in [SECRET, NEW_SECRET] {
            let request = signed(secret, "msg_1", now(), BODY);
            assert!(StandardWebhooks::receive(&request, &rotating, json!({})).is_ok());
        }
        let request = signed("whsec_b3RoZXI=", "msg_1", now(), BODY);
        assert!(matches!(
            StandardWebhooks::receive(&request, &rotating, json!({})),
            Err(Rejection::Unauthorized(_))
        ));
    }

    #[test]
    fn an_undecodable_secret_is_misconfiguration() {
        let request = signed(SECRET, "msg_1", now(), BODY);
        assert!(matches!(
            StandardWebhooks::receive(&request, &secrets(&[SECRET, "whsec_***"]), json!({})),
            Err(Rejection::Misconfigured(reason)) if reason.contains("webhook-secret")
        ));
    }

    #[test]
    fn stale_in_both_directions_and_configurable() {
        let old = signed(SECRET, "msg_1", now() - 301, BODY);
        let new = signed(SECRET, "msg_1", now() + 301, BODY);
        for request in [&old, &new] {
            assert!(matches!(
                StandardWebhooks::receive(request, &secrets(&[SECRET]), json!({})),
                Err(Rejection::Stale(_))
            ));
            assert!(
                StandardWebhooks::receive(request, &secrets(&[SECRET]), json!({"tolerance_secs": 400}))
                    .is_ok()
            );
        }
    }

    #[test]
    fn types_are_lowercased_and_checked() {
        assert_eq!(
            event_type("", "User.Created").ok().as_deref(),
            Some("user.created")
        );
        assert!(event_type("", "user created").is_err());
        assert!(event_type("acme.", "").is_err());
    }
}
