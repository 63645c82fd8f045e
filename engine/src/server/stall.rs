//! The commit stall watchdog: stops Weir when a commit has made no
//! progress for `ingest.commit_stall_limit`.
//!
//! sled 0.34 can deadlock inside itself: a thread holding its segment
//! accountant's lock waits for a file truncation queued on sled's I/O
//! pool while every pool thread waits for that lock (seen under load,
//! see docs/benchmarks.md). Nothing inside the process can undo that, and
//! a Weir stuck there keeps its port open while answering no webhook. A
//! healthy commit takes milliseconds; one in progress for minutes means
//! the store is stuck (or the disk has stopped answering), and the right
//! move is to stop so the supervisor restarts Weir. Nothing acknowledged
//! is lost: a webhook is acknowledged only after its batch is synced,
//! which a stuck batch never was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::store::CommitProgress;

/// Watches the committer until [`StallWatchdog::stop`].
pub struct StallWatchdog {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl StallWatchdog {
    /// Checks `progress` every `limit / 10` (at most once a second) and
    /// calls `on_stall` once with how long the stuck batch has been in
    /// progress when that reaches `limit`.
    pub fn start(
        progress: Arc<CommitProgress>,
        limit: Duration,
        on_stall: impl FnOnce(Duration) + Send + 'static,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let every = (limit / 10).clamp(Duration::from_millis(1), Duration::from_secs(1));
        let handle = std::thread::Builder::new()
            .name("weir-stall-watchdog".into())
            .spawn(move || {
                while !stopped.load(Ordering::Acquire) {
                    std::thread::sleep(every);
                    if let Some(busy) = progress.busy_for()
                        && busy >= limit
                    {
                        on_stall(busy);
                        return;
                    }
                }
            })?;
        Ok(Self { stop, handle })
    }

    /// Stops watching (shutdown) and waits for the thread.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        if self.handle.join().is_err() {
            tracing::error!("the commit stall watchdog panicked");
        }
    }
}

/// What `weir serve` does on a stall: say why, then exit with status 70
/// (`EX_SOFTWARE`) for the supervisor to restart it.
pub fn exit_on_stall(busy: Duration) {
    tracing::error!(
        stuck_for_s = busy.as_secs(),
        "a commit has made no progress; the store is stuck (a known sled 0.34 deadlock, or a disk that stopped answering). \
         Exiting so that the supervisor restarts Weir; nothing acknowledged is lost. See `ingest.commit_stall_limit`."
    );
    eprintln!(
        "weir: a commit has made no progress for {} s; exiting (status 70) for a restart",
        busy.as_secs()
    );
    std::process::exit(70);
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use tokio::sync::Notify;

    use super::*;
    use crate::ids::{TenantId, TriggerId};
    use crate::store::Committer;
    use crate::store::testing::{pending, temp_store};

    #[tokio::test]
    async fn an_idle_or_moving_committer_is_left_alone() {
        let (_temp, store) = temp_store();
        let (trigger, tenant) = (TriggerId::generate(), TenantId::generate());
        let (committer, thread) =
            Committer::start(store, 16, Duration::from_secs(60), Arc::new(Notify::new())).expect("committer");
        let (stalled, seen) = mpsc::channel();
        let watchdog = StallWatchdog::start(committer.progress(), Duration::from_millis(200), move |busy| {
            let _ = stalled.send(busy);
        })
        .expect("starts");
        for n in 0..20 {
            let event = pending(trigger, tenant, &format!("key-{n}"));
            committer.commit(vec![event]).await.expect("commits");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(seen.try_recv().is_err(), "no stall reported while commits finish");
        watchdog.stop();
        drop(committer);
        thread.join().expect("joins");
    }

    #[test]
    fn a_batch_in_progress_past_the_limit_is_reported_once() {
        let progress = Arc::new(CommitProgress::started_for_tests(Duration::from_secs(5)));
        let (stalled, seen) = mpsc::channel();
        let watchdog = StallWatchdog::start(Arc::clone(&progress), Duration::from_secs(2), move |busy| {
            let _ = stalled.send(busy);
        })
        .expect("starts");
        let busy = seen.recv_timeout(Duration::from_secs(10)).expect("reported");
        assert!(busy >= Duration::from_secs(5), "{busy:?}");
        watchdog.stop();
        assert!(seen.try_recv().is_err(), "reported once");
    }
}
