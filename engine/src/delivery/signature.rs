//! Standard Webhooks signing (<https://www.standardwebhooks.com>):
//! `webhook-signature: v1,<base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))>`,
//! one space-separated entry per active secret during a rotation.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::host::{HashAlgorithm, compute_hmac};
use crate::model::SigningSecret;

/// The `webhook-signature` header value for `body` under every secret.
pub fn sign(secrets: &[SigningSecret], message_id: &str, timestamp_secs: u64, body: &[u8]) -> String {
    let mut signed = Vec::with_capacity(message_id.len() + 24 + body.len());
    signed.extend_from_slice(message_id.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(timestamp_secs.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    secrets
        .iter()
        .map(|secret| {
            let mac = compute_hmac(HashAlgorithm::Sha256, secret.key(), &signed);
            format!("v1,{}", BASE64.encode(mac))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Standard Webhooks headers of a message sent at `now_ms`:
/// `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature`
/// over `body` under every secret.
pub fn signed_headers(
    secrets: &[SigningSecret],
    message_id: String,
    now_ms: u64,
    body: &[u8],
) -> [(&'static str, String); 3] {
    let timestamp = now_ms / 1000;
    let signature = sign(secrets, &message_id, timestamp, body);
    [
        ("webhook-id", message_id),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the Standard Webhooks specification's reference
    /// implementations.
    #[test]
    fn matches_the_specification_example() {
        let secret =
            SigningSecret::try_from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned()).expect("valid");
        let header = sign(
            &[secret],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn every_secret_signs_during_a_rotation() {
        let secrets = [SigningSecret::generate(), SigningSecret::generate()];
        let header = sign(&secrets, "del_x", 1, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")));
        assert_ne!(parts[0], parts[1]);
    }
}
