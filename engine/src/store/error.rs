//! [`StoreError`]: everything that can go wrong below the store's interface.

use std::path::Path;

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk refused a read or write (full, failing, permissions).
    #[error("store I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The data directory is in use by another Weir process.
    #[error("the data directory `{0}` is locked by another process; stop it or use another data_dir")]
    Locked(String),
    /// The files on disk are damaged; Weir refuses to start rather than
    /// start over with an empty store.
    #[error("the store at `{path}` is corrupt ({detail}); restore it from a backup or move it aside")]
    Corrupt {
        /// The data directory.
        path: String,
        /// sled's description.
        detail: String,
    },
    /// The store was written by a newer Weir.
    #[error(
        "the store has schema version {found}, newer than the {supported} this Weir understands; upgrade Weir"
    )]
    SchemaTooNew {
        /// Version on disk.
        found: u32,
        /// Version this build writes.
        supported: u32,
    },
    /// A stored record no longer decodes.
    #[error("record in tree `{tree}` cannot be decoded: {source}")]
    Decode {
        /// Which tree.
        tree: &'static str,
        /// The decoder's complaint.
        source: serde_json::Error,
    },
    /// A record could not be encoded.
    #[error("record cannot be encoded: {0}")]
    Encode(serde_json::Error),
    /// Another sled failure.
    #[error("store error: {0}")]
    Sled(sled::Error),
    /// The committer has stopped (shutdown in progress).
    #[error("the store is shutting down")]
    Closed,
}

impl StoreError {
    /// True for failures a client should retry later (503), as opposed to
    /// bugs (500).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Io(_) | Self::Closed | Self::Locked(_))
    }

    /// Classifies an error from opening the store.
    pub(super) fn from_open(error: sled::Error, dir: &Path) -> Self {
        let path = dir.display().to_string();
        match error {
            sled::Error::Io(io)
                if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") =>
            {
                Self::Locked(path)
            }
            sled::Error::Corruption { .. } | sled::Error::ReportableBug(_) => Self::Corrupt {
                path,
                detail: error.to_string(),
            },
            other => other.into(),
        }
    }
}

impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> Self {
        match error {
            sled::Error::Io(io) => Self::Io(io),
            other => Self::Sled(other),
        }
    }
}

impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(error: sled::transaction::TransactionError<StoreError>) -> Self {
        match error {
            sled::transaction::TransactionError::Abort(inner) => inner,
            sled::transaction::TransactionError::Storage(storage) => storage.into(),
        }
    }
}
