//! Standard Webhooks signatures (symmetric `v1` scheme).
//!
//! The signed content is `"{webhook-id}.{webhook-timestamp}.{raw body}"`;
//! `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256>`
//! entries (several during a key rotation; other versions such as the
//! asymmetric `v1a` are ignored). The key is the base64 decoding of the
//! secret after its `whsec_` prefix.

use weir_sdk::Rejection;
use weir_sdk::encoding::base64_decode;
use weir_sdk::host::HashAlgorithm;
use weir_sdk::verify::hmac_any_key;

/// The prefix Standard Webhooks secrets are shown with.
pub const SECRET_PREFIX: &str = "whsec_";

/// Longest `webhook-timestamp` accepted, in digits.
const MAX_TIMESTAMP_DIGITS: usize = 12;

/// Decodes a secret (`whsec_<base64>` or bare base64) into the HMAC key.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, Rejection> {
    let encoded = secret.trim().strip_prefix(SECRET_PREFIX).unwrap_or(secret.trim());
    base64_decode(encoded)
        .filter(|key| !key.is_empty())
        .ok_or_else(|| {
            Rejection::Misconfigured(
                "a `webhook-secret` value is not base64 (with or without the `whsec_` prefix)".to_owned(),
            )
        })
}

/// Every `v1` signature in a `webhook-signature` header, decoded;
/// unreadable entries are skipped so that one cannot hide another.
pub fn v1_signatures(header: &str) -> Result<Vec<Vec<u8>>, Rejection> {
    let signatures: Vec<Vec<u8>> = header
        .split_ascii_whitespace()
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(base64_decode)
        .filter(|mac| !mac.is_empty())
        .collect();
    if signatures.is_empty() {
        Err(Rejection::Unauthorized(
            "`webhook-signature` has no readable `v1,<base64>` signature".to_owned(),
        ))
    } else {
        Ok(signatures)
    }
}

/// Reads `webhook-timestamp`: whole Unix seconds.
pub fn parse_timestamp(value: &str) -> Result<i64, Rejection> {
    let value = value.trim();
    if value.is_empty() || value.len() > MAX_TIMESTAMP_DIGITS || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Rejection::Unauthorized(
            "`webhook-timestamp` is not a Unix timestamp in seconds".to_owned(),
        ));
    }
    value.parse().map_err(|_| {
        Rejection::Unauthorized("`webhook-timestamp` is not a Unix timestamp in seconds".to_owned())
    })
}

/// Accepts when any signature is the HMAC of `"{id}.{timestamp}.{body}"`
/// under any of `keys` (the trigger's secrets during a rotation).
pub fn verify(
    id: &str,
    timestamp: i64,
    body: &[u8],
    signatures: &[Vec<u8>],
    keys: &[Vec<u8>],
) -> Result<(), Rejection> {
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    if hmac_any_key(HashAlgorithm::Sha256, keys, &signed, signatures) {
        Ok(())
    } else {
        Err(Rejection::Unauthorized(
            "no `v1` signature in `webhook-signature` matches the message under the trigger's `webhook-secret`"
                .to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec repository's signing vector (libraries/go/webhook_test.go
    /// `TestWebhookSign`, libraries/javascript/src/webhook.test.ts "sign
    /// function works").
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    /// The spec tests' deliberately wrong signature.
    const OTHER: &str = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";

    fn key(secret: &str) -> Vec<u8> {
        decode_secret(secret).expect("valid secret")
    }

    #[test]
    fn the_spec_vector_verifies_with_and_without_the_prefix() {
        let signatures = v1_signatures(SIGNATURE).expect("parses");
        assert!(verify(ID, TIMESTAMP, BODY, &signatures, &[key(SECRET)]).is_ok());
        assert!(
            verify(
                ID,
                TIMESTAMP,
                BODY,
                &signatures,
                &[key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
            )
            .is_ok()
        );
        assert!(verify(ID, TIMESTAMP + 1, BODY, &signatures, &[key(SECRET)]).is_err());
        assert!(verify("msg_other", TIMESTAMP, BODY, &signatures, &[key(SECRET)]).is_err());
    }

    #[test]
    fn a_multi_signature_header_verifies_when_any_v1_matches() {
        // The spec tests' "valid multi sig is valid" header.
        let header = format!("{OTHER} v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SIGNATURE} {OTHER}");
        let signatures = v1_signatures(&header).expect("parses");
        assert_eq!(signatures.len(), 3);
        assert!(verify(ID, TIMESTAMP, BODY, &signatures, &[key(SECRET)]).is_ok());
    }

    #[test]
    fn a_rotation_verifies_under_either_key() {
        let signatures = v1_signatures(SIGNATURE).expect("parses");
        let old = key(SECRET);
        let new = key("whsec_c2VjcmV0LWtleS1hZnRlci1yb3RhdGlvbg==");
        assert!(verify(ID, TIMESTAMP, BODY, &signatures, &[new.clone(), old]).is_ok());
        assert!(verify(ID, TIMESTAMP, BODY, &signatures, &[new]).is_err());
    }

    #[test]
    fn unreadable_headers_and_secrets_are_refused() {
        for header in [
            "",
            "v1,",
            "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "v1,!!!",
        ] {
            assert!(
                matches!(v1_signatures(header), Err(Rejection::Unauthorized(_))),
                "{header}"
            );
        }
        // The spec tests' partial signature decodes but never matches.
        let partial = v1_signatures("v1,g0hM9SsE").expect("decodes");
        assert!(verify(ID, TIMESTAMP, BODY, &partial, &[key(SECRET)]).is_err());
        assert!(matches!(
            decode_secret("whsec_!!!"),
            Err(Rejection::Misconfigured(_))
        ));
        assert!(matches!(
            decode_secret("whsec_"),
            Err(Rejection::Misconfigured(_))
        ));
        assert!(parse_timestamp("hello").is_err());
        assert!(parse_timestamp("-1").is_err());
        assert_eq!(parse_timestamp("1614265330").ok(), Some(TIMESTAMP));
    }
}
