//! The inbound request log (`requests`): batched appends, filtered reads
//! newest first, and pruning by age. Keys are request ids, whose ULID
//! time prefix orders them by arrival, so a time filter is a key range and
//! pruning is a range removal from the start of the tree.

use std::collections::BTreeMap;
use std::ops::Bound;

use ulid::Ulid;

use super::codec::{decode, encode};
use super::stats::LogCounters;
use super::{Store, StoreError};
use crate::ids::{RequestId, TenantId, TriggerId};
use crate::model::{RequestOutcome, RequestRecord};
use crate::time::UnixMillis;

/// Most records one listing examines, so a filter matching little cannot
/// make a request scan the whole log; the page then ends early with a
/// cursor to continue from.
pub const MAX_SCAN: usize = 20_000;
/// Records removed per batch when pruning.
const PRUNE_CHUNK: usize = 1024;

/// Which records to list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only this tenant's records; `None` means every tenant's.
    pub tenant_id: Option<TenantId>,
    /// With no `tenant_id`, also the records of unknown keys, which belong
    /// to no tenant (instance administrators only).
    pub include_unknown_keys: bool,
    /// Only requests to this trigger.
    pub trigger_id: Option<TriggerId>,
    /// Only this outcome.
    pub outcome: Option<RequestOutcome>,
    /// Only this answered status.
    pub status: Option<u16>,
    /// Only requests received at or after this time.
    pub since_ms: Option<UnixMillis>,
    /// Only requests received at or before this time.
    pub until_ms: Option<UnixMillis>,
}

impl RequestFilter {
    fn accepts(&self, record: &RequestRecord) -> bool {
        let tenant = match self.tenant_id {
            Some(id) => record.tenant_id == Some(id),
            None => self.include_unknown_keys || record.tenant_id.is_some(),
        };
        tenant
            && self.trigger_id.is_none_or(|id| record.trigger_id == Some(id))
            && self.outcome.is_none_or(|outcome| record.outcome == outcome)
            && self.status.is_none_or(|status| record.status == status)
    }
}

/// One page of the request log.
#[derive(Debug, Clone)]
pub struct RequestPage {
    /// Records, newest first.
    pub records: Vec<RequestRecord>,
    /// Where the next page starts, when there may be one.
    pub next_cursor: Option<RequestId>,
}

impl Store {
    /// Appends records and adds their rejections and last-request times
    /// to the trigger statistics. Called by the request log writer only.
    pub fn append_requests(&self, records: &[RequestRecord]) -> Result<(), StoreError> {
        self.check_writable()?;
        let mut batch = sled::Batch::default();
        let mut counters: BTreeMap<TriggerId, LogCounters> = BTreeMap::new();
        for record in records {
            batch.insert(&record.id.to_bytes(), encode(record)?);
            if let Some(trigger) = record.trigger_id {
                let entry = counters.entry(trigger).or_default();
                entry.last_request_ms = entry.last_request_ms.max(Some(record.received_at));
                if record.outcome == RequestOutcome::Rejected {
                    let code = record.error_code.as_deref().unwrap_or("unknown");
                    *entry.rejections.entry(code.to_owned()).or_default() += 1;
                }
            }
        }
        self.trees().requests.apply_batch(batch)?;
        self.add_log_counters(&counters)
    }

    /// Up to `limit` records matching `filter`, newest first, older than
    /// `before` when given.
    pub fn requests(
        &self,
        filter: &RequestFilter,
        before: Option<RequestId>,
        limit: usize,
    ) -> Result<RequestPage, StoreError> {
        let upper = match (before, filter.until_ms) {
            (Some(id), until) => {
                let cursor = id.to_bytes();
                let until = until.map(|ms| time_bound(ms.saturating_add(1)));
                match until {
                    Some(until) if until < cursor => Bound::Excluded(until.to_vec()),
                    _ => Bound::Excluded(cursor.to_vec()),
                }
            }
            (None, Some(ms)) => Bound::Excluded(time_bound(ms.saturating_add(1)).to_vec()),
            (None, None) => Bound::Unbounded,
        };
        let lower = filter
            .since_ms
            .map_or(Bound::Unbounded, |ms| Bound::Included(time_bound(ms).to_vec()));
        let mut records = Vec::new();
        let mut scanned = 0;
        for entry in self.trees().requests.range::<Vec<u8>, _>((lower, upper)).rev() {
            let (key, value) = entry?;
            scanned += 1;
            let last_scanned = RequestId::from_bytes(&key);
            let record: RequestRecord = decode("requests", &value)?;
            if filter.accepts(&record) {
                records.push(record);
                if records.len() >= limit {
                    return Ok(RequestPage {
                        next_cursor: last_scanned,
                        records,
                    });
                }
            }
            if scanned >= MAX_SCAN {
                return Ok(RequestPage {
                    next_cursor: last_scanned,
                    records,
                });
            }
        }
        Ok(RequestPage {
            records,
            next_cursor: None,
        })
    }

    /// Removes records received before `before_ms`; returns how many.
    pub fn prune_requests(&self, before_ms: UnixMillis) -> Result<usize, StoreError> {
        self.check_writable()?;
        let tree = &self.trees().requests;
        let bound = time_bound(before_ms);
        let mut removed = 0;
        loop {
            let keys: Vec<sled::IVec> = tree
                .range(..&bound[..])
                .keys()
                .take(PRUNE_CHUNK)
                .collect::<Result<_, _>>()?;
            let mut batch = sled::Batch::default();
            for key in &keys {
                batch.remove(key);
            }
            tree.apply_batch(batch)?;
            removed += keys.len();
            if keys.len() < PRUNE_CHUNK {
                return Ok(removed);
            }
        }
    }

    /// Number of records in the request log.
    pub fn request_count(&self) -> usize {
        self.trees().requests.len()
    }
}

/// The smallest request key of millisecond `ms`.
fn time_bound(ms: UnixMillis) -> [u8; 16] {
    Ulid::from_parts(ms.min((1 << 48) - 1), 0).to_bytes()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::config::Durability;

    fn record(
        at: UnixMillis,
        trigger: Option<TriggerId>,
        tenant: Option<TenantId>,
        status: u16,
    ) -> RequestRecord {
        RequestRecord {
            id: RequestId::from_ulid(Ulid::from_parts(at, u128::from(status))),
            received_at: at,
            trigger_id: trigger,
            tenant_id: tenant,
            method: Cow::Borrowed("POST"),
            status,
            outcome: RequestOutcome::of(status, false),
            error_code: (status >= 400).then_some(Cow::Borrowed("signature_invalid")),
            event_ids: Vec::new(),
            client_address: "127.0.0.1".parse().expect("ip"),
            user_agent: None,
            body_bytes: 10,
            duration_us: 5,
        }
    }

    #[test]
    fn pages_filters_time_ranges_and_pruning() {
        let temp = tempfile::tempdir().expect("temp");
        let store = Store::open(temp.path(), Durability::None).expect("opens");
        let trigger = TriggerId::generate();
        let tenant = TenantId::generate();
        let records: Vec<RequestRecord> = (1..=10)
            .map(|n| {
                record(
                    1_000 * n,
                    Some(trigger),
                    Some(tenant),
                    if n % 2 == 0 { 202 } else { 401 },
                )
            })
            .chain([record(10_500, None, None, 404)])
            .collect();
        store.append_requests(&records).expect("append");

        let all = RequestFilter {
            include_unknown_keys: true,
            ..RequestFilter::default()
        };
        let first = store.requests(&all, None, 4).expect("page");
        let times: Vec<u64> = first.records.iter().map(|r| r.received_at).collect();
        assert_eq!(times, [10_500, 10_000, 9_000, 8_000]);
        let second = store.requests(&all, first.next_cursor, 4).expect("page");
        let times: Vec<u64> = second.records.iter().map(|r| r.received_at).collect();
        assert_eq!(times, [7_000, 6_000, 5_000, 4_000]);

        let own = RequestFilter {
            tenant_id: Some(tenant),
            outcome: Some(RequestOutcome::Rejected),
            since_ms: Some(3_000),
            until_ms: Some(7_000),
            ..RequestFilter::default()
        };
        let page = store.requests(&own, None, 50).expect("page");
        let times: Vec<u64> = page.records.iter().map(|r| r.received_at).collect();
        assert_eq!(times, [7_000, 5_000, 3_000], "tenant-less 404 excluded");
        assert!(page.next_cursor.is_none());

        let stats = store.trigger_stats(trigger).expect("stats");
        assert_eq!(stats.rejections.get("signature_invalid"), Some(&5));
        assert_eq!(stats.last_request_ms, Some(10_000));

        assert_eq!(store.prune_requests(5_000).expect("prune"), 4);
        assert_eq!(store.request_count(), 7);
    }
}
