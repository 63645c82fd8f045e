//! [`AuditEntry`]: one admin mutation in the audit log.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{AuditId, TenantId};
use crate::time::UnixMillis;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Created.
    Create,
    /// Changed.
    Update,
    /// Deleted.
    Delete,
    /// A secret rotated.
    Rotate,
    /// Enabled.
    Enable,
    /// Disabled.
    Disable,
    /// A key or secret regenerated.
    Regenerate,
    /// A token revoked.
    Revoke,
    /// Deliveries replayed or recovered.
    Replay,
    /// A quarantine lifted.
    Lift,
}

/// One field that changed; secrets are `"[redacted]"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    /// Dotted path, e.g. `policy.max_body_bytes`.
    pub field: String,
    /// The value before (`null` when it did not exist).
    pub before: Value,
    /// The value after (`null` when it no longer exists).
    pub after: Value,
}

/// One admin mutation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Identifier, `aud_…`; orders entries by time.
    pub id: AuditId,
    /// When, milliseconds since the epoch.
    pub at_ms: UnixMillis,
    /// Who: the API token's prefix, or `bootstrap`.
    pub actor: String,
    /// The tenant the resource belongs to (none for instance-wide
    /// resources such as instance tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<TenantId>,
    /// What was done.
    pub action: AuditAction,
    /// `trigger`, `destination`, `rule`, `tenant`, `token`, `delivery`, `pack`.
    pub resource_type: String,
    /// The resource's id.
    pub resource_id: String,
    /// The request that did it (`X-Request-Id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field-level changes, secrets redacted.
    pub changes: Vec<FieldChange>,
}
