//! Slack's request signing: `X-Slack-Signature: v0=<hex>` is the
//! HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}` under the
//! app's signing secret, and the timestamp must be recent.

use weir_sdk::host::HashAlgorithm;
use weir_sdk::verify::{Tolerance, hmac_any};
use weir_sdk::{Rejection, WebhookRequest};

/// Header carrying the signature, `v0=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-slack-signature";
/// Header carrying the signed Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";

/// Checks the timestamp against `request.received_at_ms` (at most
/// `tolerance` away, in either direction: replays, or a skewed clock), then
/// the signature against each of `secrets` (several during a rotation).
/// Returns the signed timestamp in seconds.
pub fn verify(request: &WebhookRequest, secrets: &[&str], tolerance: Tolerance) -> Result<i64, Rejection> {
    let timestamp_text = request.require_signature_header(TIMESTAMP_HEADER)?.trim();
    let timestamp = parse_timestamp(timestamp_text)?;
    tolerance.check(request, timestamp)?;
    let mac = signature_mac(request.require_signature_header(SIGNATURE_HEADER)?)?;

    let mut base = Vec::with_capacity(request.body.len() + timestamp_text.len() + 4);
    base.extend_from_slice(b"v0:");
    base.extend_from_slice(timestamp_text.as_bytes());
    base.push(b':');
    base.extend_from_slice(&request.body);
    if hmac_any(HashAlgorithm::Sha256, secrets, &base, &[mac]) {
        Ok(timestamp)
    } else {
        Err(Rejection::Unauthorized(
            "`X-Slack-Signature` does not match the timestamp and body".to_owned(),
        ))
    }
}

/// The timestamp header as whole seconds.
fn parse_timestamp(text: &str) -> Result<i64, Rejection> {
    text.parse::<i64>().map_err(|_| {
        Rejection::Unauthorized(format!(
            "`X-Slack-Request-Timestamp` `{text}` is not a Unix time in seconds"
        ))
    })
}

/// The raw MAC from `v0=<hex>`.
fn signature_mac(header: &str) -> Result<Vec<u8>, Rejection> {
    let hex_mac = header
        .trim()
        .strip_prefix("v0=")
        .ok_or_else(|| Rejection::Unauthorized("`X-Slack-Signature` must start with `v0=`".to_owned()))?;
    hex::decode(hex_mac)
        .map_err(|_| Rejection::Unauthorized("`X-Slack-Signature` is not hexadecimal after `v0=`".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{DOC_BODY, DOC_RECEIVED_MS, DOC_SECRET, DOC_SIGNATURE, DOC_TIMESTAMP};

    fn request(
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &str,
        received_at_ms: u64,
    ) -> WebhookRequest {
        let mut headers = Vec::new();
        if let Some(signature) = signature {
            headers.push(("X-Slack-Signature", signature));
        }
        if let Some(timestamp) = timestamp {
            headers.push(("X-Slack-Request-Timestamp", timestamp));
        }
        crate::testing::request("POST", &headers, body, received_at_ms)
    }

    fn doc_request(received_at_ms: u64) -> WebhookRequest {
        request(Some(DOC_SIGNATURE), Some(DOC_TIMESTAMP), DOC_BODY, received_at_ms)
    }

    #[test]
    fn slacks_documented_example_verifies() {
        assert!(matches!(
            verify(&doc_request(DOC_RECEIVED_MS), &[DOC_SECRET], Tolerance::default()),
            Ok(1_531_420_618)
        ));
    }

    #[test]
    fn a_rotated_secret_verifies_in_either_position() {
        let request = doc_request(DOC_RECEIVED_MS);
        assert!(verify(&request, &["old-secret", DOC_SECRET], Tolerance::default()).is_ok());
        assert!(verify(&request, &[DOC_SECRET, "new-secret"], Tolerance::default()).is_ok());
        assert!(matches!(
            verify(&request, &["old-secret", "new-secret"], Tolerance::default()),
            Err(Rejection::Unauthorized(_))
        ));
    }

    #[test]
    fn tampering_with_body_or_timestamp_fails() {
        let tampered = request(
            Some(DOC_SIGNATURE),
            Some(DOC_TIMESTAMP),
            &DOC_BODY.replace("foobar", "foobaz"),
            DOC_RECEIVED_MS,
        );
        assert!(matches!(
            verify(&tampered, &[DOC_SECRET], Tolerance::default()),
            Err(Rejection::Unauthorized(_))
        ));
        let moved = request(Some(DOC_SIGNATURE), Some("1531420619"), DOC_BODY, DOC_RECEIVED_MS);
        assert!(matches!(
            verify(&moved, &[DOC_SECRET], Tolerance::default()),
            Err(Rejection::Unauthorized(_))
        ));
    }

    #[test]
    fn the_tolerance_applies_in_both_directions() {
        let at_edge = DOC_RECEIVED_MS + 300_999;
        assert!(verify(&doc_request(at_edge), &[DOC_SECRET], Tolerance::default()).is_ok());
        assert!(matches!(
            verify(&doc_request(DOC_RECEIVED_MS + 301_000), &[DOC_SECRET], Tolerance::default()),
            Err(Rejection::Stale(reason)) if reason.contains("301 s before")
        ));
        assert!(matches!(
            verify(&doc_request(DOC_RECEIVED_MS - 301_000), &[DOC_SECRET], Tolerance::default()),
            Err(Rejection::Stale(reason)) if reason.contains("301 s after")
        ));
        assert!(
            verify(
                &doc_request(DOC_RECEIVED_MS + 301_000),
                &[DOC_SECRET],
                Tolerance::from_secs(600)
            )
            .is_ok()
        );
    }

    #[test]
    fn missing_or_malformed_headers_are_unauthorized() {
        let cases = [
            (
                request(None, Some(DOC_TIMESTAMP), DOC_BODY, DOC_RECEIVED_MS),
                "x-slack-signature",
            ),
            (
                request(Some(DOC_SIGNATURE), None, DOC_BODY, DOC_RECEIVED_MS),
                "x-slack-request-timestamp",
            ),
            (
                request(Some(DOC_SIGNATURE), Some("yesterday"), DOC_BODY, DOC_RECEIVED_MS),
                "not a Unix time",
            ),
            (
                request(
                    Some(&DOC_SIGNATURE[3..]),
                    Some(DOC_TIMESTAMP),
                    DOC_BODY,
                    DOC_RECEIVED_MS,
                ),
                "v0=",
            ),
            (
                request(Some("v0=zz"), Some(DOC_TIMESTAMP), DOC_BODY, DOC_RECEIVED_MS),
                "hexadecimal",
            ),
        ];
        for (request, expected) in cases {
            match verify(&request, &[DOC_SECRET], Tolerance::default()) {
                Err(Rejection::Unauthorized(reason)) => assert!(reason.contains(expected), "{reason}"),
                other => panic!("expected unauthorized mentioning {expected}, got {other:?}"),
            }
        }
    }
}
