//! Slack connector: receives the Events API, interactivity and slash
//! commands on one Request URL.
//!
//! Every request is verified first: `X-Slack-Request-Timestamp` must be
//! within `tolerance_secs` (default 300) of the time Weir received the
//! request, in either direction (`stale` otherwise), and `X-Slack-Signature:
//! v0=<hex>` must be the HMAC-SHA256 of `v0:{timestamp}:{raw body}` under
//! one of the trigger's `signing-secret` values (several during a
//! rotation). Then:
//!
//! - `url_verification` is answered with its `challenge` as `text/plain`
//!   (Slack's documented plain-text answer) and stores nothing;
//! - `event_callback` becomes `slack.<event.type>` (e.g. `slack.app_mention`),
//!   keyed by `event_id`, about `event.channel`, at `event_time`; Slack's
//!   retries (`X-Slack-Retry-Num`) reuse the `event_id` and are dropped as
//!   duplicates by Weir;
//! - `payload=<json>` forms become `slack.interaction.<type>` keyed by
//!   `trigger_id` (SHA-256 of the payload when it has none);
//! - slash-command forms become `slack.command` keyed by `trigger_id`.

use serde::Deserialize;
use weir_sdk::verify::Tolerance;
use weir_sdk::{Connector, Receipt, Rejection, Secrets, WebhookRequest};

mod body;
mod signature;
#[cfg(test)]
mod testing;

pub use signature::verify;

/// Name of the secret this connector needs, as declared in `pack.toml`.
pub const SECRET_NAME: &str = "signing-secret";

/// The Slack connector.
pub struct SlackConnector;

/// The trigger's connector settings; every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// How far, in seconds, `X-Slack-Request-Timestamp` may be from the
    /// receive time in either direction; 1 to 86400, default 300 (Slack's
    /// recommendation).
    #[serde(default)]
    pub tolerance_secs: Tolerance,
}

impl Connector for SlackConnector {
    type Config = SlackConfig;

    fn receive(
        request: &WebhookRequest,
        secrets: &Secrets,
        config: SlackConfig,
    ) -> Result<Receipt, Rejection> {
        request.require_method("POST", "Slack sends requests")?;
        let tolerance = config.tolerance_secs.validate()?;
        let secrets = secrets.require_all(SECRET_NAME)?;
        let signed_at = signature::verify(request, &secrets, tolerance)?;
        body::receipt(request, signed_at)
    }
}

weir_sdk::export_connector!(SlackConnector);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{
        DOC_BODY, DOC_RECEIVED_MS, DOC_SECRET, DOC_SIGNATURE, DOC_TIMESTAMP, request, sign,
    };

    fn doc_request(method: &str) -> WebhookRequest {
        request(
            method,
            &[
                ("X-Slack-Signature", DOC_SIGNATURE),
                ("X-Slack-Request-Timestamp", DOC_TIMESTAMP),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            DOC_BODY,
            DOC_RECEIVED_MS,
        )
    }

    fn secrets(values: &[&str]) -> Secrets {
        weir_sdk::testing::secrets(SECRET_NAME, values)
    }

    #[test]
    fn the_documented_slash_command_becomes_one_event() {
        let receipt = SlackConnector::receive(
            &doc_request("POST"),
            &secrets(&[DOC_SECRET]),
            SlackConfig::default(),
        )
        .expect("accepted");
        let event = &receipt.events[0];
        assert_eq!(event.event_type, "slack.command");
        assert_eq!(
            event.idempotency_key,
            "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
        );
        assert_eq!(event.subject.as_deref(), Some("G8PSS9T3V"));
        assert_eq!(event.time.as_deref(), Some("2018-07-12T18:36:58Z"));
        assert!(receipt.reply.is_none());
    }

    #[test]
    fn a_trigger_mid_rotation_accepts_the_old_and_the_new_secret() {
        let config = SlackConfig::default;
        let request = doc_request("POST");
        assert!(SlackConnector::receive(&request, &secrets(&["new-secret", DOC_SECRET]), config()).is_ok());
        assert!(SlackConnector::receive(&request, &secrets(&[DOC_SECRET, "new-secret"]), config()).is_ok());
        assert!(matches!(
            SlackConnector::receive(&request, &secrets(&["new-secret", "older-secret"]), config()),
            Err(Rejection::Unauthorized(_))
        ));
    }

    #[test]
    fn a_retry_carries_the_same_event_id_so_it_deduplicates() {
        let body = r#"{"type":"event_callback","event_id":"Ev08MFMKH6","event_time":1795427990,"event":{"type":"message","channel":"C2147483705","text":"Hello"}}"#;
        let timestamp = "1795428000";
        let signature = sign(DOC_SECRET, timestamp, body);
        let first = request(
            "POST",
            &[
                ("X-Slack-Signature", &signature),
                ("X-Slack-Request-Timestamp", timestamp),
            ],
            body,
            1_795_428_000_000,
        );
        let mut retry = first.clone();
        retry
            .headers
            .push(weir_sdk::Header::new("X-Slack-Retry-Num", "1"));
        retry
            .headers
            .push(weir_sdk::Header::new("X-Slack-Retry-Reason", "http_timeout"));
        let keys: Vec<String> = [first, retry]
            .iter()
            .map(|request| {
                let receipt =
                    SlackConnector::receive(request, &secrets(&[DOC_SECRET]), SlackConfig::default())
                        .expect("accepted");
                receipt.events[0].idempotency_key.clone()
            })
            .collect();
        assert_eq!(keys, ["Ev08MFMKH6", "Ev08MFMKH6"]);
    }

    #[test]
    fn only_post_is_accepted() {
        assert!(matches!(
            SlackConnector::receive(
                &doc_request("GET"),
                &secrets(&[DOC_SECRET]),
                SlackConfig::default()
            ),
            Err(Rejection::MethodNotAllowed(_))
        ));
    }

    #[test]
    fn configuration_and_secrets_are_checked() {
        let request = doc_request("POST");
        assert!(matches!(
            SlackConnector::receive(&request, &Secrets::default(), SlackConfig::default()),
            Err(Rejection::Misconfigured(reason)) if reason.contains(SECRET_NAME)
        ));
        for secs in [0, Tolerance::MAX_SECS + 1] {
            let tolerance_secs = Tolerance::from_secs(secs);
            assert!(matches!(
                SlackConnector::receive(&request, &secrets(&[DOC_SECRET]), SlackConfig { tolerance_secs }),
                Err(Rejection::Misconfigured(reason)) if reason.contains("tolerance_secs")
            ));
        }
        let parsed: Result<SlackConfig, _> = serde_json::from_str(r#"{"tolerance": 5}"#);
        assert!(parsed.is_err(), "unknown fields are refused");
    }
}
