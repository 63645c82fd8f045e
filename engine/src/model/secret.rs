//! Secret values: webhook keys, trigger secrets and destination signing
//! secrets. Their `Debug` output is redacted so they never reach a log.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::distr::Alphanumeric;
use rand::{Rng, TryRngCore};
use serde::{Deserialize, Serialize};

/// `n` random characters from `[A-Za-z0-9]`, drawn from the OS CSPRNG.
pub fn random_alphanumeric(n: usize) -> String {
    rand::rngs::OsRng
        .unwrap_err()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// The unguessable part of a webhook URL: `wh_` + 32 alphanumerics.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct WebhookKey(String);

impl WebhookKey {
    /// A fresh key from the OS CSPRNG (about 190 bits of entropy).
    pub fn generate() -> Self {
        Self(format!("wh_{}", random_alphanumeric(32)))
    }

    /// The key as it appears in URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps text taken from a URL; any text is accepted because a lookup
    /// of a malformed key simply finds nothing.
    pub fn from_url_segment(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(7).collect();
        write!(f, "WebhookKey({shown}…)")
    }
}

/// A named secret configured on a trigger, e.g. `webhook-secret`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NamedSecret {
    /// The name the connector asks for.
    pub name: String,
    /// The value.
    pub value: String,
}

impl fmt::Debug for NamedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NamedSecret({}: <redacted>)", self.name)
    }
}

/// A Standard Webhooks signing secret: `whsec_` + base64 of the key bytes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SigningSecret {
    text: String,
    key: Vec<u8>,
}

/// Text that is not a usable signing secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a signing secret must be `whsec_` followed by base64 of 24 to 64 random bytes (got {0} characters)")]
pub struct InvalidSigningSecret(pub usize);

impl SigningSecret {
    /// A fresh secret of 32 random bytes.
    pub fn generate() -> Self {
        let mut key = vec![0u8; 32];
        rand::rngs::OsRng.unwrap_err().fill(&mut key[..]);
        Self {
            text: format!("whsec_{}", BASE64.encode(&key)),
            key,
        }
    }

    /// The raw HMAC key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The secret as shown to the receiver once, `whsec_…`.
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for SigningSecret {
    type Error = InvalidSigningSecret;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let key = text
            .strip_prefix("whsec_")
            .and_then(|encoded| BASE64.decode(encoded).ok())
            .filter(|key| (24..=64).contains(&key.len()))
            .ok_or(InvalidSigningSecret(text.len()))?;
        Ok(Self { text, key })
    }
}

impl From<SigningSecret> for String {
    fn from(secret: SigningSecret) -> Self {
        secret.text
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(whsec_<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_keys_have_the_documented_shape() {
        let key = WebhookKey::generate();
        let rest = key.as_str().strip_prefix("wh_").expect("prefix");
        assert_eq!(rest.len(), 32);
        assert!(rest.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(key, WebhookKey::generate());
        assert!(!format!("{key:?}").contains(rest));
    }

    #[test]
    fn signing_secrets_round_trip_and_bad_ones_are_refused() {
        let secret = SigningSecret::generate();
        let again = SigningSecret::try_from(secret.expose().to_owned()).expect("valid");
        assert_eq!(again.key(), secret.key());
        assert!(SigningSecret::try_from("whsec_short".to_owned()).is_err());
        assert!(SigningSecret::try_from("nope".to_owned()).is_err());
        assert_eq!(format!("{secret:?}"), "SigningSecret(whsec_<redacted>)");
    }
}

crate::string_schema!(
    SigningSecret,
    "A Standard Webhooks signing secret: `whsec_` and base64 of 24 to 64 random bytes.",
    Some("^whsec_[A-Za-z0-9+/=]+$"),
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
);
