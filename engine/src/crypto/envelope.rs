//! Payload encryption to a receiver's public key, for tenants who need
//! confidentiality beyond TLS: HPKE (RFC 9180) in base mode with
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM.
//!
//! The delivered body becomes a JSON envelope:
//!
//! ```json
//! {
//!   "encryption": "hpke-base-x25519-sha256-aes256gcm",
//!   "key_id": "receiver-2026",
//!   "enc": "<base64 encapsulated key, 32 bytes>",
//!   "ciphertext": "<base64 sealed original body>",
//!   "content_type": "application/json"
//! }
//! ```
//!
//! with `info` = `weir webhook payload v1` and the message's `webhook-id`
//! as associated data, so a ciphertext cannot be replayed under another
//! id. The envelope is what Weir signs. Receivers decrypt with any RFC 9180
//! implementation (e.g. `pyhpke` in Python, `hpke` in Rust, Go's
//! `crypto/hpke`), then parse `content_type`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeS, Serializable};
use serde_json::json;

/// The suite name carried in every envelope.
pub const SUITE: &str = "hpke-base-x25519-sha256-aes256gcm";
/// The HPKE `info` string.
pub const INFO: &[u8] = b"weir webhook payload v1";

/// A public key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`public_key` must be base64 of a 32-byte X25519 public key")]
pub struct BadPublicKey;

/// Checks and decodes a base64 X25519 public key.
pub fn parse_public_key(text: &str) -> Result<Vec<u8>, BadPublicKey> {
    let bytes = BASE64.decode(text.trim()).map_err(|_| BadPublicKey)?;
    <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(&bytes).map_err(|_| BadPublicKey)?;
    Ok(bytes)
}

/// Encrypts `body` for `public_key`, bound to `message_id`; returns the
/// envelope's JSON bytes.
pub fn seal(
    public_key: &[u8],
    key_id: Option<&str>,
    message_id: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Vec<u8>, BadPublicKey> {
    let key = <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(public_key).map_err(|_| BadPublicKey)?;
    let mut rng = rand::rng();
    let (encapsulated, ciphertext) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, X25519HkdfSha256, _>(
        &OpModeS::Base,
        &key,
        INFO,
        body,
        message_id.as_bytes(),
        &mut rng,
    )
    .map_err(|_| BadPublicKey)?;
    let envelope = json!({
        "encryption": SUITE,
        "key_id": key_id,
        "enc": BASE64.encode(encapsulated.to_bytes()),
        "ciphertext": BASE64.encode(ciphertext),
        "content_type": content_type,
    });
    Ok(envelope.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hpke::OpModeR;

    #[test]
    fn a_sealed_body_opens_with_the_private_key_and_the_same_id_only() {
        let mut rng = rand::rng();
        let (private, public) = X25519HkdfSha256::gen_keypair(&mut rng);
        let public_b64 = BASE64.encode(public.to_bytes());
        let key = parse_public_key(&public_b64).expect("valid");
        let envelope = seal(&key, Some("k1"), "del_1", "application/json", br#"{"a":1}"#).expect("sealed");
        let envelope: serde_json::Value = serde_json::from_slice(&envelope).expect("json");
        assert_eq!(envelope["encryption"], SUITE);
        let enc = BASE64
            .decode(envelope["enc"].as_str().expect("enc"))
            .expect("b64");
        let ciphertext = BASE64
            .decode(envelope["ciphertext"].as_str().expect("ct"))
            .expect("b64");
        let encapped = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&enc).expect("enc");
        let open = |aad: &[u8]| {
            hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
                &OpModeR::Base,
                &private,
                &encapped,
                INFO,
                &ciphertext,
                aad,
            )
        };
        assert_eq!(open(b"del_1").expect("opens"), br#"{"a":1}"#);
        assert!(open(b"del_2").is_err(), "bound to the message id");
        assert!(parse_public_key("short").is_err());
    }
}
