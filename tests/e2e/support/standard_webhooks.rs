//! An independent Standard Webhooks verifier, written from the
//! specification (not from Weir's signer), for checking what Weir sends.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Verifies `signature_header` (`v1,<b64> v1,<b64>…`) for the message, as
/// a receiver holding `secret` (`whsec_…`) would. True when any signature
/// matches.
pub fn verify(secret: &str, id: &str, timestamp: &str, body: &[u8], signature_header: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    signature_header.split(' ').any(|part| {
        part.strip_prefix("v1,")
            .and_then(|b64| STANDARD.decode(b64).ok())
            .is_some_and(|sig| sig.as_slice() == expected.as_slice())
    })
}
