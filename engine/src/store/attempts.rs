//! Recording attempts in batches: [`RecordedAttempt`] is an attempt of a
//! delivery outside any FIFO queue, encoded off the writing thread, and
//! [`Store::record_attempts`] writes many in one transaction (used by
//! `delivery::recorder`).

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::codec::{attempt_key, due_key, encode};
use super::{Store, StoreError};
use crate::model::{Attempt, Delivery, DeliveryStatus};

/// An attempt of a delivery outside any FIFO queue, encoded for
/// [`Store::record_attempts`].
#[derive(Debug)]
pub struct RecordedAttempt {
    id: [u8; 16],
    number: u32,
    due_at_ms: Option<u64>,
    delivery: Vec<u8>,
    attempt: Vec<u8>,
}

impl RecordedAttempt {
    /// Encodes `attempt` and the delivery's new state; `None` for a FIFO
    /// delivery, whose queue [`Store::record_attempt`] must update.
    pub fn encode(delivery: &Delivery, attempt: &Attempt) -> Result<Option<Self>, StoreError> {
        if delivery.fifo.is_some() {
            return Ok(None);
        }
        Ok(Some(Self {
            id: delivery.id.to_bytes(),
            number: attempt.number,
            due_at_ms: delivery
                .next_attempt_at_ms
                .filter(|_| delivery.status == DeliveryStatus::Pending),
            delivery: encode(delivery)?,
            attempt: encode(attempt)?,
        }))
    }
}

impl Store {
    /// Records the attempts of several deliveries outside FIFO queues in
    /// one transaction: each is what [`record_attempt`](Self::record_attempt)
    /// writes for it. A transaction costs sled two log-buffer writes
    /// whatever its size, so busy delivery records attempts in batches
    /// (`delivery::recorder`).
    pub fn record_attempts(&self, batch: &[RecordedAttempt]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.check_writable()?;
        let trees = self.trees();
        (&trees.deliveries, &trees.attempts, &trees.inflight, &trees.due).transaction(
            |(stored, attempts, inflight, due)| {
                for recorded in batch {
                    stored.insert(&recorded.id, recorded.delivery.as_slice())?;
                    attempts.insert(
                        &attempt_key(recorded.id, recorded.number),
                        recorded.attempt.as_slice(),
                    )?;
                    inflight.remove(&recorded.id)?;
                    if let Some(at) = recorded.due_at_ms {
                        due.insert(&due_key(at, recorded.id), &[])?;
                    }
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            },
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::RecordedAttempt;
    use crate::model::DeliveryStatus;
    use crate::store::testing::{attempt, claimed_deliveries, temp_store};

    #[test]
    fn a_batch_records_each_attempt_as_record_attempt_would() {
        let (_temp, store) = temp_store();
        let claimed = claimed_deliveries(&store, 2);
        assert_eq!(claimed.len(), 2);
        assert_eq!(store.due_count().expect("due"), 0);

        let mut delivered = claimed[0].clone();
        delivered.status = DeliveryStatus::Delivered;
        delivered.next_attempt_at_ms = None;
        let mut retried = claimed[1].clone();
        retried.status = DeliveryStatus::Pending;
        retried.next_attempt_at_ms = Some(5_000);
        let batch = [
            RecordedAttempt::encode(&delivered, &attempt(&delivered, None))
                .expect("encodes")
                .expect("not FIFO"),
            RecordedAttempt::encode(&retried, &attempt(&retried, Some(5_000)))
                .expect("encodes")
                .expect("not FIFO"),
        ];
        store.record_attempts(&batch).expect("records");

        let stored = store.delivery(delivered.id).expect("reads").expect("stored");
        assert_eq!(stored.status, DeliveryStatus::Delivered);
        assert_eq!(store.attempts(delivered.id).expect("attempts").len(), 1);
        assert_eq!(store.attempts(retried.id).expect("attempts").len(), 1);
        assert_eq!(
            store.due_count().expect("due"),
            1,
            "only the retried one is due again"
        );
        assert_eq!(store.next_due_ms().expect("next"), Some(5_000));
        assert_eq!(
            store.recover_inflight().expect("recovers"),
            0,
            "nothing left in flight"
        );
    }
}
