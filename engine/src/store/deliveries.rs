//! Deliveries: scheduling (with the router cursor, atomically), claiming
//! due work, recording attempts, and recovering work interrupted by a crash.

use std::collections::HashSet;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::codec::{attempt_key, decode, due_key, encode, split_due_key};
use super::{Store, StoreError};
use crate::ids::{DeliveryId, DestinationId, EventId, TenantId};
use crate::model::{Attempt, Delivery, DeliveryStatus};
use crate::time::now_ms;

/// Most deliveries [`Store::release`] puts back in one transaction (sled
/// holds a transaction's writes in memory until it commits).
const RELEASE_BATCH: usize = 512;

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only this tenant's deliveries.
    pub tenant_id: Option<TenantId>,
    /// Only deliveries of this event.
    pub event_id: Option<EventId>,
    /// Only deliveries to this destination.
    pub destination_id: Option<DestinationId>,
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    /// Only deliveries created at or after this time (ms).
    pub created_since_ms: Option<u64>,
    /// Only deliveries created before this time (ms).
    pub created_until_ms: Option<u64>,
    /// Only deliveries listed after this one (ids descending): the cursor
    /// of the previous page.
    pub before: Option<DeliveryId>,
}

impl DeliveryFilter {
    fn accepts(&self, delivery: &Delivery) -> bool {
        self.created_since_ms
            .is_none_or(|since| delivery.created_at_ms >= since)
            && self
                .created_until_ms
                .is_none_or(|until| delivery.created_at_ms < until)
            && self.tenant_id.is_none_or(|id| delivery.tenant_id == id)
            && self.event_id.is_none_or(|id| delivery.event_id == id)
            && self.destination_id.is_none_or(|id| delivery.destination_id == id)
            && self.status.is_none_or(|status| delivery.status == status)
    }
}

impl Store {
    /// Creates `deliveries` and moves the router cursor to `cursor` (when
    /// given) in one transaction, so a crash neither loses nor duplicates
    /// work. Deliveries that already exist (a re-run after a crash, or a
    /// reroute) are left as they are. A FIFO delivery joins its queue and
    /// is due only when it is the queue's head. Returns the ids created.
    pub fn schedule(
        &self,
        cursor: Option<EventId>,
        deliveries: &[Delivery],
    ) -> Result<Vec<DeliveryId>, StoreError> {
        let trees = self.trees();
        if deliveries.is_empty() {
            // A single key needs no transaction (each costs sled two log
            // buffer writes), and no FIFO queue is touched.
            if let Some(cursor) = cursor {
                trees
                    .meta
                    .insert(Store::router_cursor_key(), &cursor.to_bytes())?;
            }
            return Ok(Vec::new());
        }
        let _fifo = self.fifo_guard();
        let mut queues_with_a_head: HashSet<Vec<u8>> = HashSet::new();
        let mut planned = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let mut delivery = delivery.clone();
            let mut fifo_key = None;
            if let Some(slot) = &delivery.fifo {
                let prefix = slot.queue_prefix(delivery.destination_id.to_bytes());
                let has_head =
                    queues_with_a_head.contains(&prefix) || trees.fifo.scan_prefix(&prefix).next().is_some();
                if has_head {
                    delivery.next_attempt_at_ms = None;
                }
                queues_with_a_head.insert(prefix);
                fifo_key = Some(slot.tree_key(delivery.destination_id.to_bytes()));
            }
            let bytes = encode(&delivery)?;
            planned.push((delivery, bytes, fifo_key));
        }
        let created = (&trees.deliveries, &trees.due, &trees.meta, &trees.fifo).transaction(
            |(stored, due, meta, fifo)| {
                let mut created = Vec::new();
                for (delivery, bytes, fifo_key) in &planned {
                    let key = delivery.id.to_bytes();
                    if stored.get(key)?.is_some() {
                        continue;
                    }
                    created.push(delivery.id);
                    stored.insert(&key, bytes.as_slice())?;
                    if let Some(fifo_key) = fifo_key {
                        fifo.insert(fifo_key.as_slice(), &key)?;
                    }
                    if let Some(at) = delivery.next_attempt_at_ms {
                        due.insert(&due_key(at, key), &[])?;
                    }
                }
                if let Some(cursor) = cursor {
                    meta.insert(Store::router_cursor_key(), &cursor.to_bytes())?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(created)
            },
        )?;
        Ok(created)
    }

    /// Deliveries in the due queue (a key scan: for `/metrics`, not hot
    /// paths).
    pub fn due_count(&self) -> Result<usize, StoreError> {
        let mut count = 0;
        for key in self.trees().due.iter().keys() {
            key?;
            count += 1;
        }
        Ok(count)
    }

    /// When the earliest pending delivery is due.
    pub fn next_due_ms(&self) -> Result<Option<u64>, StoreError> {
        Ok(self
            .trees()
            .due
            .first()?
            .and_then(|(key, _)| split_due_key(&key).map(|(at, _)| at)))
    }

    /// Takes up to `limit` deliveries due at `now`, marks them `sending`
    /// and records them as in flight.
    pub fn claim_due(&self, now: u64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let trees = self.trees();
        let keys: Vec<sled::IVec> = trees
            .due
            .range(..due_key(now, [0xff; 16]).to_vec())
            .keys()
            .take(limit)
            .collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let claimed =
            (&trees.due, &trees.deliveries, &trees.inflight).transaction(|(due, stored, inflight)| {
                let mut claimed = Vec::with_capacity(keys.len());
                for key in &keys {
                    if due.remove(key)?.is_none() {
                        continue;
                    }
                    let Some((_, id)) = split_due_key(key) else {
                        continue;
                    };
                    let Some(bytes) = stored.get(id)? else { continue };
                    let mut delivery: Delivery =
                        decode("deliveries", &bytes).map_err(ConflictableTransactionError::Abort)?;
                    delivery.status = DeliveryStatus::Sending;
                    delivery.updated_at_ms = now;
                    let bytes = encode(&delivery).map_err(ConflictableTransactionError::Abort)?;
                    stored.insert(id, bytes)?;
                    inflight.insert(id, &[])?;
                    claimed.push(delivery);
                }
                Ok(claimed)
            })?;
        Ok(claimed)
    }

    /// Records an attempt and the delivery's new state in one transaction;
    /// schedules the next attempt when the delivery is pending again. A
    /// FIFO delivery that is finished leaves its queue and the next one in
    /// the queue becomes due, in the same transaction.
    pub fn record_attempt(&self, delivery: &Delivery, attempt: &Attempt) -> Result<(), StoreError> {
        self.check_writable()?;
        let delivery_bytes = encode(delivery)?;
        let attempt_bytes = encode(attempt)?;
        let id = delivery.id.to_bytes();
        let trees = self.trees();
        // Only FIFO queues need the lock: other deliveries touch no queue,
        // and concurrent attempts should not wait on each other here.
        let _fifo = delivery.fifo.is_some().then(|| self.fifo_guard());
        let handoff = match &delivery.fifo {
            Some(slot) if delivery.status.is_final() => Some(self.fifo_successor(delivery, slot)?),
            _ => None,
        };
        let now = now_ms();
        (
            &trees.deliveries,
            &trees.attempts,
            &trees.inflight,
            &trees.due,
            &trees.fifo,
        )
            .transaction(|(stored, attempts, inflight, due, fifo)| {
                stored.insert(&id, delivery_bytes.as_slice())?;
                attempts.insert(&attempt_key(id, attempt.number), attempt_bytes.as_slice())?;
                inflight.remove(&id)?;
                if delivery.status == DeliveryStatus::Pending
                    && let Some(at) = delivery.next_attempt_at_ms
                {
                    due.insert(&due_key(at, id), &[])?;
                }
                if let Some((own_key, next)) = &handoff {
                    fifo.remove(own_key.as_slice())?;
                    if let Some(next) = next {
                        promote(stored, due, *next, now)?;
                    }
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })?;
        Ok(())
    }

    /// Puts a claimed delivery back in the queue for `at` without counting
    /// an attempt (it was held back, e.g. by the destination's rate limit).
    pub fn defer(&self, delivery: &Delivery, at: u64) -> Result<(), StoreError> {
        self.release(std::slice::from_ref(&(delivery.clone(), at)))
    }

    /// Puts claimed deliveries back in the queue, each for its time,
    /// without counting an attempt (the dispatcher had no room for them,
    /// or is stopping), in transactions of at most [`RELEASE_BATCH`].
    pub fn release(&self, deliveries: &[(Delivery, u64)]) -> Result<(), StoreError> {
        let trees = self.trees();
        for chunk in deliveries.chunks(RELEASE_BATCH) {
            let planned = chunk
                .iter()
                .map(|(delivery, at)| {
                    let mut delivery = delivery.clone();
                    delivery.status = DeliveryStatus::Pending;
                    delivery.next_attempt_at_ms = Some(*at);
                    Ok((delivery.id.to_bytes(), *at, encode(&delivery)?))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            (&trees.deliveries, &trees.inflight, &trees.due).transaction(|(stored, inflight, due)| {
                for (id, at, bytes) in &planned {
                    stored.insert(id, bytes.as_slice())?;
                    inflight.remove(id)?;
                    due.insert(&due_key(*at, *id), &[])?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })?;
        }
        Ok(())
    }

    /// Queues `id` again now with a fresh retry schedule (a replay). Its
    /// `webhook-id` stays the same. Returns the delivery as requeued, or
    /// `None` when it does not exist. A delivery in flight is left alone.
    pub fn requeue(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        let trees = self.trees();
        let _fifo = self.fifo_guard();
        let Some(bytes) = trees.deliveries.get(id.to_bytes())? else {
            return Ok(None);
        };
        let mut delivery: Delivery = decode("deliveries", &bytes)?;
        if delivery.status == DeliveryStatus::Sending {
            return Ok(Some(delivery));
        }
        let now = now_ms();
        let old_due = delivery
            .next_attempt_at_ms
            .filter(|_| delivery.status == DeliveryStatus::Pending);
        let old_fifo = delivery.fifo.clone();
        delivery.status = DeliveryStatus::Pending;
        delivery.schedule_base = delivery.attempts;
        delivery.updated_at_ms = now;
        delivery.next_attempt_at_ms = Some(now);
        let mut fifo_insert = None;
        if let Some(old) = &old_fifo {
            let destination = delivery.destination_id.to_bytes();
            let still_queued = trees.fifo.get(old.tree_key(destination))?.is_some();
            if !still_queued {
                // Rejoin at the back of the queue.
                let slot = crate::model::FifoSlot {
                    key_hash: old.key_hash.clone(),
                    position: crate::model::FifoSlot::next_position(),
                };
                let prefix = slot.queue_prefix(destination);
                if trees.fifo.scan_prefix(&prefix).next().is_some() {
                    delivery.next_attempt_at_ms = None;
                }
                fifo_insert = Some(slot.tree_key(destination));
                delivery.fifo = Some(slot);
            } else if trees
                .fifo
                .scan_prefix(old.queue_prefix(destination))
                .keys()
                .next()
                .transpose()?
                .as_deref()
                != Some(old.tree_key(destination).as_slice())
            {
                // Still queued behind another: it keeps waiting its turn.
                delivery.next_attempt_at_ms = None;
            }
        }
        let bytes = encode(&delivery)?;
        let key = id.to_bytes();
        (&trees.deliveries, &trees.due, &trees.fifo).transaction(|(stored, due, fifo)| {
            if let Some(at) = old_due {
                due.remove(&due_key(at, key))?;
            }
            stored.insert(&key, bytes.as_slice())?;
            if let Some(fifo_key) = &fifo_insert {
                fifo.insert(fifo_key.as_slice(), &key)?;
            }
            if let Some(at) = delivery.next_attempt_at_ms {
                due.insert(&due_key(at, key), &[])?;
            }
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })?;
        Ok(Some(delivery))
    }

    /// The FIFO key of `delivery` and the delivery queued right after it.
    fn fifo_successor(
        &self,
        delivery: &Delivery,
        slot: &crate::model::FifoSlot,
    ) -> Result<(Vec<u8>, Option<[u8; 16]>), StoreError> {
        let destination = delivery.destination_id.to_bytes();
        let own_key = slot.tree_key(destination);
        let mut next = None;
        for entry in self.trees().fifo.scan_prefix(slot.queue_prefix(destination)) {
            let (key, value) = entry?;
            if key.as_ref() != own_key.as_slice() {
                next = <[u8; 16]>::try_from(value.as_ref()).ok();
                break;
            }
        }
        Ok((own_key, next))
    }

    fn fifo_guard(&self) -> std::sync::MutexGuard<'_, ()> {
        match self.inner.fifo_lock.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Puts deliveries that were in flight when the process stopped back
    /// in the queue, due now. Called once at start-up, before any worker
    /// runs. Returns how many were recovered.
    pub fn recover_inflight(&self) -> Result<usize, StoreError> {
        let ids: Vec<DeliveryId> = self
            .trees()
            .inflight
            .iter()
            .keys()
            .filter_map(|key| key.map(|key| DeliveryId::from_bytes(&key)).transpose())
            .collect::<Result<_, _>>()?;
        let recovered = self.requeue_inflight(&ids, now_ms())?;
        self.flush_all()?;
        Ok(recovered)
    }

    /// Puts the in-flight deliveries `ids` back in the due queue for `at`
    /// without counting an attempt: those whose attempt could not be
    /// recorded (the store refused the write), or that a crash left in
    /// flight. Ids no longer in flight are left alone (their attempt was
    /// recorded after all). Returns how many were put back.
    pub fn requeue_inflight(&self, ids: &[DeliveryId], at: u64) -> Result<usize, StoreError> {
        self.check_writable()?;
        let trees = self.trees();
        let now = now_ms();
        let mut requeued = 0;
        for chunk in ids.chunks(RELEASE_BATCH) {
            requeued +=
                (&trees.deliveries, &trees.inflight, &trees.due).transaction(|(stored, inflight, due)| {
                    let mut requeued = 0;
                    for id in chunk {
                        let key = id.to_bytes();
                        if inflight.remove(&key)?.is_none() {
                            continue;
                        }
                        let Some(bytes) = stored.get(key)? else { continue };
                        let mut delivery: Delivery =
                            decode("deliveries", &bytes).map_err(ConflictableTransactionError::Abort)?;
                        if delivery.status != DeliveryStatus::Sending {
                            continue;
                        }
                        delivery.status = DeliveryStatus::Pending;
                        delivery.next_attempt_at_ms = Some(at);
                        delivery.updated_at_ms = now;
                        let bytes = encode(&delivery).map_err(ConflictableTransactionError::Abort)?;
                        stored.insert(&key, bytes)?;
                        due.insert(&due_key(at, key), &[])?;
                        requeued += 1;
                    }
                    Ok(requeued)
                })?;
        }
        Ok(requeued)
    }

    /// The delivery `id`.
    pub fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        self.trees()
            .deliveries
            .get(id.to_bytes())?
            .map(|bytes| decode("deliveries", &bytes))
            .transpose()
    }

    /// Up to `limit` deliveries matching `filter`, newest first. A filter
    /// on the event scans only that event's deliveries (their ids share the
    /// event's time prefix).
    pub fn deliveries(&self, filter: &DeliveryFilter, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let tree = &self.trees().deliveries;
        let entries = match (filter.event_id, filter.before) {
            (Some(event), None) => tree.scan_prefix(&event.to_bytes()[..6]),
            (Some(event), Some(before)) => {
                tree.range(event.to_bytes()[..6].to_vec()..before.to_bytes().to_vec())
            }
            (None, Some(before)) => tree.range(..before.to_bytes()),
            (None, None) => tree.iter(),
        };
        let mut found = Vec::new();
        for value in entries.values().rev() {
            let delivery: Delivery = decode("deliveries", &value?)?;
            if filter.accepts(&delivery) {
                found.push(delivery);
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Every attempt of delivery `id`, first to last.
    pub fn attempts(&self, id: DeliveryId) -> Result<Vec<Attempt>, StoreError> {
        self.trees()
            .attempts
            .scan_prefix(id.to_bytes())
            .values()
            .map(|bytes| decode("attempts", &bytes?))
            .collect()
    }

    /// Deliveries not yet final (pending or sending).
    pub fn unfinished_deliveries(&self) -> Result<usize, StoreError> {
        Ok(self.trees().due.len() + self.trees().inflight.len())
    }
}

/// Makes the waiting delivery `id` due now (it reached the head of its
/// FIFO queue).
fn promote(
    stored: &TransactionalTree,
    due: &TransactionalTree,
    id: [u8; 16],
    now: u64,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    let Some(bytes) = stored.get(id)? else {
        return Ok(());
    };
    let mut delivery: Delivery = decode("deliveries", &bytes).map_err(ConflictableTransactionError::Abort)?;
    if delivery.status != DeliveryStatus::Pending || delivery.next_attempt_at_ms.is_some() {
        return Ok(());
    }
    delivery.next_attempt_at_ms = Some(now);
    delivery.updated_at_ms = now;
    stored.insert(
        &id,
        encode(&delivery).map_err(ConflictableTransactionError::Abort)?,
    )?;
    due.insert(&due_key(now, id), &[])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::model::DeliveryStatus;
    use crate::store::testing::{attempt, claimed_deliveries, temp_store};

    #[test]
    fn stranded_deliveries_are_queued_again_and_recorded_ones_left_alone() {
        let (_temp, store) = temp_store();
        let claimed = claimed_deliveries(&store, 2);
        let mut recorded = claimed[0].clone();
        recorded.status = DeliveryStatus::Delivered;
        recorded.next_attempt_at_ms = None;
        store
            .record_attempt(&recorded, &attempt(&recorded, None))
            .expect("records");

        let ids = [claimed[0].id, claimed[1].id];
        assert_eq!(store.requeue_inflight(&ids, 7_000).expect("requeues"), 1);
        let stranded = store.delivery(claimed[1].id).expect("reads").expect("stored");
        assert_eq!(stranded.status, DeliveryStatus::Pending);
        assert_eq!(stranded.next_attempt_at_ms, Some(7_000));
        assert_eq!(stranded.attempts, claimed[1].attempts, "no attempt counted");
        assert_eq!(store.next_due_ms().expect("next"), Some(7_000));
        let untouched = store.delivery(claimed[0].id).expect("reads").expect("stored");
        assert_eq!(untouched.status, DeliveryStatus::Delivered);
        assert_eq!(store.due_count().expect("due"), 1);
        assert_eq!(
            store.requeue_inflight(&ids, 7_000).expect("requeues"),
            0,
            "a second call finds nothing in flight"
        );
        assert_eq!(store.recover_inflight().expect("recovers"), 0);
    }
}
