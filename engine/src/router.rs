//! The router: tails the event log from its cursor, matches each event
//! against the rule set and schedules one delivery per matching rule. The
//! deliveries and the cursor move in one transaction, so after a crash the
//! router resumes exactly where it stopped, re-creating (with the same
//! derived ids) anything it had not committed.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::ids::DeliveryId;
use crate::model::{Delivery, DeliveryStatus, FifoSlot, StoredEvent};
use crate::rules::{EventData, RuleSet};
use crate::store::{Store, StoreError};
use crate::time::now_ms;

/// Events routed per transaction.
const BATCH: usize = 256;
/// How long the router waits after being woken, so that the commits of a
/// busy gateway are routed together rather than one transaction each.
const LINGER: Duration = Duration::from_millis(5);
/// Pause after a store error before trying again.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// Tails the log and schedules deliveries.
pub struct Router {
    store: Store,
    catalog: Arc<Catalog>,
    /// Notified by the committer after each durable batch.
    appended: Arc<Notify>,
    /// Notified here after scheduling, for the delivery dispatcher.
    scheduled: Arc<Notify>,
}

impl Router {
    /// A router over `store`.
    pub fn new(store: Store, catalog: Arc<Catalog>, appended: Arc<Notify>, scheduled: Arc<Notify>) -> Self {
        Self {
            store,
            catalog,
            appended,
            scheduled,
        }
    }

    /// Routes until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            match self.route_batch() {
                // A backlog (after a restart, say) is routed batch after
                // batch; yield between them so that this loop, which never
                // waits while there is work, cannot hold a runtime thread.
                Ok(true) => tokio::task::yield_now().await,
                Ok(false) => {
                    tokio::select! {
                        () = self.appended.notified() => {}
                        () = shutdown.cancelled() => return,
                    }
                    // Let a few commits gather: each routing batch is one
                    // transaction, whose cost hardly depends on its size.
                    tokio::select! {
                        () = tokio::time::sleep(LINGER) => {}
                        () = shutdown.cancelled() => return,
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "router failed; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(ERROR_BACKOFF) => {}
                        () = shutdown.cancelled() => return,
                    }
                }
            }
            if shutdown.is_cancelled() {
                return;
            }
        }
    }

    /// Routes the next batch of events; false when there were none.
    pub fn route_batch(&self) -> Result<bool, StoreError> {
        let cursor = self.store.router_cursor()?;
        let events = self.store.events_after(cursor, BATCH)?;
        let Some(last) = events.last() else {
            return Ok(false);
        };
        let rules = self.catalog.rules();
        let now = now_ms();
        let deliveries: Vec<Delivery> = events
            .iter()
            .flat_map(|event| plan(&rules, &self.catalog, event, now))
            .collect();
        self.store.schedule(Some(last.id), &deliveries)?;
        if !deliveries.is_empty() {
            tracing::debug!(events = events.len(), deliveries = deliveries.len(), "routed");
            self.scheduled.notify_one();
        }
        Ok(true)
    }
}

/// The deliveries `event` calls for under `rules`; deliveries to FIFO
/// destinations join their ordering key's queue.
pub fn plan(rules: &RuleSet, catalog: &Catalog, event: &StoredEvent, now: u64) -> Vec<Delivery> {
    let data = EventData::new(event.draft.data.get());
    rules
        .matching(event, &data)
        .into_iter()
        .map(|rule| Delivery {
            fifo: catalog
                .destination(rule.destination_id)
                .and_then(|destination| destination.ordering_key(event.draft.subject.as_deref(), &data))
                .map(|key| FifoSlot::join(&key)),
            schedule_base: 0,
            id: DeliveryId::derive(event.id, rule.id),
            tenant_id: event.tenant_id(),
            event_id: event.id,
            rule_id: rule.id,
            destination_id: rule.destination_id,
            transformer: rule.transformer.clone(),
            transformer_config: rule.transformer_config.clone(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at_ms: Some(now),
            last_error: None,
            created_at_ms: now,
            updated_at_ms: now,
        })
        .collect()
}
