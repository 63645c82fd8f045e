//! Reading the event log: single events and ordered ranges for the router.

use super::codec::decode;
use super::{Store, StoreError};
use crate::ids::EventId;
use crate::model::{EventDraft, StoredEvent};

/// Most events one listing examines, so a filter matching little cannot
/// make a request scan the whole log.
pub const MAX_SCAN: usize = 100_000;

impl Store {
    /// The event `id`, if stored.
    pub fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.trees()
            .events
            .get(id.to_bytes())?
            .map(|bytes| decode_event(id, &bytes))
            .transpose()
    }

    /// Up to `limit` events after `after` (exclusive), oldest first; from
    /// the start of the log when `after` is `None`.
    pub fn events_after(&self, after: Option<EventId>, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.log_after(after)
            .take(limit)
            .map(|entry| decode_entry(entry?))
            .collect()
    }

    /// The first event after the router's cursor: the oldest event whose
    /// deliveries are not scheduled yet, `None` when the router is caught
    /// up. Reads one key, not the backlog.
    pub fn oldest_unrouted(&self) -> Result<Option<EventId>, StoreError> {
        match self.log_after(self.router_cursor()?).keys().next() {
            Some(key) => Ok(EventId::from_bytes(&key?)),
            None => Ok(None),
        }
    }

    /// The log after `after` (exclusive), oldest first; the whole log when
    /// `after` is `None`.
    fn log_after(&self, after: Option<EventId>) -> sled::Iter {
        match after {
            Some(id) => self.trees().events.range((
                std::ops::Bound::Excluded(id.to_bytes().to_vec()),
                std::ops::Bound::Unbounded,
            )),
            None => self.trees().events.iter(),
        }
    }

    /// Up to `limit` events before `before` (exclusive) that `keep`
    /// accepts, newest first; from the end of the log when `before` is
    /// `None`. At most [`MAX_SCAN`] events are examined per call.
    pub fn events_before(
        &self,
        before: Option<EventId>,
        limit: usize,
        keep: impl Fn(&StoredEvent) -> bool,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let range = match before {
            Some(id) => self.trees().events.range(..id.to_bytes().to_vec()),
            None => self.trees().events.iter(),
        };
        let mut found = Vec::new();
        for entry in range.rev().take(MAX_SCAN) {
            let event = decode_entry(entry?)?;
            if keep(&event) {
                found.push(event);
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Number of events in the log.
    pub fn event_count(&self) -> usize {
        self.trees().events.len()
    }
}

fn decode_entry((key, value): (sled::IVec, sled::IVec)) -> Result<StoredEvent, StoreError> {
    let id = EventId::from_bytes(&key).ok_or(StoreError::Decode {
        tree: "events",
        source: serde::de::Error::custom("event key is not 16 bytes"),
    })?;
    decode_event(id, &value)
}

fn decode_event(id: EventId, bytes: &[u8]) -> Result<StoredEvent, StoreError> {
    let draft: EventDraft = decode("events", bytes)?;
    Ok(StoredEvent { id, draft })
}

#[cfg(test)]
mod tests {
    use crate::store::testing::{commit_fresh, temp_store};

    #[tokio::test]
    async fn the_oldest_unrouted_event_follows_the_cursor() {
        let (_temp, store) = temp_store();
        assert_eq!(store.oldest_unrouted().expect("reads"), None, "an empty log");
        let stored = commit_fresh(&store, 3).await;
        assert_eq!(store.oldest_unrouted().expect("reads"), Some(stored[0]));
        store.advance_router_cursor(stored[1]).expect("cursor");
        assert_eq!(store.oldest_unrouted().expect("reads"), Some(stored[2]));
        store.advance_router_cursor(stored[2]).expect("cursor");
        assert_eq!(store.oldest_unrouted().expect("reads"), None, "caught up");
    }
}
