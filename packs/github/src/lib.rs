//! GitHub webhook connector.
//!
//! Verifies `X-Hub-Signature-256` (HMAC-SHA256 of the raw body under the
//! trigger's `webhook-secret`, compared in constant time by the host), then
//! emits one event of type `github.<X-GitHub-Event>` whose idempotency key is
//! `X-GitHub-Delivery` and whose data is the JSON payload. The legacy SHA-1
//! header `X-Hub-Signature` is never accepted in its place. GitHub's `ping`
//! (sent when a webhook is created) is acknowledged without storing an event.

use serde::Deserialize;
use weir_sdk::host::{self, HashAlgorithm};
use weir_sdk::{Connector, NewEvent, NoConfig, Receipt, Rejection, Secrets, WebhookRequest};

/// Name of the secret this connector needs, as declared in `pack.toml`.
pub const SECRET_NAME: &str = "webhook-secret";

/// The GitHub connector.
pub struct Github;

impl Connector for Github {
    type Config = NoConfig;

    fn receive(request: &WebhookRequest, secrets: &Secrets, _config: NoConfig) -> Result<Receipt, Rejection> {
        request.require_method("POST", "GitHub sends webhooks")?;
        let secret = secrets.require(SECRET_NAME)?;
        verify_signature(request, secret)?;

        let event_name = request.require_header("x-github-event")?;
        if !is_valid_event_name(event_name) {
            return Err(Rejection::Malformed(format!(
                "`X-GitHub-Event` `{event_name}` is not an event name"
            )));
        }
        let delivery = request.require_header("x-github-delivery")?;
        if delivery.is_empty() || delivery.len() > 200 {
            return Err(Rejection::Malformed(
                "`X-GitHub-Delivery` must be 1 to 200 characters".to_owned(),
            ));
        }
        if event_name == "ping" {
            return Err(Rejection::Ignored(format!(
                "ping for hook {}",
                request.header("x-github-hook-id").unwrap_or("(unknown)")
            )));
        }

        let payload = payload_text(request)?;
        // One pass validates the whole document and picks out the few
        // fields the subject needs; the payload itself is kept verbatim.
        let head: Head = serde_json::from_str(&payload)
            .map_err(|error| Rejection::Malformed(format!("body is not valid JSON: {error}")))?;
        let mut event = NewEvent::new(format!("github.{event_name}"), delivery, payload);
        if let Some(subject) = head.subject(event_name) {
            event = event.with_subject(subject);
        }
        Ok(Receipt::with_event(event))
    }
}

weir_sdk::export_connector!(Github);

/// Checks `X-Hub-Signature-256: sha256=<hex>` against the body.
pub fn verify_signature(request: &WebhookRequest, secret: &str) -> Result<(), Rejection> {
    let header = request.require_signature_header("x-hub-signature-256")?;
    let hex_mac = header.strip_prefix("sha256=").ok_or_else(|| {
        Rejection::Unauthorized("`X-Hub-Signature-256` must start with `sha256=`".to_owned())
    })?;
    let mac = hex::decode(hex_mac)
        .map_err(|_| Rejection::Unauthorized("`X-Hub-Signature-256` is not hexadecimal".to_owned()))?;
    if host::verify_hmac(HashAlgorithm::Sha256, secret.as_bytes(), &request.body, &mac) {
        Ok(())
    } else {
        Err(Rejection::Unauthorized(
            "`X-Hub-Signature-256` does not match the body".to_owned(),
        ))
    }
}

/// The payload's JSON text. GitHub sends either `application/json` or,
/// when the hook is configured for it, a form with the JSON in its
/// `payload` field.
fn payload_text(request: &WebhookRequest) -> Result<String, Rejection> {
    let is_form = request
        .header("content-type")
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let body = request.body_str()?;
    if !is_form {
        return Ok(body.to_owned());
    }
    let payload = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("payload="))
        .ok_or_else(|| Rejection::Malformed("form body has no `payload` field".to_owned()))?;
    Ok(weir_sdk::percent_decode(payload))
}

/// The fields of a payload the subject is made of; everything else is
/// skipped while parsing.
#[derive(Debug, Default, Deserialize)]
struct Head {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    pull_request: Option<Numbered>,
    issue: Option<Numbered>,
}

#[derive(Debug, Default, Deserialize)]
struct Numbered {
    number: Option<u64>,
}

impl Head {
    /// What the event is about: the ref for pushes, the number for issues
    /// and pull requests.
    fn subject(&self, event_name: &str) -> Option<String> {
        match event_name {
            "push" | "create" | "delete" => self.git_ref.clone(),
            "pull_request" | "pull_request_review" | "pull_request_review_comment" => {
                self.pull_request.as_ref()?.number.map(|n| format!("pull/{n}"))
            }
            "issues" | "issue_comment" => self.issue.as_ref()?.number.map(|n| format!("issues/{n}")),
            _ => None,
        }
    }
}

/// GitHub event names are lowercase words joined by underscores.
fn is_valid_event_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_sdk::testing::{self, sign_hex};

    /// GitHub's documented test vector ("Validating webhook deliveries").
    const DOC_SECRET: &str = "It's a Secret to Everybody";
    const DOC_BODY: &str = "Hello, World!";
    const DOC_SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn request(headers: &[(&str, &str)], body: &str) -> WebhookRequest {
        testing::request("POST", headers, body)
    }

    fn sign(secret: &str, body: &str) -> String {
        format!("sha256={}", sign_hex(HashAlgorithm::Sha256, secret, body))
    }

    fn secrets() -> Secrets {
        testing::secrets(SECRET_NAME, &[DOC_SECRET])
    }

    #[test]
    fn githubs_documented_vector_verifies() {
        let request = request(&[("X-Hub-Signature-256", DOC_SIGNATURE)], DOC_BODY);
        assert!(verify_signature(&request, DOC_SECRET).is_ok());
    }

    #[test]
    fn a_tampered_body_fails() {
        let request = request(&[("X-Hub-Signature-256", DOC_SIGNATURE)], "Hello, World?");
        assert!(matches!(
            verify_signature(&request, DOC_SECRET),
            Err(Rejection::Unauthorized(_))
        ));
    }

    #[test]
    fn the_legacy_sha1_header_is_not_accepted() {
        let sha1 = format!("sha1={}", sign_hex(HashAlgorithm::Sha1, DOC_SECRET, DOC_BODY));
        let request = request(&[("X-Hub-Signature", &sha1)], DOC_BODY);
        assert!(matches!(
            verify_signature(&request, DOC_SECRET),
            Err(Rejection::Unauthorized(reason)) if reason.contains("missing")
        ));
    }

    #[test]
    fn a_push_becomes_one_event() {
        let body = r#"{"ref":"refs/heads/main","commits":[]}"#;
        let signature = sign(DOC_SECRET, body);
        let request = request(
            &[
                ("X-Hub-Signature-256", &signature),
                ("X-GitHub-Event", "push"),
                ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
            ],
            body,
        );
        let receipt = Github::receive(&request, &secrets(), NoConfig {}).expect("accepted");
        assert_eq!(receipt.events.len(), 1);
        let event = &receipt.events[0];
        assert_eq!(event.event_type, "github.push");
        assert_eq!(event.idempotency_key, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        assert_eq!(event.subject.as_deref(), Some("refs/heads/main"));
    }

    #[test]
    fn a_form_encoded_payload_is_unwrapped() {
        let body = "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D";
        let signature = sign(DOC_SECRET, body);
        let request = request(
            &[
                ("X-Hub-Signature-256", &signature),
                ("X-GitHub-Event", "push"),
                ("X-GitHub-Delivery", "d1"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body,
        );
        let receipt = Github::receive(&request, &secrets(), NoConfig {}).expect("accepted");
        assert_eq!(receipt.events[0].data, r#"{"ref":"refs/heads/main"}"#);
    }

    #[test]
    fn ping_is_ignored_and_a_missing_secret_is_misconfiguration() {
        let body = r#"{"zen":"Keep it logically awesome."}"#;
        let signature = sign(DOC_SECRET, body);
        let headers = [
            ("X-Hub-Signature-256", signature.as_str()),
            ("X-GitHub-Event", "ping"),
            ("X-GitHub-Delivery", "d2"),
        ];
        let ping = request(&headers, body);
        assert!(matches!(
            Github::receive(&ping, &secrets(), NoConfig {}),
            Err(Rejection::Ignored(_))
        ));
        assert!(matches!(
            Github::receive(&ping, &Secrets::default(), NoConfig {}),
            Err(Rejection::Misconfigured(_))
        ));
    }
}
