//! The embedded store: sled trees used as an append-only event log plus
//! indexes, with an explicit durability step before anything is
//! acknowledged.
//!
//! Trees (all keys are big-endian so byte order is time order):
//!
//! | tree | key | value |
//! | --- | --- | --- |
//! | `events` | event id (16 B, monotonic ULID) | [`EventDraft`](crate::model::EventDraft) JSON |
//! | `dedup` | trigger id (16 B) + idempotency key | event id (16 B) + expiry ms (8 B) |
//! | `dedup_expiry` | expiry ms (8 B) + `dedup` key | empty (prunes expired markers by range) |
//! | `trigger_stats` | trigger id (16 B) + `c` | accepted, duplicates, last accepted ms (3 × 8 B), written by the committer |
//! | `trigger_stats` | trigger id (16 B) + `r` | rejections by code and last request (JSON), written by the request log |
//! | `tenant_usage` | tenant id (16 B) | UTC day (4 B) + requests accepted that day (8 B) |
//! | `requests` | request id (16 B, time-ordered ULID) | [`RequestRecord`](crate::model::RequestRecord) JSON |
//! | `deliveries` | delivery id | [`Delivery`](crate::model::Delivery) JSON |
//! | `due` | due ms (8 B) + delivery id | empty |
//! | `inflight` | delivery id | empty (attempts running now) |
//! | `fifo` | destination + key hash (16 B) + position (16 B) | delivery id |
//! | `attempts` | delivery id + attempt number (4 B) | [`Attempt`](crate::model::Attempt) JSON |
//! | `triggers`, `destinations`, `rules`, `tenants`, `tokens` | id | record JSON |
//! | `audit` | audit id (16 B, time-ordered ULID) | [`AuditEntry`](crate::model::AuditEntry) JSON |
//! | `meta` | name | cursor, bootstrap token hash, default tenant, schema version, store id, checkpoint |
//!
//! Beside sled's files, `weir-checkpoint` records the store's id and the
//! last checkpoint known to be on disk. sled treats a damaged log as its
//! end and would silently open what precedes the damage; the checkpoint
//! lets [`Store::open`] notice and refuse (see `checkpoint`).
//!
//! Only this module touches sled.

mod attempts;
mod audit;
mod backup;
mod catalog;
mod checkpoint;
mod codec;
mod commit;
mod deliveries;
mod error;
mod events;
mod fault;
mod meta;
mod prune;
mod requests;
mod retention;
mod stats;
#[cfg(test)]
pub(crate) mod testing;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

pub use attempts::RecordedAttempt;
pub use audit::AuditFilter;
pub use backup::RecordKind;
pub use commit::{CommitOutcome, CommitProgress, Committer, PendingEvent};
pub use deliveries::DeliveryFilter;
pub use error::StoreError;
pub use requests::{RequestFilter, RequestPage};
pub use retention::Pruned;
pub use stats::{ms_until_utc_midnight, utc_day};

use crate::config::Durability;

/// The version of the on-disk layout this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    trees: Trees,
    durability: Durability,
    /// sled's data file, opened so the committer can `fdatasync` it: sled's
    /// own flush uses `sync_file_range`, which does not flush the drive's
    /// cache.
    log_file: Option<File>,
    /// Serialises changes to FIFO queues (joining and leaving), whose
    /// head is found by a range scan that a transaction cannot do.
    fifo_lock: std::sync::Mutex<()>,
    /// The data directory (for the checkpoint file).
    dir: std::path::PathBuf,
    /// Serialises checkpoints.
    checkpointing: std::sync::Mutex<()>,
    /// Test-only switch making every write fail (`fault-injection`).
    #[cfg(feature = "fault-injection")]
    fail_writes: std::sync::atomic::AtomicBool,
}

/// The trees, opened once.
struct Trees {
    events: sled::Tree,
    dedup: sled::Tree,
    dedup_expiry: sled::Tree,
    trigger_stats: sled::Tree,
    tenant_usage: sled::Tree,
    requests: sled::Tree,
    deliveries: sled::Tree,
    due: sled::Tree,
    inflight: sled::Tree,
    fifo: sled::Tree,
    attempts: sled::Tree,
    triggers: sled::Tree,
    destinations: sled::Tree,
    rules: sled::Tree,
    tenants: sled::Tree,
    tokens: sled::Tree,
    audit: sled::Tree,
    meta: sled::Tree,
}

impl Store {
    /// Opens (or creates) the store in `dir`. A corrupt or newer-version
    /// store is refused: Weir never starts over with an empty one.
    pub fn open(dir: &Path, durability: Durability) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)?;
        let expected = checkpoint::read(dir)?;
        let db = open_sled(dir)?;
        let open = |name: &str| {
            db.open_tree(name)
                .map_err(|error| StoreError::from_open(error, dir))
        };
        let trees = Trees {
            events: open("events")?,
            dedup: open("dedup")?,
            dedup_expiry: open("dedup_expiry")?,
            trigger_stats: open("trigger_stats")?,
            tenant_usage: open("tenant_usage")?,
            requests: open("requests")?,
            deliveries: open("deliveries")?,
            due: open("due")?,
            inflight: open("inflight")?,
            fifo: open("fifo")?,
            attempts: open("attempts")?,
            triggers: open("triggers")?,
            destinations: open("destinations")?,
            rules: open("rules")?,
            tenants: open("tenants")?,
            tokens: open("tokens")?,
            audit: open("audit")?,
            meta: open("meta")?,
        };
        let log_file = match durability {
            Durability::Fsync => Some(File::open(dir.join("db"))?),
            Durability::Flush | Durability::None => None,
        };
        let store = Self {
            inner: Arc::new(Inner {
                db,
                trees,
                durability,
                log_file,
                fifo_lock: std::sync::Mutex::new(()),
                dir: dir.to_owned(),
                checkpointing: std::sync::Mutex::new(()),
                #[cfg(feature = "fault-injection")]
                fail_writes: std::sync::atomic::AtomicBool::new(false),
            }),
        };
        store.verify_checkpoint(dir, expected)?;
        store.check_schema_version()?;
        store.index_dedup_expiry_once()?;
        store.checkpoint()?;
        Ok(store)
    }

    /// Makes every write so far durable to the configured level.
    pub fn sync(&self) -> Result<(), StoreError> {
        self.check_writable()?;
        match self.inner.durability {
            Durability::None => Ok(()),
            Durability::Flush => {
                self.inner.db.flush()?;
                Ok(())
            }
            Durability::Fsync => {
                self.inner.db.flush()?;
                if let Some(file) = &self.inner.log_file {
                    file.sync_data()?;
                }
                Ok(())
            }
        }
    }

    /// Flushes everything regardless of the durability level (shutdown).
    pub fn flush_all(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        if let Some(file) = &self.inner.log_file {
            file.sync_data()?;
        }
        Ok(())
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.size_on_disk()?)
    }

    fn trees(&self) -> &Trees {
        &self.inner.trees
    }
}

/// Opens sled, turning its panics on damaged files into
/// [`StoreError::Corrupt`]: sled 0.34 can panic while recovering a log
/// whose bytes were overwritten.
fn open_sled(dir: &Path) -> Result<sled::Db, StoreError> {
    let config = sled::Config::new()
        .path(dir)
        .mode(sled::Mode::HighThroughput)
        .flush_every_ms(Some(500));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| config.open())) {
        Ok(opened) => opened.map_err(|error| StoreError::from_open(error, dir)),
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(StoreError::Corrupt {
                path: dir.display().to_string(),
                detail: format!("recovering the log failed: {detail}"),
            })
        }
    }
}
