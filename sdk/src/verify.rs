//! Signature, token and timestamp checks every connector needs, written
//! once: rotation-aware (any secret × any signature), constant time, with
//! rejections that say what failed.

use crate::host::{self, HashAlgorithm};
use crate::{Rejection, WebhookRequest};

/// True when any of `signatures` is `HMAC(algorithm, secret, message)` for
/// any of `secrets` (several during a rotation). Compared in constant time
/// by the host.
pub fn hmac_any(algorithm: HashAlgorithm, secrets: &[&str], message: &[u8], signatures: &[Vec<u8>]) -> bool {
    hmac_any_key(algorithm, secrets, message, signatures)
}

/// [`hmac_any`] for keys that are bytes rather than the secret's text,
/// e.g. Standard Webhooks' base64-decoded `whsec_…` secrets.
pub fn hmac_any_key<K: AsRef<[u8]>>(
    algorithm: HashAlgorithm,
    keys: &[K],
    message: &[u8],
    signatures: &[Vec<u8>],
) -> bool {
    keys.iter().any(|key| {
        let expected = host::hmac(algorithm, key.as_ref(), message);
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

/// A connector's `tolerance_secs` setting: how far, in seconds, a signed
/// timestamp may be from the time Weir received the request, before or
/// after. Deserializes from a whole number of seconds and is 300 (five
/// minutes, what Stripe, Slack and Standard Webhooks recommend) when the
/// field is left out:
///
/// ```ignore
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct AcmeConfig {
///     #[serde(default)]
///     tolerance_secs: weir_sdk::verify::Tolerance,
/// }
/// ```
///
/// Call [`Tolerance::validate`] where the connector checks its
/// configuration: it refuses 0 and more than a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Tolerance(u64);

impl Tolerance {
    /// The default, five minutes.
    pub const DEFAULT_SECS: u64 = 300;
    /// The largest tolerance accepted, one day: a wider window would make
    /// the timestamp useless against replays.
    pub const MAX_SECS: u64 = 86_400;

    /// A tolerance of `secs` seconds (not yet validated).
    pub fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// The tolerance in seconds.
    pub fn secs(self) -> u64 {
        self.0
    }

    /// The tolerance, or a `misconfigured` rejection naming
    /// `tolerance_secs` when it is 0 or more than [`Tolerance::MAX_SECS`].
    pub fn validate(self) -> Result<Self, Rejection> {
        if (1..=Self::MAX_SECS).contains(&self.0) {
            Ok(self)
        } else {
            Err(Rejection::Misconfigured(format!(
                "configuration field `tolerance_secs` must be a whole number of seconds from 1 to {}, not {}",
                Self::MAX_SECS,
                self.0
            )))
        }
    }

    /// [`within_tolerance`] with this tolerance.
    pub fn check(self, request: &WebhookRequest, signed_at_secs: i64) -> Result<(), Rejection> {
        within_tolerance(request, signed_at_secs, self.0)
    }
}

impl Default for Tolerance {
    fn default() -> Self {
        Self(Self::DEFAULT_SECS)
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
        let good = [good];
        assert!(!hmac_any(HashAlgorithm::Sha256, &["old"], b"body", &good));
        let keys = [vec![0xff_u8, 0x00], b"new".to_vec()];
        assert!(hmac_any_key(HashAlgorithm::Sha256, &keys, b"body", &good));
        assert!(!hmac_any_key(HashAlgorithm::Sha256, &keys[..1], b"body", &good));
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

    #[test]
    fn tolerance_settings_default_to_five_minutes_and_are_bounded() {
        #[derive(serde::Deserialize)]
        struct Config {
            #[serde(default)]
            tolerance_secs: Tolerance,
        }
        let parsed = |text: &str| crate::config::from_text::<Config>(text).map(|c| c.tolerance_secs);
        assert_eq!(parsed("{}"), Ok(Tolerance::from_secs(300)));
        assert_eq!(parsed(r#"{"tolerance_secs": 60}"#), Ok(Tolerance::from_secs(60)));
        assert!(parsed(r#"{"tolerance_secs": "60"}"#).is_err_and(|e| e.contains("`tolerance_secs`")));
        assert!(parsed(r#"{"tolerance_secs": -1}"#).is_err());
        for secs in [0, Tolerance::MAX_SECS + 1] {
            assert!(matches!(
                Tolerance::from_secs(secs).validate(),
                Err(Rejection::Misconfigured(m)) if m.contains("`tolerance_secs`")
            ));
        }
        assert_eq!(
            Tolerance::from_secs(86_400).validate().ok().map(Tolerance::secs),
            Some(86_400)
        );
        let request = request(1_000_000);
        assert!(Tolerance::default().check(&request, 700).is_ok());
        assert!(matches!(
            Tolerance::default().check(&request, 699),
            Err(Rejection::Stale(_))
        ));
    }
}
