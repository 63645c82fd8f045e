//! Signature, token and timestamp checks every connector needs, written
//! once: rotation-aware (any secret × any signature), constant time, with
//! rejections that say what failed.

use crate::host::{self, HashAlgorithm};
use crate::{Rejection, WebhookRequest};

/// True when any of `signatures` is `HMAC(algorithm, secret, message)` for
/// any of `secrets` (several during a rotation). Compared in constant time
/// by the host.
pub fn hmac_any(algorithm: HashAlgorithm, secrets: &[&str], message: &[u8], signatures: &[Vec<u8>]) -> bool {
    secrets.iter().any(|secret| {
        let expected = host::hmac(algorithm, secret.as_bytes(), message);
        signatures
            .iter()
            .any(|signature| host::constant_time_equals(&expected, signature))
    })
}

/// True when `presented` equals any of `secrets`, for shared-token schemes
/// (GitLab's `X-Gitlab-Token`, Google's channel token). Digests are
/// compared so that neither content nor length leaks through timing.
pub fn token_any(secrets: &[&str], presented: &str) -> bool {
    let presented = host::digest(HashAlgorithm::Sha256, presented.as_bytes());
    secrets.iter().any(|secret| {
        let expected = host::digest(HashAlgorithm::Sha256, secret.as_bytes());
        host::constant_time_equals(&expected, &presented)
    })
}

/// Checks a signed timestamp (seconds since the epoch) against the time
/// Weir received the request: more than `tolerance_secs` in the past or
/// the future is `stale`. Use the request's receive time, never the clock,
/// so fixtures replay deterministically.
pub fn within_tolerance(
    request: &WebhookRequest,
    signed_at_secs: i64,
    tolerance_secs: u64,
) -> Result<(), Rejection> {
    let received_secs = i64::try_from(request.received_at_ms / 1000).unwrap_or(i64::MAX);
    let skew = received_secs.saturating_sub(signed_at_secs);
    let tolerance = i64::try_from(tolerance_secs).unwrap_or(i64::MAX);
    if skew > tolerance {
        Err(Rejection::Stale(format!(
            "signed {skew} s before it was received; the tolerance is {tolerance_secs} s"
        )))
    } else if -skew > tolerance {
        Err(Rejection::Stale(format!(
            "signed {} s after it was received (clock skew or replay); the tolerance is {tolerance_secs} s",
            -skew
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Header;

    fn request(received_at_ms: u64) -> WebhookRequest {
        WebhookRequest {
            method: "POST".into(),
            query: String::new(),
            headers: vec![Header::new("x", "y")],
            body: Vec::new(),
            client_address: None,
            received_at_ms,
        }
    }

    #[test]
    fn any_secret_and_any_signature_verifies() {
        let good = host::hmac(HashAlgorithm::Sha256, b"new", b"body");
        assert!(hmac_any(
            HashAlgorithm::Sha256,
            &["old", "new"],
            b"body",
            &[vec![0; 32], good.clone()]
        ));
        assert!(!hmac_any(HashAlgorithm::Sha256, &["old"], b"body", &[good]));
        assert!(token_any(&["a", "b"], "b"));
        assert!(!token_any(&["a"], "ab"));
    }

    #[test]
    fn tolerance_is_checked_both_ways() {
        let request = request(1_000_000);
        assert!(within_tolerance(&request, 1_000, 0).is_ok());
        assert!(within_tolerance(&request, 700, 300).is_ok());
        assert!(
            matches!(within_tolerance(&request, 699, 300), Err(Rejection::Stale(m)) if m.contains("before"))
        );
        assert!(
            matches!(within_tolerance(&request, 1_301, 300), Err(Rejection::Stale(m)) if m.contains("after"))
        );
    }
}
