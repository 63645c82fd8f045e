//! The `Stripe-Signature` header: `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=<hex>]`.
//!
//! Stripe signs `"{t}.{raw body}"` with HMAC-SHA256 keyed by the endpoint's
//! signing secret, the `whsec_…` string used as raw bytes (Stripe's SDKs do
//! not base64-decode it). While an endpoint secret is being rolled, Stripe
//! sends one `v1` per active secret; `v0` is a legacy test-mode scheme and is
//! ignored, like every other scheme.

use weir_sdk::Rejection;
use weir_sdk::encoding::hex_decode;
use weir_sdk::host::HashAlgorithm;
use weir_sdk::verify::hmac_any;

/// A parsed `Stripe-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// `t=`: when Stripe signed the payload, in Unix seconds.
    pub timestamp: i64,
    /// Every readable `v1=` signature, hex-decoded.
    pub v1: Vec<Vec<u8>>,
}

/// The largest timestamp accepted, in digits: enough until the year 33658.
const MAX_TIMESTAMP_DIGITS: usize = 12;

impl SignatureHeader {
    /// Parses the header. Unreadable `v1` values are skipped (as Stripe's
    /// SDKs do) so that one bad entry cannot hide a good one.
    pub fn parse(header: &str) -> Result<Self, Rejection> {
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for item in header.split(',').map(str::trim) {
            let (key, value) = item.split_once('=').ok_or_else(|| {
                unauthorized("`Stripe-Signature` is not a list of `key=value` items (`t=…,v1=…`)")
            })?;
            match key {
                "t" if timestamp.is_some() => {
                    return Err(unauthorized("`Stripe-Signature` has more than one `t=`"));
                }
                "t" => timestamp = Some(parse_timestamp(value)?),
                "v1" => v1.extend(hex_decode(value).filter(|mac| !mac.is_empty())),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or_else(|| unauthorized("`Stripe-Signature` has no `t=` timestamp"))?;
        if v1.is_empty() {
            return Err(unauthorized(
                "`Stripe-Signature` has no readable `v1=` signature (only `v1` is accepted; `v0` is ignored)",
            ));
        }
        Ok(Self { timestamp, v1 })
    }

    /// Accepts when any `v1` signature is the HMAC of `"{t}.{body}"` under
    /// any of `secrets` (the trigger's values during a rotation).
    pub fn verify(&self, body: &[u8], secrets: &[&str]) -> Result<(), Rejection> {
        let mut signed = format!("{}.", self.timestamp).into_bytes();
        signed.extend_from_slice(body);
        if hmac_any(HashAlgorithm::Sha256, secrets, &signed, &self.v1) {
            Ok(())
        } else {
            Err(unauthorized(
                "no `v1` signature in `Stripe-Signature` matches the body under the trigger's `webhook-secret`",
            ))
        }
    }
}

fn parse_timestamp(value: &str) -> Result<i64, Rejection> {
    if value.is_empty() || value.len() > MAX_TIMESTAMP_DIGITS || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unauthorized(
            "`Stripe-Signature` `t=` is not a Unix timestamp in seconds",
        ));
    }
    value
        .parse()
        .map_err(|_| unauthorized("`Stripe-Signature` `t=` is not a Unix timestamp in seconds"))
}

fn unauthorized(message: &str) -> Rejection {
    Rejection::Unauthorized(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_sdk::testing::sign_hex;

    fn sign(secret: &str, timestamp: i64, body: &str) -> String {
        sign_hex(HashAlgorithm::Sha256, secret, format!("{timestamp}.{body}"))
    }

    #[test]
    fn parses_every_v1_and_ignores_v0_and_unknown_schemes() {
        let header = SignatureHeader::parse("t=12,v1=0a0b,v0=ff,v1=0c,v9=zz,v1=not-hex").expect("parses");
        assert_eq!(header.timestamp, 12);
        assert_eq!(header.v1, vec![vec![0x0a, 0x0b], vec![0x0c]]);
    }

    #[test]
    fn refuses_headers_stripes_sdks_refuse() {
        // From stripe-dotnet EventUtilityTest.ValidateSignatureHandlesIncorrectHeaderValues
        // and the "bad_header" cases of stripe-node, stripe-python and stripe-java.
        for header in [
            "t=,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7",
            "t,v1=,v0=",
            "t,,",
            ",,",
            "t",
            "bad_header",
            "i'm not even a real signature header",
            "t=1533204620,v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef",
            "t=1,t=2,v1=00",
            "t=-5,v1=00",
        ] {
            assert!(
                matches!(SignatureHeader::parse(header), Err(Rejection::Unauthorized(_))),
                "{header} should be refused"
            );
        }
    }

    #[test]
    fn a_rolled_endpoint_secret_sends_two_v1_and_either_verifies() {
        let body = r#"{"id":"evt_1","type":"invoice.paid"}"#;
        let header = format!(
            "t=1795428000,v1={},v1={}",
            sign("whsec_old", 1_795_428_000, body),
            sign("whsec_new", 1_795_428_000, body)
        );
        let parsed = SignatureHeader::parse(&header).expect("parses");
        assert!(parsed.verify(body.as_bytes(), &["whsec_old"]).is_ok());
        assert!(parsed.verify(body.as_bytes(), &["whsec_new"]).is_ok());
        assert!(parsed.verify(body.as_bytes(), &["whsec_other"]).is_err());
    }

    #[test]
    fn the_secret_is_used_as_raw_bytes_not_base64_decoded() {
        let body = "{}";
        let header = format!("t=5,v1={}", sign("whsec_test_secret", 5, body));
        let parsed = SignatureHeader::parse(&header).expect("parses");
        assert!(parsed.verify(body.as_bytes(), &["whsec_test_secret"]).is_ok());
        assert!(parsed.verify(body.as_bytes(), &["test_secret"]).is_err());
    }
}
