//! The periodic upkeep of ingest's stored state: expired dedupe markers,
//! request log records and events (with their deliveries and attempts)
//! past their retention are pruned every
//! `ingest.prune_interval`, idle rate-limit buckets are forgotten, and the
//! store takes a checkpoint every [`CHECKPOINT_EVERY`] (see
//! `store::checkpoint`). The work runs on the blocking pool; the task
//! stops with the server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::Gateway;
use crate::store::Store;
use crate::time::now_ms;

/// How often the store records a checkpoint while running.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(10);
/// Most event pruning passes (each up to 1,024 events) per tick.
const MAX_PRUNE_PASSES: usize = 1024;
/// A rate-limit bucket unused this long is full again for any sensible
/// rate, and is forgotten.
const BUCKET_IDLE: Duration = Duration::from_secs(3600);

/// What the task needs.
pub struct Maintenance {
    /// The store to prune.
    pub store: Store,
    /// The rate limiters to tidy.
    pub gateway: Arc<Gateway>,
    /// `ingest.prune_interval`.
    pub prune_interval: Duration,
    /// `ingest.request_log_retention`.
    pub request_log_retention: Duration,
    /// `ingest.event_retention` (zero keeps events forever).
    pub event_retention: Duration,
}

impl Maintenance {
    /// Runs until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut prune = tokio::time::interval(self.prune_interval);
        let mut checkpoint = tokio::time::interval(CHECKPOINT_EVERY);
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        checkpoint.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Both fire at once at start; the store was just checkpointed.
        checkpoint.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = prune.tick() => self.prune().await,
                _ = checkpoint.tick() => {
                    let store = self.store.clone();
                    let result = tokio::task::spawn_blocking(move || store.checkpoint()).await;
                    if let Ok(Err(error)) = result {
                        tracing::error!(%error, "checkpoint failed");
                    }
                }
            }
        }
    }

    async fn prune(&self) {
        let store = self.store.clone();
        let retention_ms = u64::try_from(self.request_log_retention.as_millis()).unwrap_or(u64::MAX);
        let event_retention_ms = u64::try_from(self.event_retention.as_millis()).unwrap_or(u64::MAX);
        let result = tokio::task::spawn_blocking(move || {
            let now = now_ms();
            let markers = store.prune_dedup(now)?;
            let requests = store.prune_requests(now.saturating_sub(retention_ms))?;
            let mut events = crate::store::Pruned::default();
            if event_retention_ms > 0 {
                // One pass handles a batch; keep going while passes make
                // progress, so retention keeps up with any ingest rate.
                for _ in 0..MAX_PRUNE_PASSES {
                    let pass = store.prune_events(now.saturating_sub(event_retention_ms))?;
                    events.events += pass.events;
                    events.deliveries += pass.deliveries;
                    events.attempts += pass.attempts;
                    if !pass.more || pass.events == 0 {
                        break;
                    }
                }
            }
            Ok::<_, crate::store::StoreError>((markers, requests, events))
        })
        .await;
        match result {
            Ok(Ok((markers, requests, events))) if markers + requests + events.events > 0 => {
                tracing::debug!(
                    markers,
                    requests,
                    events = events.events,
                    deliveries = events.deliveries,
                    attempts = events.attempts,
                    "pruned expired dedupe markers, request log records and events"
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::error!(%error, "pruning failed"),
            Err(error) => tracing::error!(%error, "pruning task failed"),
        }
        let now = Instant::now();
        self.gateway.key_limits.forget_idle(now, BUCKET_IDLE);
        self.gateway.tenant_limits.forget_idle(now, BUCKET_IDLE);
    }
}
