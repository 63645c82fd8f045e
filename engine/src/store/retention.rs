//! Retention of the event log: events older than the configured age are
//! removed with their deliveries and attempts, oldest first, so the disk
//! footprint stays bounded. An event is never removed before the router
//! has passed it or while one of its deliveries is unfinished (pending or
//! sending): retention never loses work.

use super::codec::decode;
use super::{Store, StoreError};
use crate::ids::EventId;
use crate::model::Delivery;

/// Events examined per call, so one pass never holds up the store long.
const BATCH: usize = 1024;

/// What one pruning pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Events removed.
    pub events: usize,
    /// Deliveries removed with them.
    pub deliveries: usize,
    /// Attempts removed with them.
    pub attempts: usize,
    /// The pass stopped at its batch limit: older events may remain.
    pub more: bool,
}

impl Store {
    /// Removes up to one batch of events received before `cutoff_ms`, with
    /// their deliveries and attempts; events the router has not reached or
    /// with unfinished deliveries are kept (and looked at again next time).
    pub fn prune_events(&self, cutoff_ms: u64) -> Result<Pruned, StoreError> {
        self.check_writable()?;
        let trees = self.trees();
        let Some(cursor) = self.router_cursor()? else {
            return Ok(Pruned::default());
        };
        let mut pruned = Pruned::default();
        let mut examined = 0;
        for key in trees.events.iter().keys() {
            let key = key?;
            let Some(event) = EventId::from_bytes(&key) else {
                continue;
            };
            if event.timestamp_ms() >= cutoff_ms || event > cursor || examined >= BATCH {
                break;
            }
            examined += 1;
            let mut deliveries = Vec::new();
            for value in trees.deliveries.scan_prefix(&event.to_bytes()[..6]).values() {
                let delivery: Delivery = decode("deliveries", &value?)?;
                if delivery.event_id == event {
                    deliveries.push(delivery);
                }
            }
            if deliveries.iter().any(|d| !d.status.is_final()) {
                continue;
            }
            for delivery in &deliveries {
                for attempt in trees.attempts.scan_prefix(delivery.id.to_bytes()).keys() {
                    trees.attempts.remove(attempt?)?;
                    pruned.attempts += 1;
                }
                trees.deliveries.remove(delivery.id.to_bytes())?;
                pruned.deliveries += 1;
            }
            trees.events.remove(&key)?;
            pruned.events += 1;
        }
        if pruned.events > 0 {
            self.sync()?;
        }
        pruned.more = examined >= BATCH;
        Ok(pruned)
    }
}

#[cfg(test)]
mod tests {
    use super::BATCH;
    use crate::store::testing::{commit_fresh, temp_store};
    use crate::time::now_ms;

    #[tokio::test]
    async fn a_pass_says_when_it_stopped_at_its_batch_limit() {
        let (_temp, store) = temp_store();
        let stored = commit_fresh(&store, BATCH + 76).await;
        store
            .advance_router_cursor(*stored.last().expect("events"))
            .expect("cursor");

        let cutoff = now_ms() + 1000;
        let first = store.prune_events(cutoff).expect("prunes");
        assert_eq!((first.events, first.more), (BATCH, true));
        let second = store.prune_events(cutoff).expect("prunes");
        assert_eq!((second.events, second.more), (76, false));
        assert_eq!(store.event_count(), 0);
    }
}
