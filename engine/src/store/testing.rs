//! Test helpers for the store's (and its users') unit tests: a store in a
//! temporary directory, events committed through the real committer, and
//! deliveries scheduled and claimed.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{CommitOutcome, Committer, PendingEvent, Store};
use crate::config::Durability;
use crate::ids::{DeliveryId, DestinationId, EventId, RuleId, TenantId, TriggerId};
use crate::model::{Attempt, AttemptOutcome, Delivery, DeliveryStatus};

/// A store (durability `none`) in a directory removed when the guard drops.
pub fn temp_store() -> (tempfile::TempDir, Store) {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path(), Durability::None).expect("the store opens");
    (temp, store)
}

/// An event of `trigger` (deduplicated per trigger) with an empty record.
pub fn pending(trigger: TriggerId, tenant: TenantId, key: &str) -> PendingEvent {
    PendingEvent {
        dedupe_scope: trigger.to_bytes(),
        trigger_id: Some(trigger),
        tenant_id: tenant,
        idempotency_key: key.to_owned(),
        record: b"{}".to_vec(),
    }
}

/// Commits `count` fresh events of one trigger (keys `key-0`, `key-1`, …)
/// in one request through a committer started for the purpose; returns
/// their ids in log order.
pub async fn commit_fresh(store: &Store, count: usize) -> Vec<EventId> {
    let (trigger, tenant) = (TriggerId::generate(), TenantId::generate());
    let (committer, thread) = Committer::start(
        store.clone(),
        count.max(1),
        Duration::from_secs(60),
        Arc::new(Notify::new()),
    )
    .expect("the committer starts");
    let events = (0..count)
        .map(|n| pending(trigger, tenant, &format!("key-{n}")))
        .collect();
    let outcomes = committer.commit(events).await.expect("commits");
    drop(committer);
    thread.join().expect("the committer stops");
    outcomes
        .into_iter()
        .map(|outcome| match outcome {
            CommitOutcome::Stored(id) => id,
            CommitOutcome::Duplicate(id) => panic!("fresh keys, yet {id} is a duplicate"),
        })
        .collect()
}

/// A delivery outside any FIFO queue, due at 1 ms.
pub fn delivery(status: DeliveryStatus) -> Delivery {
    Delivery {
        fifo: None,
        schedule_base: 0,
        id: DeliveryId::derive(EventId::generate(), RuleId::generate()),
        tenant_id: TenantId::generate(),
        event_id: EventId::generate(),
        rule_id: RuleId::generate(),
        destination_id: DestinationId::generate(),
        transformer: None,
        transformer_config: serde_json::Value::Null,
        status,
        attempts: 0,
        next_attempt_at_ms: Some(1),
        last_error: None,
        created_at_ms: 1,
        updated_at_ms: 1,
    }
}

/// A delivered first attempt of `delivery`.
pub fn attempt(delivery: &Delivery, next_attempt_at_ms: Option<u64>) -> Attempt {
    Attempt {
        delivery_id: delivery.id,
        number: 1,
        started_at_ms: 2,
        duration_ms: 3,
        outcome: AttemptOutcome::Delivered,
        status_code: Some(200),
        error: None,
        response_headers: Vec::new(),
        response_body: String::new(),
        next_attempt_at_ms,
    }
}

/// Schedules `count` pending deliveries and claims them (they are
/// `sending` and in flight), as the dispatcher would.
pub fn claimed_deliveries(store: &Store, count: usize) -> Vec<Delivery> {
    let deliveries: Vec<Delivery> = (0..count).map(|_| delivery(DeliveryStatus::Pending)).collect();
    store.schedule(None, &deliveries).expect("schedules");
    store.claim_due(10, count).expect("claims")
}
