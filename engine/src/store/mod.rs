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
//! | `deliveries` | delivery id | [`Delivery`](crate::model::Delivery) JSON |
//! | `due` | due ms (8 B) + delivery id | empty |
//! | `inflight` | delivery id | empty (attempts running now) |
//! | `fifo` | destination + key hash (16 B) + position (16 B) | delivery id |
//! | `attempts` | delivery id + attempt number (4 B) | [`Attempt`](crate::model::Attempt) JSON |
//! | `triggers`, `destinations`, `rules`, `tenants`, `tokens` | id | record JSON |
//! | `meta` | name | cursor, bootstrap token hash, default tenant, schema version |
//!
//! Only this module touches sled.

mod catalog;
mod codec;
mod commit;
mod deliveries;
mod error;
mod events;
mod meta;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

pub use commit::{CommitOutcome, Committer, PendingEvent};
pub use deliveries::DeliveryFilter;
pub use error::StoreError;

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
}

/// The trees, opened once.
struct Trees {
    events: sled::Tree,
    dedup: sled::Tree,
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
    meta: sled::Tree,
}

impl Store {
    /// Opens (or creates) the store in `dir`. A corrupt or newer-version
    /// store is refused: Weir never starts over with an empty one.
    pub fn open(dir: &Path, durability: Durability) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)?;
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .flush_every_ms(Some(500))
            .open()
            .map_err(|error| StoreError::from_open(error, dir))?;
        let open = |name: &str| db.open_tree(name);
        let trees = Trees {
            events: open("events")?,
            dedup: open("dedup")?,
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
            }),
        };
        store.check_schema_version()?;
        Ok(store)
    }

    /// Makes every write so far durable to the configured level.
    pub fn sync(&self) -> Result<(), StoreError> {
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
