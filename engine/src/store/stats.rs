//! Counters kept beside the log: per-trigger webhook statistics
//! (`trigger_stats`) and each tenant's accepted requests of the current
//! UTC day (`tenant_usage`).
//!
//! A trigger has two records, each with a single writer so that no update
//! is lost without a lock: `c` (accepted, duplicates, last accepted),
//! updated by the committer in the transaction that stores the events,
//! and `r` (rejections by code, last request), updated by the request log
//! writer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::codec::{decode, encode, u64_at};
use super::{Store, StoreError};
use crate::ids::{TenantId, TriggerId};
use crate::model::TriggerStats;
use crate::time::UnixMillis;

/// Milliseconds in a day.
const DAY_MS: u64 = 86_400_000;

/// The UTC day `ms` falls in, counted from the Unix epoch.
pub fn utc_day(ms: UnixMillis) -> u32 {
    u32::try_from(ms / DAY_MS).unwrap_or(u32::MAX)
}

/// Milliseconds from `ms` to the next UTC midnight (at least 1).
pub fn ms_until_utc_midnight(ms: UnixMillis) -> u64 {
    (DAY_MS - ms % DAY_MS).max(1)
}

/// The committer's record key of `trigger`.
pub(super) fn commit_stats_key(trigger: [u8; 16]) -> [u8; 17] {
    suffixed(trigger, b'c')
}

/// The request log's record key of `trigger`.
pub(super) fn log_stats_key(trigger: [u8; 16]) -> [u8; 17] {
    suffixed(trigger, b'r')
}

fn suffixed(trigger: [u8; 16], suffix: u8) -> [u8; 17] {
    let mut key = [0u8; 17];
    key[..16].copy_from_slice(&trigger);
    key[16] = suffix;
    key
}

/// The committer's counters of one trigger: 24 bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct CommitCounters {
    pub accepted: u64,
    pub duplicates: u64,
    pub last_accepted_ms: u64,
}

impl CommitCounters {
    pub fn decode(bytes: &[u8]) -> Self {
        Self {
            accepted: u64_at(bytes, 0).unwrap_or(0),
            duplicates: u64_at(bytes, 8).unwrap_or(0),
            last_accepted_ms: u64_at(bytes, 16).unwrap_or(0),
        }
    }

    pub fn encode(self) -> [u8; 24] {
        let mut bytes = [0u8; 24];
        bytes[..8].copy_from_slice(&self.accepted.to_be_bytes());
        bytes[8..16].copy_from_slice(&self.duplicates.to_be_bytes());
        bytes[16..].copy_from_slice(&self.last_accepted_ms.to_be_bytes());
        bytes
    }
}

/// The request log's counters of one trigger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct LogCounters {
    pub rejections: BTreeMap<String, u64>,
    pub last_request_ms: Option<UnixMillis>,
}

/// A `tenant_usage` value: the day and its count.
pub(super) fn usage_value(day: u32, count: u64) -> [u8; 12] {
    let mut value = [0u8; 12];
    value[..4].copy_from_slice(&day.to_be_bytes());
    value[4..].copy_from_slice(&count.to_be_bytes());
    value
}

/// The count a `tenant_usage` value holds for `day` (0 for another day).
pub(super) fn usage_on(value: &[u8], day: u32) -> u64 {
    let stored_day = value
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes);
    if stored_day == Some(day) {
        u64_at(value, 4).unwrap_or(0)
    } else {
        0
    }
}

impl Store {
    /// The statistics of trigger `id`.
    pub fn trigger_stats(&self, id: TriggerId) -> Result<TriggerStats, StoreError> {
        let tree = &self.trees().trigger_stats;
        let commit = tree
            .get(commit_stats_key(id.to_bytes()))?
            .map(|bytes| CommitCounters::decode(&bytes))
            .unwrap_or_default();
        let log: LogCounters = tree
            .get(log_stats_key(id.to_bytes()))?
            .map(|bytes| decode("trigger_stats", &bytes))
            .transpose()?
            .unwrap_or_default();
        Ok(TriggerStats {
            events_accepted: commit.accepted,
            duplicates: commit.duplicates,
            last_accepted_ms: (commit.last_accepted_ms > 0).then_some(commit.last_accepted_ms),
            rejections: log.rejections,
            last_request_ms: log.last_request_ms,
        })
    }

    /// Adds one batch of request log counters per trigger (request log
    /// writer only: it is the single writer of these records).
    pub(super) fn add_log_counters(
        &self,
        batch: &BTreeMap<TriggerId, LogCounters>,
    ) -> Result<(), StoreError> {
        let tree = &self.trees().trigger_stats;
        for (trigger, delta) in batch {
            let key = log_stats_key(trigger.to_bytes());
            let mut counters: LogCounters = tree
                .get(key)?
                .map(|bytes| decode("trigger_stats", &bytes))
                .transpose()?
                .unwrap_or_default();
            for (code, count) in &delta.rejections {
                *counters.rejections.entry(code.clone()).or_default() += count;
            }
            counters.last_request_ms = counters.last_request_ms.max(delta.last_request_ms);
            tree.insert(key, encode(&counters)?)?;
        }
        Ok(())
    }

    /// Forgets the statistics of a deleted trigger.
    pub(super) fn delete_trigger_stats(&self, id: TriggerId) -> Result<(), StoreError> {
        let tree = &self.trees().trigger_stats;
        tree.remove(commit_stats_key(id.to_bytes()))?;
        tree.remove(log_stats_key(id.to_bytes()))?;
        Ok(())
    }

    /// Requests of `tenant` accepted (with at least one new event) on UTC
    /// `day`; counted by the committer, so exact and persistent.
    pub fn accepted_on(&self, tenant: TenantId, day: u32) -> Result<u64, StoreError> {
        Ok(self
            .trees()
            .tenant_usage
            .get(tenant.to_bytes())?
            .map_or(0, |value| usage_on(&value, day)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_round_trip_and_usage_resets_with_the_day() {
        let counters = CommitCounters {
            accepted: 3,
            duplicates: 2,
            last_accepted_ms: 99,
        };
        assert_eq!(CommitCounters::decode(&counters.encode()), counters);
        assert_eq!(CommitCounters::decode(&[]), CommitCounters::default());
        let value = usage_value(20_000, 7);
        assert_eq!(usage_on(&value, 20_000), 7);
        assert_eq!(usage_on(&value, 20_001), 0);
    }

    #[test]
    fn days_are_utc() {
        let midnight = 1_795_392_000_000; // 2026-11-23T00:00:00Z
        assert_eq!(utc_day(midnight - 1) + 1, utc_day(midnight));
        assert_eq!(ms_until_utc_midnight(midnight - 1), 1);
        assert_eq!(ms_until_utc_midnight(midnight), DAY_MS);
    }
}
