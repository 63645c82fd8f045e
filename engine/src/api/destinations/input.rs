//! What clients send to `/api/v1/destinations`, and its validation: every
//! setting checked when saved, with a 422 naming the field.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::api::extract::double_option;
use crate::delivery::ssrf::AddressPolicy;
use crate::error::ApiError;
use crate::ids::TenantId;
use crate::model::{DestinationUrl, Ordering, PayloadEncryption, RateLimit, SigningSecret};

/// Longest per-destination timeout accepted.
const MAX_TIMEOUT_MS: u64 = 120_000;
/// The largest `max_in_flight` (more is never useful: the instance's
/// `delivery.concurrency` bounds every destination together).
const MAX_IN_FLIGHT: u32 = 10_000;
/// Most custom headers per destination.
const MAX_HEADERS: usize = 32;
/// Most retries a schedule may hold.
const MAX_RETRIES: usize = 20;
/// Longest single retry delay.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(7 * 24 * 3600);
/// Headers Weir sets itself; a destination cannot override them.
use crate::delivery::attempt::RESERVED_HEADERS;

/// Body of `POST /api/v1/destinations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDestination {
    /// Label.
    pub name: String,
    /// The owning tenant; instance administrators only.
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    /// Where deliveries go.
    pub url: DestinationUrl,
    /// A `whsec_…` secret to use instead of a generated one.
    #[serde(default)]
    pub signing_secret: Option<SigningSecret>,
    /// Extra headers (e.g. `Authorization`); sealed at rest, never shown.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Per-attempt timeout in milliseconds (1 to 120000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Refuse `http://` URLs.
    #[serde(default)]
    pub https_only: bool,
    /// Most requests per second.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// Most attempts in flight at once (1 to 10000), instead of the
    /// instance's `delivery.per_destination_concurrency`.
    #[serde(default)]
    pub max_in_flight: Option<u32>,
    /// Retry delays instead of the instance schedule, e.g. `["10s", "1m"]`.
    #[serde(default)]
    pub retry_schedule: Option<Vec<String>>,
    /// `{"mode": "unordered"}` (default) or `{"mode": "fifo", "key": "subject"}`.
    #[serde(default)]
    pub ordering: Ordering,
    /// Encrypt bodies to this X25519 public key.
    #[serde(default)]
    pub encryption: Option<PayloadEncryption>,
    /// Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Body of `PATCH /api/v1/destinations/{id}`: fields left out stay as
/// they are; `null` clears optional ones.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDestination {
    /// Label.
    pub name: Option<String>,
    /// Where deliveries go.
    pub url: Option<DestinationUrl>,
    /// Replaces every custom header; `{}` removes them all.
    pub headers: Option<BTreeMap<String, String>>,
    /// Timeout override; `null` clears it.
    #[serde(default, with = "double_option")]
    pub timeout_ms: Option<Option<u64>>,
    /// Refuse `http://` URLs.
    pub https_only: Option<bool>,
    /// Rate limit; `null` clears it.
    #[serde(default, with = "double_option")]
    pub rate_limit: Option<Option<RateLimit>>,
    /// Attempts in flight at once; `null` returns to the instance's
    /// `delivery.per_destination_concurrency`.
    #[serde(default, with = "double_option")]
    pub max_in_flight: Option<Option<u32>>,
    /// Retry schedule; `null` returns to the instance schedule.
    #[serde(default, with = "double_option")]
    pub retry_schedule: Option<Option<Vec<String>>>,
    /// Ordering.
    pub ordering: Option<Ordering>,
    /// Payload encryption; `null` turns it off.
    #[serde(default, with = "double_option")]
    pub encryption: Option<Option<PayloadEncryption>>,
    /// Enable (clearing a reason Weir disabled it for) or disable.
    pub enabled: Option<bool>,
}

/// Body of `POST /api/v1/destinations/{id}/rotate-secret`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// How long the previous secret keeps signing; default one day.
    #[serde(default)]
    pub grace_secs: Option<u64>,
    /// A `whsec_…` secret to use instead of a generated one.
    #[serde(default)]
    pub signing_secret: Option<SigningSecret>,
}

/// Body of `POST /api/v1/destinations/{id}/recover`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recover {
    /// Deliveries created at or after this time (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    /// Deliveries created before this time (RFC 3339).
    #[serde(default)]
    pub until: Option<String>,
    /// Which states to requeue; default `["dead"]`.
    #[serde(default)]
    pub statuses: Option<Vec<crate::model::DeliveryStatus>>,
}

/// Checks a name.
pub fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid(
            "invalid_name",
            "`name` must be 1 to 200 characters",
        ));
    }
    Ok(name.to_owned())
}

/// Checks a URL against the HTTPS-only setting and the SSRF guard.
pub fn check_url(url: &DestinationUrl, https_only: bool, policy: &AddressPolicy) -> Result<(), ApiError> {
    if https_only && url.url().scheme() != "https" {
        return Err(ApiError::invalid(
            "https_required",
            "`url` must be https:// while `https_only` is set",
        ));
    }
    policy
        .check_url(url.url())
        .map_err(|refused| ApiError::invalid("destination_refused", refused.to_string()))
}

/// Checks a timeout.
pub fn check_timeout(timeout_ms: Option<u64>) -> Result<(), ApiError> {
    if timeout_ms.is_some_and(|ms| ms == 0 || ms > MAX_TIMEOUT_MS) {
        return Err(ApiError::invalid(
            "invalid_timeout",
            format!("`timeout_ms` must be between 1 and {MAX_TIMEOUT_MS}"),
        ));
    }
    Ok(())
}

/// Checks a cap on attempts in flight.
pub fn check_max_in_flight(max_in_flight: Option<u32>) -> Result<(), ApiError> {
    if max_in_flight.is_some_and(|n| n == 0 || n > MAX_IN_FLIGHT) {
        return Err(ApiError::invalid(
            "invalid_max_in_flight",
            format!("`max_in_flight` must be between 1 and {MAX_IN_FLIGHT}"),
        ));
    }
    Ok(())
}

/// Checks a rate limit.
pub fn check_rate_limit(limit: Option<&RateLimit>) -> Result<(), ApiError> {
    if let Some(limit) = limit
        && !(crate::ratelimit::is_settable(limit.per_second)
            && limit.per_second <= 100_000.0
            && limit.burst >= 1
            && limit.burst <= 10_000)
    {
        return Err(ApiError::invalid(
            "invalid_rate_limit",
            "`rate_limit.per_second` must be from 1/86400 (one a day) to 100000, and `burst` from 1 to 10000",
        ));
    }
    Ok(())
}

/// Parses and checks a retry schedule.
pub fn parse_schedule(schedule: Option<&[String]>) -> Result<Option<Vec<Duration>>, ApiError> {
    let Some(schedule) = schedule else {
        return Ok(None);
    };
    if schedule.is_empty() || schedule.len() > MAX_RETRIES {
        return Err(ApiError::invalid(
            "invalid_retry_schedule",
            format!("`retry_schedule` needs 1 to {MAX_RETRIES} delays, e.g. [\"10s\", \"5m\"]"),
        ));
    }
    schedule
        .iter()
        .enumerate()
        .map(|(i, text)| {
            humantime::parse_duration(text)
                .ok()
                .filter(|d| !d.is_zero() && *d <= MAX_RETRY_DELAY)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "invalid_retry_schedule",
                        format!("`retry_schedule[{i}]` `{text}` must be a duration between 1ms and 7days"),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Checks an ordering setting.
pub fn check_ordering(ordering: &Ordering) -> Result<(), ApiError> {
    if let Ordering::Fifo { key } = ordering {
        let valid =
            key == "subject" || (key.starts_with('$') && jsonpath_rust::parser::parse_json_path(key).is_ok());
        if !valid {
            return Err(ApiError::invalid(
                "invalid_ordering",
                format!(
                    "`ordering.key` `{key}` must be `subject` or a JSONPath into the event data, e.g. `$.customer.id`"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a payload encryption key.
pub fn check_encryption(encryption: Option<&PayloadEncryption>) -> Result<(), ApiError> {
    if let Some(encryption) = encryption {
        crate::crypto::envelope::parse_public_key(&encryption.public_key)
            .map_err(|error| ApiError::invalid("invalid_encryption", format!("`encryption`: {error}")))?;
        if encryption.key_id.as_ref().is_some_and(|id| id.len() > 200) {
            return Err(ApiError::invalid(
                "invalid_encryption",
                "`encryption.key_id` is at most 200 characters",
            ));
        }
    }
    Ok(())
}

/// Checks custom headers; returns them with names lowercased.
pub fn check_headers(headers: &BTreeMap<String, String>) -> Result<Vec<(String, String)>, ApiError> {
    if headers.len() > MAX_HEADERS {
        return Err(ApiError::invalid(
            "invalid_headers",
            format!("at most {MAX_HEADERS} headers"),
        ));
    }
    headers
        .iter()
        .map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            if axum::http::HeaderName::from_bytes(lower.as_bytes()).is_err() {
                return Err(ApiError::invalid(
                    "invalid_headers",
                    format!("`{name}` is not a header name"),
                ));
            }
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                return Err(ApiError::invalid(
                    "invalid_headers",
                    format!("`{name}` is set by Weir and cannot be configured"),
                ));
            }
            if axum::http::HeaderValue::from_str(value).is_err() || value.len() > 8192 {
                return Err(ApiError::invalid(
                    "invalid_headers",
                    format!("the value of `{name}` is not a valid header value"),
                ));
            }
            Ok((lower, value.clone()))
        })
        .collect()
}
