//! Hot reload: watches the plugins directory and rescans it when anything
//! changes (debounced, so a pack being copied is loaded once it is
//! complete), plus a periodic rescan in case a change notification is
//! missed. A rescan only recompiles packs whose files changed, off the
//! async worker threads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::host::{PluginHost, ReloadReport};

/// Quiet time after the last change before rescanning.
const DEBOUNCE: Duration = Duration::from_millis(300);
/// Rescan this often even without notifications.
const PERIODIC_RESCAN: Duration = Duration::from_secs(10);

/// Rescans `dir` into `host` now; returns what changed.
pub async fn rescan(host: &Arc<PluginHost>, dir: &Path) -> ReloadReport {
    let host = Arc::clone(host);
    let dir = dir.to_owned();
    let report = tokio::task::spawn_blocking(move || host.load_dir(&dir))
        .await
        .unwrap_or_default();
    if !report.is_empty() {
        tracing::info!(
            added = ?report.added,
            updated = ?report.updated,
            removed = ?report.removed,
            failed = ?report.failed,
            "plugins directory reloaded"
        );
    }
    report
}

/// Watches `dir` until `shutdown`, reloading packs as they change.
pub async fn watch(host: Arc<PluginHost>, dir: PathBuf, shutdown: CancellationToken) {
    let (changes, mut changed) = mpsc::channel::<()>(64);
    // Keep the watcher alive for the whole loop; without it (directory
    // unreadable, inotify limits) the periodic rescan still works.
    let _watcher = match start_watcher(&dir, changes) {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            tracing::warn!(dir = %dir.display(), %error, "cannot watch the plugins directory; rescanning every {}s", PERIODIC_RESCAN.as_secs());
            None
        }
    };
    let mut periodic = tokio::time::interval(PERIODIC_RESCAN);
    periodic.tick().await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = periodic.tick() => {}
            Some(()) = changed.recv() => {
                // Debounce: wait until changes stop arriving.
                loop {
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(DEBOUNCE) => break,
                        Some(()) = changed.recv() => {}
                    }
                }
            }
        }
        rescan(&host, &dir).await;
    }
}

fn start_watcher(dir: &Path, changes: mpsc::Sender<()>) -> notify::Result<notify::RecommendedWatcher> {
    std::fs::create_dir_all(dir).map_err(notify::Error::io)?;
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok() {
            // A full channel already holds a pending rescan.
            let _ = changes.try_send(());
        }
    })?;
    watcher.watch(dir, RecursiveMode::Recursive)?;
    Ok(watcher)
}
