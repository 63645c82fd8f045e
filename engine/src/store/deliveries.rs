//! Deliveries: scheduling (with the router cursor, atomically), claiming
//! due work, recording attempts, and recovering work interrupted by a crash.

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::codec::{attempt_key, decode, due_key, encode, split_due_key};
use super::{Store, StoreError};
use crate::ids::{DeliveryId, DestinationId, EventId, TenantId};
use crate::model::{Attempt, Delivery, DeliveryStatus};
use crate::time::now_ms;

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
}

impl DeliveryFilter {
    fn accepts(&self, delivery: &Delivery) -> bool {
        self.tenant_id.is_none_or(|id| delivery.tenant_id == id)
            && self.event_id.is_none_or(|id| delivery.event_id == id)
            && self.destination_id.is_none_or(|id| delivery.destination_id == id)
            && self.status.is_none_or(|status| delivery.status == status)
    }
}

impl Store {
    /// Creates `deliveries` and moves the router cursor to `cursor` in one
    /// transaction, so a crash neither loses nor duplicates work.
    /// Deliveries that already exist (a re-run after a crash) are left as
    /// they are.
    pub fn schedule(&self, cursor: EventId, deliveries: &[Delivery]) -> Result<(), StoreError> {
        let encoded = deliveries
            .iter()
            .map(|delivery| encode(delivery).map(|bytes| (delivery, bytes)))
            .collect::<Result<Vec<_>, _>>()?;
        let trees = self.trees();
        (&trees.deliveries, &trees.due, &trees.meta).transaction(|(stored, due, meta)| {
            for (delivery, bytes) in &encoded {
                let key = delivery.id.to_bytes();
                if stored.get(key)?.is_some() {
                    continue;
                }
                stored.insert(&key, bytes.as_slice())?;
                let at = delivery.next_attempt_at_ms.unwrap_or(delivery.created_at_ms);
                due.insert(&due_key(at, key), &[])?;
            }
            meta.insert(Store::router_cursor_key(), &cursor.to_bytes())?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })?;
        Ok(())
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
    /// schedules the next attempt when the delivery is pending again.
    pub fn record_attempt(&self, delivery: &Delivery, attempt: &Attempt) -> Result<(), StoreError> {
        let delivery_bytes = encode(delivery)?;
        let attempt_bytes = encode(attempt)?;
        let id = delivery.id.to_bytes();
        let trees = self.trees();
        (&trees.deliveries, &trees.attempts, &trees.inflight, &trees.due).transaction(
            |(stored, attempts, inflight, due)| {
                stored.insert(&id, delivery_bytes.as_slice())?;
                attempts.insert(&attempt_key(id, attempt.number), attempt_bytes.as_slice())?;
                inflight.remove(&id)?;
                if delivery.status == DeliveryStatus::Pending
                    && let Some(at) = delivery.next_attempt_at_ms
                {
                    due.insert(&due_key(at, id), &[])?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            },
        )?;
        Ok(())
    }

    /// Puts deliveries that were in flight when the process stopped back
    /// in the queue, due now. Called once at start-up, before any worker
    /// runs. Returns how many were recovered.
    pub fn recover_inflight(&self) -> Result<usize, StoreError> {
        let trees = self.trees();
        let now = now_ms();
        let mut recovered = 0;
        for key in trees.inflight.iter().keys() {
            let key = key?;
            if let Some(bytes) = trees.deliveries.get(&key)? {
                let mut delivery: Delivery = decode("deliveries", &bytes)?;
                if delivery.status == DeliveryStatus::Sending {
                    delivery.status = DeliveryStatus::Pending;
                    delivery.next_attempt_at_ms = Some(now);
                    delivery.updated_at_ms = now;
                    trees.deliveries.insert(&key, encode(&delivery)?)?;
                    trees.due.insert(due_key(now, delivery.id.to_bytes()), &[])?;
                    recovered += 1;
                }
            }
            trees.inflight.remove(&key)?;
        }
        self.flush_all()?;
        Ok(recovered)
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
        let entries = match filter.event_id {
            Some(event) => tree.scan_prefix(&event.to_bytes()[..6]),
            None => tree.iter(),
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
