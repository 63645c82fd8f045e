//! Test helpers for the store's (and its users') unit tests: a store in a
//! temporary directory, and events committed through the real committer.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{CommitOutcome, Committer, PendingEvent, Store};
use crate::config::Durability;
use crate::ids::{EventId, TenantId, TriggerId};

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
