//! The audit log (`audit`): one entry per admin mutation, keyed by its
//! time-ordered id, read newest first with filters. Appends are synced
//! before they return, like the configuration records they describe.

use std::ops::Bound;

use ulid::Ulid;

use super::codec::{decode, encode};
use super::{Store, StoreError};
use crate::ids::{AuditId, TenantId};
use crate::model::AuditEntry;
use crate::time::UnixMillis;

/// Most entries one listing examines (see `requests::MAX_SCAN`).
const MAX_SCAN: usize = 20_000;

/// Which audit entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this tenant's entries; `None` means all of them.
    pub tenant_id: Option<TenantId>,
    /// Only this resource type.
    pub resource_type: Option<String>,
    /// Only this resource.
    pub resource_id: Option<String>,
    /// Only this actor (token prefix or `bootstrap`).
    pub actor: Option<String>,
    /// Only entries at or after this time.
    pub since_ms: Option<UnixMillis>,
    /// Only entries at or before this time.
    pub until_ms: Option<UnixMillis>,
}

impl AuditFilter {
    fn accepts(&self, entry: &AuditEntry) -> bool {
        self.tenant_id.is_none_or(|id| entry.tenant_id == Some(id))
            && self
                .resource_type
                .as_ref()
                .is_none_or(|t| *t == entry.resource_type)
            && self.resource_id.as_ref().is_none_or(|r| *r == entry.resource_id)
            && self.actor.as_ref().is_none_or(|a| *a == entry.actor)
    }
}

impl Store {
    /// Appends `entry` and syncs.
    pub fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.check_writable()?;
        self.trees().audit.insert(entry.id.to_bytes(), encode(entry)?)?;
        self.sync()
    }

    /// Up to `limit` entries matching `filter`, newest first, older than
    /// `before`; the second value is where the next page starts, if one
    /// may follow.
    pub fn audit_entries(
        &self,
        filter: &AuditFilter,
        before: Option<AuditId>,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, Option<AuditId>), StoreError> {
        let mut upper = filter.until_ms.map_or(Bound::Unbounded, |ms| {
            Bound::Excluded(time_bound(ms.saturating_add(1)).to_vec())
        });
        if let Some(cursor) = before {
            let cursor = cursor.to_bytes().to_vec();
            upper = match upper {
                Bound::Excluded(until) if until < cursor => Bound::Excluded(until),
                _ => Bound::Excluded(cursor),
            };
        }
        let lower = filter
            .since_ms
            .map_or(Bound::Unbounded, |ms| Bound::Included(time_bound(ms).to_vec()));
        let mut entries = Vec::new();
        for (scanned, item) in self
            .trees()
            .audit
            .range::<Vec<u8>, _>((lower, upper))
            .rev()
            .enumerate()
        {
            let (key, value) = item?;
            let entry: AuditEntry = decode("audit", &value)?;
            if filter.accepts(&entry) {
                entries.push(entry);
                if entries.len() >= limit {
                    return Ok((entries, AuditId::from_bytes(&key)));
                }
            }
            if scanned + 1 >= MAX_SCAN {
                return Ok((entries, AuditId::from_bytes(&key)));
            }
        }
        Ok((entries, None))
    }
}

/// The smallest key of millisecond `ms`.
fn time_bound(ms: UnixMillis) -> [u8; 16] {
    Ulid::from_parts(ms.min((1 << 48) - 1), 0).to_bytes()
}
