//! [`Destination`]: where deliveries are sent, and how they are signed.

use std::fmt;

use serde::{Deserialize, Serialize};

use std::time::Duration;

use super::SigningSecret;
use crate::ids::DestinationId;
use crate::ids::TenantId;
use crate::time::UnixMillis;

/// A destination as stored. Header values are sealed (see
/// `crate::crypto::SecretBox`); signing secrets are never shown after
/// they are created.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Destination {
    /// Identifier, `dst_…`.
    pub id: DestinationId,
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// Operator's label, e.g. `#deploys on Slack`.
    pub name: String,
    /// Where deliveries are POSTed.
    pub url: DestinationUrl,
    /// Standard Webhooks secrets, newest first: the first signs alone once
    /// the others expire; during a rotation every unexpired one signs, so
    /// the receiver can verify with either.
    pub signing_secrets: Vec<RotatingSecret>,
    /// Extra headers sent with every delivery (e.g. `Authorization`),
    /// values sealed at rest.
    #[serde(default)]
    pub headers: Vec<SealedHeader>,
    /// Per-attempt timeout override in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Disabled destinations receive nothing: their deliveries end dead
    /// (and can be recovered once it is enabled again).
    pub enabled: bool,
    /// Why it was disabled, when Weir disabled it (410 Gone, continuous
    /// failure).
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// Refuse plain `http://` URLs.
    #[serde(default)]
    pub https_only: bool,
    /// Most requests per second sent to it.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// Most delivery attempts in flight to it at once, instead of
    /// `delivery.per_destination_concurrency` (all destinations together
    /// stay within `delivery.concurrency`).
    #[serde(default)]
    #[schema(example = 4)]
    pub max_in_flight: Option<u32>,
    /// Retry delays replacing the instance schedule.
    #[serde(default, with = "optional_schedule")]
    #[schema(value_type = Option<Vec<String>>, example = json!(["10s", "1m", "10m"]))]
    pub retry_schedule: Option<Vec<Duration>>,
    /// Parallel, or one at a time per ordering key.
    #[serde(default)]
    pub ordering: Ordering,
    /// Encrypt bodies to the receiver's public key.
    #[serde(default)]
    pub encryption: Option<PayloadEncryption>,
    /// Since when every attempt has failed, while they do.
    #[serde(default)]
    pub failing_since_ms: Option<UnixMillis>,
    /// When it was created.
    pub created_at_ms: UnixMillis,
    /// When it last changed.
    #[serde(default)]
    pub updated_at_ms: UnixMillis,
}

impl Destination {
    /// The secrets that sign at `now`: the newest, plus older ones still
    /// in their grace period.
    pub fn active_secrets(&self, now: UnixMillis) -> Vec<SigningSecret> {
        self.signing_secrets
            .iter()
            .enumerate()
            .filter(|(index, s)| *index == 0 || s.expires_at_ms.is_none_or(|at| at > now))
            .map(|(_, s)| s.secret.clone())
            .collect()
    }
}

/// A signing secret and when it stops signing.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RotatingSecret {
    /// The secret.
    pub secret: SigningSecret,
    /// When it was created.
    pub created_at_ms: UnixMillis,
    /// When a rotation retires it; `None` while it is the newest.
    pub expires_at_ms: Option<UnixMillis>,
}

/// A header whose value is sealed at rest.
#[derive(Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SealedHeader {
    /// Header name, lowercase.
    pub name: String,
    /// The sealed value.
    pub sealed_value: String,
}

impl fmt::Debug for SealedHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedHeader({}: <sealed>)", self.name)
    }
}

/// An outbound rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests allowed at once above the sustained rate; default 1.
    #[serde(default = "one")]
    pub burst: u32,
}

fn one() -> u32 {
    1
}

/// How deliveries to a destination are ordered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Ordering {
    /// In parallel, in any order (the default).
    #[default]
    Unordered,
    /// One at a time per ordering key, in event order; other keys are not
    /// held up. `key` is `subject` (the event's subject) or a JSONPath into
    /// the event data, e.g. `$.customer.id`.
    Fifo {
        /// Where the ordering key comes from.
        key: String,
    },
}

/// Encryption of delivered bodies to the receiver's public key (see
/// `crate::crypto::envelope`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayloadEncryption {
    /// Base64 of the receiver's X25519 public key.
    pub public_key: String,
    /// A label the receiver uses to pick its private key.
    #[serde(default)]
    pub key_id: Option<String>,
}

/// Serde for an optional list of `"5s"`-style durations.
mod optional_schedule {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Vec<Duration>>, serializer: S) -> Result<S::Ok, S::Error> {
        value
            .as_ref()
            .map(|list| {
                list.iter()
                    .map(|d| humantime::format_duration(*d).to_string())
                    .collect::<Vec<_>>()
            })
            .serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<Duration>>, D::Error> {
        Option::<Vec<String>>::deserialize(deserializer)?
            .map(|list| {
                list.iter()
                    .map(|text| {
                        humantime::parse_duration(text).map_err(|error| {
                            serde::de::Error::custom(format!("`{text}` is not a duration like `5s`: {error}"))
                        })
                    })
                    .collect()
            })
            .transpose()
    }
}

/// An absolute `http` or `https` URL without credentials or fragment.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DestinationUrl(reqwest::Url);

/// Text that is not a usable destination URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid destination URL `{url}`: {reason}")]
pub struct InvalidUrl {
    /// What was given.
    pub url: String,
    /// What is wrong with it.
    pub reason: String,
}

impl DestinationUrl {
    /// The parsed URL.
    pub fn url(&self) -> &reqwest::Url {
        &self.0
    }
}

impl TryFrom<String> for DestinationUrl {
    type Error = InvalidUrl;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let invalid = |reason: &str| InvalidUrl {
            url: text.clone(),
            reason: reason.to_owned(),
        };
        let url = reqwest::Url::parse(&text).map_err(|error| invalid(&error.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host().is_none() {
            return Err(invalid("a host is required"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials in the URL are not allowed; use auth headers",
            ));
        }
        if url.fragment().is_some() {
            return Err(invalid("a fragment is never sent; remove it"));
        }
        Ok(Self(url))
    }
}

impl From<DestinationUrl> for String {
    fn from(url: DestinationUrl) -> Self {
        url.0.into()
    }
}

impl fmt::Display for DestinationUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for DestinationUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DestinationUrl({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_validated() {
        assert!(DestinationUrl::try_from("https://hooks.slack.com/services/T/B/X".to_owned()).is_ok());
        for bad in [
            "ftp://x",
            "not a url",
            "http://user:pw@example.com/",
            "https://e.com/#frag",
            "file:///etc/passwd",
        ] {
            assert!(DestinationUrl::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }
}

crate::string_schema!(
    DestinationUrl,
    "An absolute `http` or `https` URL without credentials or fragment.",
    Some("^https?://"),
    "https://hooks.example.com/weir"
);
