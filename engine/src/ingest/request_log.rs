//! The inbound request log writer: every webhook request's record goes on
//! a bounded queue, and one thread writes them in batches, gathered for
//! up to [`LINGER`].
//!
//! The request path never waits and never fails because of the log: when
//! the queue is full (or the store refuses the write) records are dropped
//! and counted. The count is served by `GET /api/v1/requests` and logged
//! (at most every [`REPORT_EVERY`]). Records are not synced on their own;
//! they reach the disk with the next commit's sync or sled's periodic
//! flush.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::ids::RequestId;
use crate::model::RequestRecord;
use crate::store::Store;
use crate::time::UnixMillis;

/// Most records written by one batch.
const MAX_BATCH: usize = 1024;
/// Longest a record waits for others to share its write: records become
/// readable at most this much later, and a busy gateway writes a batch
/// per `LINGER` instead of one per wake-up.
const LINGER: Duration = Duration::from_millis(50);
/// Most batches written between two sleeps: the queue is drained in full
/// unless records arrive faster than they are written.
const MAX_BATCHES_PER_ROUND: usize = 64;
/// How often the writer looks for the stop signal when idle.
const IDLE_WAKE: Duration = Duration::from_millis(200);
/// Least time between two warnings about dropped records.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Sends records to the writer; cheap to clone.
#[derive(Clone)]
pub struct RequestLog {
    queue: SyncSender<RequestRecord>,
    dropped: Arc<AtomicU64>,
    /// Request ids, monotonic within a millisecond so the log keeps
    /// arrival order.
    ids: Arc<Mutex<ulid::Generator>>,
}

/// The writer thread; stop it with [`RequestLogThread::stop`].
pub struct RequestLogThread {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl RequestLog {
    /// Starts the writer with room for `capacity` waiting records.
    pub fn start(store: Store, capacity: usize) -> std::io::Result<(Self, RequestLogThread)> {
        let (queue, records) = sync_channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            store,
            dropped: Arc::clone(&dropped),
            stop: Arc::clone(&stop),
            reported: 0,
            last_report: None,
        };
        let handle = std::thread::Builder::new()
            .name("weir-request-log".into())
            .spawn(move || writer.run(&records))?;
        let ids = Arc::new(Mutex::new(ulid::Generator::new()));
        Ok((Self { queue, dropped, ids }, RequestLogThread { stop, handle }))
    }

    /// A fresh request id for a request received at `received_at`, after
    /// every id given before (unless the clock went back).
    pub fn next_id(&self, received_at: UnixMillis) -> RequestId {
        let at = std::time::UNIX_EPOCH + Duration::from_millis(received_at);
        let mut ids = match self.ids.lock() {
            Ok(ids) => ids,
            Err(poisoned) => poisoned.into_inner(),
        };
        let ulid = ids
            .generate_from_datetime(at)
            .unwrap_or_else(|_| ulid::Ulid::from_datetime(at));
        RequestId::from_ulid(ulid)
    }

    /// Queues `record`; drops (and counts) it when the queue is full.
    pub fn record(&self, record: RequestRecord) {
        match self.queue.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Records dropped since start (queue full or store failing).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl RequestLogThread {
    /// Writes what is queued, then stops and waits for the thread.
    pub fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        if self.handle.join().is_err() {
            tracing::error!("the request log writer panicked");
        }
    }
}

struct Writer {
    store: Store,
    dropped: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    reported: u64,
    last_report: Option<Instant>,
}

impl Writer {
    fn run(mut self, records: &Receiver<RequestRecord>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            match records.recv_timeout(IDLE_WAKE) {
                Ok(first) => batch.push(first),
                Err(RecvTimeoutError::Timeout) => {
                    self.report_drops();
                    if self.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            // Let the others gather for `LINGER` before writing: every
            // write is a sled batch, and each batch costs sled two
            // log-buffer writes (with `sync_file_range`) whatever its
            // size. The writer sleeps rather than waits on the queue, so a
            // record queued meanwhile wakes nobody (a wake-up per record
            // cost each request a futex call and a context switch).
            std::thread::sleep(LINGER);
            for _ in 0..MAX_BATCHES_PER_ROUND {
                while batch.len() < MAX_BATCH {
                    match records.try_recv() {
                        Ok(record) => batch.push(record),
                        Err(_) => break,
                    }
                }
                let full = batch.len() >= MAX_BATCH;
                self.write(&mut batch);
                if !full {
                    break;
                }
            }
            self.report_drops();
        }
        // Stopping: write whatever is still queued.
        while let Ok(record) = records.try_recv() {
            batch.push(record);
            if batch.len() >= MAX_BATCH {
                self.write(&mut batch);
            }
        }
        self.write(&mut batch);
        self.last_report = None;
        self.report_drops();
    }

    fn write(&self, batch: &mut Vec<RequestRecord>) {
        if batch.is_empty() {
            return;
        }
        if let Err(error) = self.store.append_requests(batch) {
            let lost = u64::try_from(batch.len()).unwrap_or(u64::MAX);
            self.dropped.fetch_add(lost, Ordering::Relaxed);
            tracing::error!(%error, records = lost, "request log records could not be written");
        }
        batch.clear();
    }

    fn report_drops(&mut self) {
        let total = self.dropped.load(Ordering::Relaxed);
        if total == self.reported || self.last_report.is_some_and(|at| at.elapsed() < REPORT_EVERY) {
            return;
        }
        tracing::warn!(
            dropped = total - self.reported,
            total,
            "request log records dropped (queue full or store failing); see `ingest.request_log_queue`"
        );
        self.reported = total;
        self.last_report = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::config::Durability;
    use crate::ids::RequestId;
    use crate::model::RequestOutcome;
    use crate::store::RequestFilter;

    fn record() -> RequestRecord {
        RequestRecord {
            id: RequestId::generate(),
            received_at: crate::time::now_ms(),
            trigger_id: None,
            tenant_id: None,
            method: Cow::Borrowed("POST"),
            status: 404,
            outcome: RequestOutcome::Rejected,
            error_code: Some(Cow::Borrowed("unknown_webhook")),
            event_ids: Vec::new(),
            client_address: "127.0.0.1".parse().expect("ip"),
            user_agent: None,
            body_bytes: 0,
            duration_us: 1,
        }
    }

    #[test]
    fn records_are_written_and_overflow_is_counted_not_waited_for() {
        let temp = tempfile::tempdir().expect("temp");
        let store = Store::open(temp.path(), Durability::None).expect("opens");
        let (log, thread) = RequestLog::start(store.clone(), 4).expect("starts");
        // Far more than the queue holds, faster than any disk: some are
        // dropped, none blocks, and every record is either written or
        // counted.
        for _ in 0..5_000 {
            log.record(record());
        }
        thread.stop();
        let written = store
            .requests(
                &RequestFilter {
                    include_unknown_keys: true,
                    ..RequestFilter::default()
                },
                None,
                10_000,
            )
            .expect("reads")
            .records
            .len();
        let dropped = usize::try_from(log.dropped()).expect("fits");
        assert_eq!(written + dropped, 5_000, "written {written}, dropped {dropped}");
        assert!(dropped > 0, "a 4-record queue cannot absorb 5000 at once");
    }
}
