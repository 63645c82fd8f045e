//! Checkpoints: how Weir notices a damaged store that sled would open as
//! if nothing were wrong.
//!
//! sled 0.34 recovers its log by reading it until the first message that
//! fails its checksum and treats that point as the end: overwritten bytes
//! in the middle of `db` silently drop everything written after them. So
//! the store keeps a counter in `meta` and, at each checkpoint, bumps it,
//! flushes and syncs everything, and only then writes the counter and the
//! store's id to `weir-checkpoint` beside sled's files. On open, a counter
//! behind the file's (or a missing or different store id) means data that
//! was on disk is gone: [`StoreError::Corrupt`], never a fresh start.
//! Checkpoints are taken at open, periodically and at shutdown, so the
//! check covers everything written before the last one.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::model::random_alphanumeric;

/// The file beside sled's (sled only manages `conf`, `db`, `blobs/` and
/// `snap.*`).
const FILE: &str = "weir-checkpoint";
const STORE_ID_KEY: &[u8] = b"store_id";
const CHECKPOINT_KEY: &[u8] = b"checkpoint";

/// The contents of `weir-checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Checkpoint {
    /// Random id given to the store when it was created.
    store_id: String,
    /// The counter value that was on disk when the file was written.
    checkpoint: u64,
}

/// Reads `weir-checkpoint` in `dir`; `None` for a new store (or one
/// written before checkpoints existed).
pub(super) fn read(dir: &Path) -> Result<Option<Checkpoint>, StoreError> {
    match std::fs::read(dir.join(FILE)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| StoreError::Corrupt {
                path: dir.display().to_string(),
                detail: format!("`{FILE}` cannot be read: {error}"),
            }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.into()),
    }
}

impl Store {
    /// Refuses a store whose log no longer reaches the last checkpoint.
    pub(super) fn verify_checkpoint(
        &self,
        dir: &Path,
        expected: Option<Checkpoint>,
    ) -> Result<(), StoreError> {
        let Some(expected) = expected else {
            return Ok(());
        };
        let corrupt = |detail: String| StoreError::Corrupt {
            path: dir.display().to_string(),
            detail,
        };
        let meta = &self.trees().meta;
        let store_id = meta
            .get(STORE_ID_KEY)?
            .map(|id| String::from_utf8_lossy(&id).into_owned());
        if store_id.as_deref() != Some(expected.store_id.as_str()) {
            return Err(corrupt(format!(
                "the data files do not hold store `{}` that `{FILE}` names: they are damaged, emptied or replaced",
                expected.store_id
            )));
        }
        let found = self.checkpoint_counter()?;
        if found < expected.checkpoint {
            return Err(corrupt(format!(
                "the log ends before checkpoint {} (it reaches {found}): data that was on disk is missing, so the files are damaged",
                expected.checkpoint
            )));
        }
        Ok(())
    }

    /// Takes a checkpoint: bumps the counter, makes everything durable,
    /// then records the counter in `weir-checkpoint`.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let _one_at_a_time = match self.inner.checkpointing.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        self.check_writable()?;
        let meta = &self.trees().meta;
        let store_id = match meta.get(STORE_ID_KEY)? {
            Some(id) => String::from_utf8_lossy(&id).into_owned(),
            None => {
                let id = random_alphanumeric(24);
                meta.insert(STORE_ID_KEY, id.as_bytes())?;
                id
            }
        };
        let next = self.checkpoint_counter()?.saturating_add(1);
        meta.insert(CHECKPOINT_KEY, &next.to_be_bytes())?;
        self.flush_all()?;
        write_file(
            &self.inner.dir,
            &Checkpoint {
                store_id,
                checkpoint: next,
            },
        )
    }

    fn checkpoint_counter(&self) -> Result<u64, StoreError> {
        Ok(self
            .trees()
            .meta
            .get(CHECKPOINT_KEY)?
            .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_ref()).ok())
            .map_or(0, u64::from_be_bytes))
    }
}

/// Writes the file atomically: a synced temporary file renamed over it,
/// then the directory synced so the rename survives a power cut.
fn write_file(dir: &Path, checkpoint: &Checkpoint) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(checkpoint).map_err(StoreError::Encode)?;
    let temporary = dir.join(format!("{FILE}.tmp"));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, dir.join(FILE))?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Durability;

    #[test]
    fn a_store_behind_its_checkpoint_or_replaced_is_refused() {
        let temp = tempfile::tempdir().expect("temp");
        let dir = temp.path().join("data");
        let store = Store::open(&dir, Durability::Flush).expect("opens");
        store.checkpoint().expect("checkpoint");
        drop(store);
        let good = read(&dir).expect("reads").expect("written");
        assert!(good.checkpoint >= 2, "{good:?}");
        Store::open(&dir, Durability::Flush).expect("reopens");

        // A checkpoint the log never reached.
        let ahead = Checkpoint {
            checkpoint: good.checkpoint + 100,
            ..good.clone()
        };
        write_file(&dir, &ahead).expect("write");
        let error = Store::open(&dir, Durability::Flush).err().expect("refused");
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
        assert!(error.to_string().contains("checkpoint"), "{error}");

        // Data files from elsewhere.
        let stranger = Checkpoint {
            store_id: "someone-else".into(),
            ..good
        };
        write_file(&dir, &stranger).expect("write");
        let error = Store::open(&dir, Durability::Flush).err().expect("refused");
        assert!(error.to_string().contains("someone-else"), "{error}");
    }
}
