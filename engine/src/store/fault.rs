//! Fault injection for tests: with the `fault-injection` cargo feature
//! (enabled only for the test builds, through the engine's
//! dev-dependency on itself), a switch makes every store write fail as if
//! the disk were full, so tests can prove ingest then answers 503 and
//! never 2xx. Without the feature the check compiles to nothing.

use super::{Store, StoreError};

impl Store {
    /// Makes every write (commits, syncs, record writes, checkpoints) fail
    /// with an I/O error while `fail` is true.
    #[cfg(feature = "fault-injection")]
    pub fn fail_writes_for_tests(&self, fail: bool) {
        self.inner
            .fail_writes
            .store(fail, std::sync::atomic::Ordering::SeqCst);
    }

    /// The injected failure, when switched on.
    #[allow(clippy::unnecessary_wraps, clippy::unused_self)]
    pub(super) fn check_writable(&self) -> Result<(), StoreError> {
        #[cfg(feature = "fault-injection")]
        if self.inner.fail_writes.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Io(std::io::Error::other(
                "injected write failure (fault-injection)",
            )));
        }
        Ok(())
    }
}
