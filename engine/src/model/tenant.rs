//! [`Tenant`], [`ApiToken`] and [`Role`]: who owns resources and who may do
//! what with them.

use serde::{Deserialize, Serialize};

use crate::ids::{TenantId, TokenId};
use crate::time::UnixMillis;

/// A tenant: every trigger, destination, rule, event and delivery belongs
/// to exactly one.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tenant {
    /// Identifier, `ten_…`.
    pub id: TenantId,
    /// Display name, e.g. `acme`.
    pub name: String,
    /// Limits on the tenant's inbound webhooks.
    #[serde(default)]
    pub limits: TenantLimits,
    /// When it was created.
    pub created_at_ms: UnixMillis,
}

/// Limits on all of a tenant's triggers together. `None` means the
/// instance default from `[ingest]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantLimits {
    /// Sustained webhooks per second across the tenant's triggers.
    #[serde(default)]
    pub rate_per_second: Option<f64>,
    /// Burst above the sustained rate.
    #[serde(default)]
    pub burst: Option<u32>,
    /// Webhooks accepted per UTC day.
    #[serde(default)]
    pub daily_quota: Option<u64>,
}

/// What a token may do, within its tenant. Ordered: each role includes
/// the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read everything of the tenant.
    Viewer,
    /// Also create, change, delete and replay.
    Operator,
    /// Also manage the tenant's tokens.
    Admin,
}

/// An API token as stored: never the token itself, only its SHA-256 and
/// the short prefix shown to people so they can tell tokens apart.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiToken {
    /// Identifier, `tok_…`.
    pub id: TokenId,
    /// Label, e.g. `ci deploys`.
    pub name: String,
    /// The tenant it acts for; `None` for an instance administrator, who
    /// acts for every tenant.
    pub tenant_id: Option<TenantId>,
    /// What it may do.
    pub role: Role,
    /// The visible part of the token, e.g. `weir_k3j9x2qa`.
    pub prefix: String,
    /// SHA-256 of the whole token, hex.
    pub sha256: String,
    /// When it was created.
    pub created_at_ms: UnixMillis,
    /// When it stops working, if ever.
    pub expires_at_ms: Option<UnixMillis>,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<UnixMillis>,
    /// The token that created it.
    pub created_by: Option<TokenId>,
}

impl ApiToken {
    /// True when the token may be used at `now`.
    pub fn is_active(&self, now: UnixMillis) -> bool {
        self.revoked_at_ms.is_none() && self.expires_at_ms.is_none_or(|at| at > now)
    }
}
