//! [`Destination`]: where deliveries are sent, and how they are signed.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::SigningSecret;
use crate::ids::DestinationId;
use crate::ids::TenantId;
use crate::time::UnixMillis;

/// A destination as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Destination {
    /// Identifier, `dst_…`.
    pub id: DestinationId,
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// Operator's label, e.g. `#deploys on Slack`.
    pub name: String,
    /// Where deliveries are POSTed.
    pub url: DestinationUrl,
    /// Standard Webhooks secrets; the first signs, all are sent during a
    /// rotation so the receiver can verify with either.
    pub signing_secrets: Vec<SigningSecret>,
    /// Per-attempt timeout override in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Disabled destinations keep their deliveries pending.
    pub enabled: bool,
    /// When it was created.
    pub created_at_ms: UnixMillis,
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
