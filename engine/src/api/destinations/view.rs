//! [`DestinationView`]: a destination as the API shows it — never a secret
//! or a header value.

use serde::Serialize;

use crate::ids::{DestinationId, TenantId};
use crate::model::{Destination, Ordering, PayloadEncryption, RateLimit};
use crate::time::{UnixMillis, rfc3339};

/// A destination as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DestinationView {
    /// Identifier.
    pub id: DestinationId,
    /// The owning tenant.
    pub tenant_id: TenantId,
    /// Label.
    pub name: String,
    /// Where deliveries go.
    pub url: String,
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// Why Weir disabled it, if it did.
    pub disabled_reason: Option<String>,
    /// Refuse `http://` URLs.
    pub https_only: bool,
    /// Per-attempt timeout override.
    pub timeout_ms: Option<u64>,
    /// Outbound rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Cap on attempts in flight, when it overrides the instance's.
    pub max_in_flight: Option<u32>,
    /// Retry delays replacing the instance schedule.
    pub retry_schedule: Option<Vec<String>>,
    /// Ordering.
    pub ordering: Ordering,
    /// Payload encryption (public key and key id).
    pub encryption: Option<PayloadEncryption>,
    /// Names of the custom headers (values are never shown).
    pub header_names: Vec<String>,
    /// The signing secrets' lifetimes, newest first (never the secrets).
    pub signing_secrets: Vec<SecretInfo>,
    /// Since when every attempt has failed, while they do.
    pub failing_since: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// The signing secret; only in the answer to `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

/// When a signing secret was made and when it stops signing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecretInfo {
    /// Creation time.
    pub created_at: String,
    /// When it stops signing (after a rotation).
    pub expires_at: Option<String>,
    /// Whether it signs now.
    pub active: bool,
}

impl DestinationView {
    /// The view of `destination` at `now`.
    pub fn of(destination: &Destination, now: UnixMillis) -> Self {
        Self {
            id: destination.id,
            tenant_id: destination.tenant_id,
            name: destination.name.clone(),
            url: destination.url.to_string(),
            enabled: destination.enabled,
            disabled_reason: destination.disabled_reason.clone(),
            https_only: destination.https_only,
            timeout_ms: destination.timeout_ms,
            rate_limit: destination.rate_limit,
            max_in_flight: destination.max_in_flight,
            retry_schedule: destination.retry_schedule.as_ref().map(|s| {
                s.iter()
                    .map(|d| humantime::format_duration(*d).to_string())
                    .collect()
            }),
            ordering: destination.ordering.clone(),
            encryption: destination.encryption.clone(),
            header_names: destination.headers.iter().map(|h| h.name.clone()).collect(),
            signing_secrets: destination
                .signing_secrets
                .iter()
                .enumerate()
                .map(|(index, s)| SecretInfo {
                    created_at: rfc3339(s.created_at_ms),
                    expires_at: s.expires_at_ms.map(rfc3339),
                    active: index == 0 || s.expires_at_ms.is_none_or(|at| at > now),
                })
                .collect(),
            failing_since: destination.failing_since_ms.map(rfc3339),
            created_at: rfc3339(destination.created_at_ms),
            updated_at: rfc3339(destination.updated_at_ms),
            signing_secret: None,
        }
    }
}
