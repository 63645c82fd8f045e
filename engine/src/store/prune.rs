//! Pruning expired dedupe markers through the `dedup_expiry` index: a
//! range scan up to now finds exactly the expired ones, so pruning costs
//! what it removes, never a scan of every marker.

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::codec::{expiry_key, split_dedup_value, split_expiry_key};
use super::{Store, StoreError};

/// Index entries handled per transaction, so pruning a large backlog
/// never holds the store's transaction lock for long.
const CHUNK: usize = 512;
/// Set once the markers written before the index existed are indexed.
const INDEXED_KEY: &[u8] = b"dedup_expiry_indexed";

impl Store {
    /// Removes the dedupe markers that expired at or before `now`; returns
    /// how many were removed.
    ///
    /// A marker is removed only if it still carries an expired time: a key
    /// seen again after expiring was re-marked with a later expiry (and a
    /// new index entry), which the old entry must not delete. Each chunk
    /// is one transaction with the committer's, so the two never race.
    pub fn prune_dedup(&self, now: u64) -> Result<usize, StoreError> {
        self.check_writable()?;
        let trees = self.trees();
        let bound = now.saturating_add(1).to_be_bytes();
        let mut removed = 0;
        loop {
            let keys: Vec<sled::IVec> = trees
                .dedup_expiry
                .range(..&bound[..])
                .keys()
                .take(CHUNK)
                .collect::<Result<_, _>>()?;
            if keys.is_empty() {
                break;
            }
            removed += (&trees.dedup, &trees.dedup_expiry).transaction(|(dedup, expiry)| {
                let mut removed = 0;
                for key in &keys {
                    expiry.remove(key)?;
                    let Some((_, dedup_key)) = split_expiry_key(key) else {
                        continue;
                    };
                    let expired = dedup
                        .get(dedup_key)?
                        .as_deref()
                        .and_then(split_dedup_value)
                        .is_some_and(|(_, expires_at)| expires_at <= now);
                    if expired {
                        dedup.remove(dedup_key)?;
                        removed += 1;
                    }
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(removed)
            })?;
            if keys.len() < CHUNK {
                break;
            }
        }
        Ok(removed)
    }

    /// Number of dedupe markers stored (expired or not).
    pub fn dedup_marker_count(&self) -> usize {
        self.trees().dedup.len()
    }

    /// Indexes markers written before `dedup_expiry` existed, once.
    pub(super) fn index_dedup_expiry_once(&self) -> Result<(), StoreError> {
        let trees = self.trees();
        if trees.meta.get(INDEXED_KEY)?.is_some() {
            return Ok(());
        }
        for entry in trees.dedup.iter() {
            let (key, value) = entry?;
            if let Some((_, expires_at)) = split_dedup_value(&value) {
                trees.dedup_expiry.insert(expiry_key(expires_at, &key), &[])?;
            }
        }
        trees.meta.insert(INDEXED_KEY, &[1])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::sync::Notify;

    use crate::ids::{TenantId, TriggerId};
    use crate::store::testing::{pending, temp_store};
    use crate::store::{CommitOutcome, Committer};
    use crate::time::now_ms;

    #[tokio::test]
    async fn expired_markers_are_pruned_and_live_ones_kept() {
        let (_temp, store) = temp_store();
        let trigger = TriggerId::generate();
        let tenant = TenantId::generate();
        let (short, short_thread) =
            Committer::start(store.clone(), 16, Duration::ZERO, Arc::new(Notify::new())).expect("committer");
        for key in ["a", "b", "c"] {
            short
                .commit(vec![pending(trigger, tenant, key)])
                .await
                .expect("commit");
        }
        drop(short);
        short_thread.join().expect("joins");
        let (long, long_thread) = Committer::start(
            store.clone(),
            16,
            Duration::from_secs(3600),
            Arc::new(Notify::new()),
        )
        .expect("committer");
        long.commit(vec![pending(trigger, tenant, "kept")])
            .await
            .expect("commit");
        // `a` expired and is seen again: re-marked with the long expiry.
        let again = long
            .commit(vec![pending(trigger, tenant, "a")])
            .await
            .expect("commit");
        assert!(matches!(again[0], CommitOutcome::Stored(_)), "{again:?}");
        assert_eq!(store.dedup_marker_count(), 4);

        let removed = store.prune_dedup(now_ms() + 10).expect("prunes");
        assert_eq!(removed, 2, "b and c expired; a was re-marked");
        assert_eq!(store.dedup_marker_count(), 2);
        assert_eq!(store.prune_dedup(now_ms() + 10).expect("prunes"), 0);
        let duplicate = long
            .commit(vec![pending(trigger, tenant, "a")])
            .await
            .expect("commit");
        assert!(
            matches!(duplicate[0], CommitOutcome::Duplicate(_)),
            "{duplicate:?}"
        );

        let stats = store.trigger_stats(trigger).expect("stats");
        assert_eq!((stats.events_accepted, stats.duplicates), (5, 1));
        let today = crate::store::utc_day(now_ms());
        assert_eq!(store.accepted_on(tenant, today).expect("usage"), 5);
        drop(long);
        long_thread.join().expect("joins");
    }
}
