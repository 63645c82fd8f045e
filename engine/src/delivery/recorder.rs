//! Records finished attempts in batches.
//!
//! Every sled transaction costs two log-buffer writes (each with a
//! `sync_file_range`, on sled's I/O threads) however little it writes, so
//! one transaction per attempt made recording the largest cost of busy
//! delivery. Attempts queue here instead; one thread takes everything
//! queued (up to [`MAX_BATCH`]) and records it with one
//! [`Store::record_attempts`], then answers each waiting attempt. An
//! attempt continues only once its record is written, as before; nothing
//! is synced (a crash re-sends what was in flight, with the same
//! `webhook-id`). Deliveries in FIFO queues are recorded directly
//! ([`Store::record_attempt`]), since finishing one moves its queue.

use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use crate::batch::next_batch;
use crate::model::{Attempt, Delivery};
use crate::store::{RecordedAttempt, Store, StoreError};

/// Most attempts recorded by one transaction.
const MAX_BATCH: usize = 256;
/// Attempts waiting beyond this many make callers wait for room.
const QUEUE_CAPACITY: usize = 4096;

struct Request {
    record: RecordedAttempt,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// Submits attempts to the recording thread; the thread stops once every
/// clone is dropped and the queue is written.
#[derive(Clone)]
pub struct AttemptRecorder {
    store: Store,
    queue: mpsc::Sender<Request>,
}

impl AttemptRecorder {
    /// Starts the recording thread.
    pub fn start(store: Store) -> std::io::Result<(Self, JoinHandle<()>)> {
        let (queue, requests) = mpsc::channel(QUEUE_CAPACITY);
        let writer = store.clone();
        let handle = std::thread::Builder::new()
            .name("weir-attempts".into())
            .spawn(move || run(&writer, requests))?;
        Ok((Self { store, queue }, handle))
    }

    /// Records `attempt` and `delivery`'s new state, returning once it is
    /// written.
    pub async fn record(&self, delivery: &Delivery, attempt: &Attempt) -> Result<(), StoreError> {
        let Some(record) = RecordedAttempt::encode(delivery, attempt)? else {
            return self.store.record_attempt(delivery, attempt);
        };
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Request { record, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

fn run(store: &Store, mut requests: mpsc::Receiver<Request>) {
    while let Some(batch) = next_batch(&mut requests, MAX_BATCH) {
        let (records, replies): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|request| (request.record, request.reply))
            .unzip();
        match store.record_attempts(&records) {
            Ok(()) => {
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(error) => {
                tracing::error!(%error, attempts = records.len(), "recording attempts failed");
                let message = error.to_string();
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Io(std::io::Error::other(message.clone()))));
                }
            }
        }
    }
}
