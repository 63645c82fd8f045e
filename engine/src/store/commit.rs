//! Group commit: the single writer that appends ingested events to the log
//! and acknowledges a whole batch with one durable sync.
//!
//! Requests queue on a channel; a dedicated thread takes everything queued
//! (up to the batch limit), checks each event's dedupe marker and appends
//! new events together with their markers in one transaction, syncs once,
//! then answers every waiting request. Because there is exactly one
//! writer, concurrent duplicates cannot both be stored, and an event and
//! its dedupe marker are always written together.
//!
//! The same transaction keeps the exact counters: each marker's entry in
//! the expiry index (`dedup_expiry`), and, aggregated per batch so that
//! each costs one read-modify-write, every trigger's accepted and
//! duplicate events (`trigger_stats`) and every tenant's accepted
//! requests of the UTC day (`tenant_usage`, the daily quota).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;
use tokio::sync::{Notify, mpsc, oneshot};

use super::codec::{dedup_key, dedup_value, expiry_key, split_dedup_value};
use super::stats::{CommitCounters, commit_stats_key, usage_on, usage_value, utc_day};
use super::{Store, StoreError};
use crate::batch::next_batch;
use crate::ids::{EventId, TenantId, TriggerId};
use crate::time::now_ms;

/// Requests waiting beyond this many make callers wait for room
/// (backpressure instead of unbounded memory).
const QUEUE_CAPACITY: usize = 8192;

/// One event to append, already encoded by the caller (off the writer
/// thread, so encoding uses every core).
#[derive(Debug)]
pub struct PendingEvent {
    /// What idempotency keys are unique within: the trigger the event
    /// arrived on, or for published events the tenant.
    pub dedupe_scope: [u8; 16],
    /// The trigger the event arrived on (`None` for published and
    /// operational events); its accepted/duplicate counters are kept.
    pub trigger_id: Option<TriggerId>,
    /// The event's tenant; webhooks (events with a trigger) count toward
    /// its daily usage.
    pub tenant_id: TenantId,
    /// The provider's key for this delivery.
    pub idempotency_key: String,
    /// The encoded [`EventDraft`](crate::model::EventDraft).
    pub record: Vec<u8>,
}

/// What happened to one event of a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// Appended under this new id.
    Stored(EventId),
    /// Its idempotency key was already seen; this is the earlier event.
    Duplicate(EventId),
}

struct CommitRequest {
    events: Vec<PendingEvent>,
    reply: oneshot::Sender<Result<Vec<CommitOutcome>, StoreError>>,
}

/// Submits events to the group-commit writer. Cloneable; when every clone
/// is dropped the writer finishes the queue, syncs and exits.
#[derive(Clone)]
pub struct Committer {
    queue: mpsc::Sender<CommitRequest>,
    progress: Arc<CommitProgress>,
}

/// When the writer started the batch it is working on, if any: what a
/// watchdog reads to notice a commit that no longer moves (`server::stall`).
///
/// Times are read from the monotonic clock, so a wall clock stepped by NTP
/// or an operator can neither fake a stall nor hide one.
#[derive(Debug)]
pub struct CommitProgress {
    /// The instant the busy times count from.
    origin: Instant,
    /// Milliseconds after `origin`, plus one; 0 while idle.
    busy_since: AtomicU64,
}

impl Default for CommitProgress {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            busy_since: AtomicU64::new(0),
        }
    }
}

impl CommitProgress {
    /// How long the current batch has been in progress; `None` while the
    /// writer waits for work.
    pub fn busy_for(&self) -> Option<Duration> {
        match self.busy_since.load(Ordering::Acquire) {
            0 => None,
            since => Some(Duration::from_millis(self.elapsed_ms().saturating_sub(since - 1))),
        }
    }

    fn started(&self) {
        self.busy_since.store(self.elapsed_ms() + 1, Ordering::Release);
    }

    fn finished(&self) {
        self.busy_since.store(0, Ordering::Release);
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    /// Marks a batch as started `ago` (watchdog tests): the clock origin
    /// moves back by `ago`, as if the process had started that long before.
    #[cfg(test)]
    pub fn started_for_tests(ago: Duration) -> Self {
        let progress = Self {
            origin: Instant::now()
                .checked_sub(ago)
                .expect("the monotonic clock goes back that far"),
            busy_since: AtomicU64::new(0),
        };
        progress.busy_since.store(1, Ordering::Release);
        progress
    }
}

impl Committer {
    /// Starts the writer thread. `appended` is notified after each durable
    /// batch so the router can pick new events up.
    pub fn start(
        store: Store,
        max_batch: usize,
        dedupe_retention: Duration,
        appended: Arc<Notify>,
    ) -> Result<(Self, JoinHandle<()>), StoreError> {
        let (queue, requests) = mpsc::channel(QUEUE_CAPACITY);
        let progress = Arc::new(CommitProgress::default());
        let writer = Writer {
            store,
            max_batch: max_batch.max(1),
            retention_ms: u64::try_from(dedupe_retention.as_millis()).unwrap_or(u64::MAX),
            appended,
            progress: Arc::clone(&progress),
        };
        let handle = std::thread::Builder::new()
            .name("weir-committer".into())
            .spawn(move || writer.run(requests))?;
        Ok((Self { queue, progress }, handle))
    }

    /// The writer's progress, for a watchdog.
    pub fn progress(&self) -> Arc<CommitProgress> {
        Arc::clone(&self.progress)
    }

    /// Appends `events` and waits until they are durable. Returns one
    /// outcome per event, in order.
    pub async fn commit(&self, events: Vec<PendingEvent>) -> Result<Vec<CommitOutcome>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(CommitRequest { events, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

struct Writer {
    store: Store,
    max_batch: usize,
    retention_ms: u64,
    appended: Arc<Notify>,
    progress: Arc<CommitProgress>,
}

impl Writer {
    fn run(self, mut requests: mpsc::Receiver<CommitRequest>) {
        let mut ids = ulid::Generator::new();
        while let Some(batch) = next_batch(&mut requests, self.max_batch) {
            self.progress.started();
            let result = self
                .append(&mut ids, &batch)
                .and_then(|outcomes| self.store.sync().map(|()| outcomes));
            self.progress.finished();
            match result {
                Ok(outcomes) => {
                    for (request, outcome) in batch.into_iter().zip(outcomes) {
                        // A caller that went away (client disconnected) is fine:
                        // its events are stored and dedupe answers its retry.
                        let _ = request.reply.send(Ok(outcome));
                    }
                    self.appended.notify_one();
                }
                Err(error) => {
                    tracing::error!(%error, requests = batch.len(), "commit failed; answering 503");
                    let kind = error.to_string();
                    for request in batch {
                        let _ = request
                            .reply
                            .send(Err(StoreError::Io(std::io::Error::other(kind.clone()))));
                    }
                }
            }
        }
        if let Err(error) = self.store.flush_all() {
            tracing::error!(%error, "final flush failed");
        }
    }

    /// Appends one batch in one transaction; ids are drawn up front because
    /// a transaction body may run more than once.
    fn append(
        &self,
        ids: &mut ulid::Generator,
        batch: &[CommitRequest],
    ) -> Result<Vec<Vec<CommitOutcome>>, StoreError> {
        self.store.check_writable()?;
        let total: usize = batch.iter().map(|request| request.events.len()).sum();
        let fresh_ids = (0..total)
            .map(|_| ids.generate().map(EventId::from_ulid))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| StoreError::Io(std::io::Error::other(error.to_string())))?;
        let now = now_ms();
        let today = utc_day(now);
        let expires = now.saturating_add(self.retention_ms);
        let trees = self.store.trees();
        let outcomes = (
            &trees.events,
            &trees.dedup,
            &trees.dedup_expiry,
            &trees.trigger_stats,
            &trees.tenant_usage,
        )
            .transaction(|(events, dedup, expiry, stats, usage)| {
                let mut seen: HashMap<Vec<u8>, EventId> = HashMap::new();
                let mut per_trigger: HashMap<TriggerId, CommitCounters> = HashMap::new();
                let mut per_tenant: HashMap<TenantId, u64> = HashMap::new();
                let mut next_id = fresh_ids.iter();
                let mut outcomes = Vec::with_capacity(batch.len());
                for request in batch {
                    let mut request_outcomes = Vec::with_capacity(request.events.len());
                    for event in &request.events {
                        let id = *next_id
                            .next()
                            .ok_or_else(|| ConflictableTransactionError::Abort(StoreError::Closed))?;
                        let key = dedup_key(event.dedupe_scope, &event.idempotency_key);
                        let earlier = match seen.get(&key) {
                            Some(earlier) => Some(*earlier),
                            None => dedup
                                .get(&key)?
                                .as_deref()
                                .and_then(split_dedup_value)
                                .filter(|(_, expires_at)| *expires_at > now)
                                .and_then(|(earlier, _)| EventId::from_bytes(&earlier)),
                        };
                        let counters = event
                            .trigger_id
                            .map(|trigger| per_trigger.entry(trigger).or_default());
                        if let Some(earlier) = earlier {
                            if let Some(counters) = counters {
                                counters.duplicates += 1;
                            }
                            request_outcomes.push(CommitOutcome::Duplicate(earlier));
                            continue;
                        }
                        if let Some(counters) = counters {
                            counters.accepted += 1;
                        }
                        events.insert(&id.to_bytes(), event.record.as_slice())?;
                        dedup.insert(key.as_slice(), &dedup_value(id.to_bytes(), expires)[..])?;
                        expiry.insert(expiry_key(expires, &key), &[])?;
                        seen.insert(key, id);
                        request_outcomes.push(CommitOutcome::Stored(id));
                    }
                    if request_outcomes
                        .iter()
                        .any(|o| matches!(o, CommitOutcome::Stored(_)))
                        && let Some(event) = request.events.first()
                        && event.trigger_id.is_some()
                    {
                        *per_tenant.entry(event.tenant_id).or_default() += 1;
                    }
                    outcomes.push(request_outcomes);
                }
                for (trigger, delta) in per_trigger {
                    let key = commit_stats_key(trigger.to_bytes());
                    let mut counters = stats
                        .get(key)?
                        .map(|bytes| CommitCounters::decode(&bytes))
                        .unwrap_or_default();
                    counters.accepted += delta.accepted;
                    counters.duplicates += delta.duplicates;
                    if delta.accepted > 0 {
                        counters.last_accepted_ms = now;
                    }
                    stats.insert(&key, &counters.encode()[..])?;
                }
                for (tenant, accepted) in per_tenant {
                    let key = tenant.to_bytes();
                    let today_so_far = usage.get(key)?.map_or(0, |value| usage_on(&value, today));
                    usage.insert(&key, &usage_value(today, today_so_far + accepted)[..])?;
                }
                Ok(outcomes)
            })?;
        Ok(outcomes)
    }
}
