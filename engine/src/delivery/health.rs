//! Destination health: a destination that answers `410 Gone`, or whose
//! every attempt has failed for `delivery.disable_after`, is disabled, and
//! an operational event `weir.destination.disabled` is published in its
//! tenant's log (so a rule can page someone). A success clears the failing
//! streak.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::catalog::Catalog;
use crate::ids::DestinationId;
use crate::model::{EventDraft, EventMeta};
use crate::store::{Committer, PendingEvent, Store, StoreError};
use crate::time::{now_ms, rfc3339};

/// Event type of the operational event published when Weir disables a
/// destination.
pub const DESTINATION_DISABLED: &str = "weir.destination.disabled";

/// Tracks and acts on destination health.
pub struct DestinationHealth {
    store: Store,
    catalog: Arc<Catalog>,
    committer: Committer,
    disable_after: Duration,
}

impl DestinationHealth {
    /// Disables after `disable_after` of continuous failure (zero never).
    pub fn new(store: Store, catalog: Arc<Catalog>, committer: Committer, disable_after: Duration) -> Self {
        Self {
            store,
            catalog,
            committer,
            disable_after,
        }
    }

    /// A delivery succeeded: the failing streak, if any, ends.
    pub fn succeeded(&self, id: DestinationId, failing: bool) -> Result<(), StoreError> {
        if failing {
            self.store.update_destination(id, |d| d.failing_since_ms = None)?;
            self.catalog.reload_destinations()?;
        }
        Ok(())
    }

    /// An attempt failed in a way that says the destination is unwell.
    pub async fn failed(&self, id: DestinationId, failing_since: Option<u64>) -> Result<(), StoreError> {
        let now = now_ms();
        match failing_since {
            None => {
                self.store.update_destination(id, |d| {
                    d.failing_since_ms.get_or_insert(now);
                })?;
                self.catalog.reload_destinations()?;
            }
            Some(since) if !self.disable_after.is_zero() => {
                let limit = u64::try_from(self.disable_after.as_millis()).unwrap_or(u64::MAX);
                if now.saturating_sub(since) >= limit {
                    let reason = format!(
                        "every delivery has failed since {} (longer than {})",
                        rfc3339(since),
                        humantime::format_duration(self.disable_after)
                    );
                    self.disable(id, &reason).await?;
                }
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Disables the destination for `reason` and publishes the operational
    /// event (once: a destination already disabled is left alone).
    pub async fn disable(&self, id: DestinationId, reason: &str) -> Result<(), StoreError> {
        let mut newly = false;
        let now = now_ms();
        let Some(destination) = self.store.update_destination(id, |d| {
            newly = d.enabled;
            if d.enabled {
                d.enabled = false;
                d.disabled_reason = Some(reason.to_owned());
                d.updated_at_ms = now;
            }
        })?
        else {
            return Ok(());
        };
        self.catalog.reload_destinations()?;
        if !newly {
            return Ok(());
        }
        tracing::warn!(destination = %id, %reason, "destination disabled");
        let data = json!({
            "destination_id": destination.id,
            "name": destination.name,
            "url": destination.url.to_string(),
            "reason": reason,
            "disabled_at": rfc3339(now),
        });
        let draft = EventDraft {
            source: format!("/destinations/{}", destination.id),
            event_type: DESTINATION_DISABLED.to_owned(),
            subject: Some(destination.id.to_string()),
            time: rfc3339(now),
            data: serde_json::value::to_raw_value(&data).map_err(StoreError::Encode)?,
            weir: EventMeta {
                tenant_id: destination.tenant_id,
                trigger_id: None,
                idempotency_key: format!("{DESTINATION_DISABLED}:{}:{now}", destination.id),
                received_at_ms: now,
                client_address: None,
                user_agent: None,
                headers: Default::default(),
            },
        };
        let record = serde_json::to_vec(&draft).map_err(StoreError::Encode)?;
        self.committer
            .commit(vec![PendingEvent {
                dedupe_scope: destination.tenant_id.to_bytes(),
                trigger_id: None,
                tenant_id: destination.tenant_id,
                idempotency_key: draft.weir.idempotency_key.clone(),
                record,
            }])
            .await?;
        Ok(())
    }
}
