//! [`Dispatcher`]: claims due deliveries and runs their attempts
//! concurrently, waking when the router schedules work, when a retry falls
//! due or when a worker frees a slot.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::attempt::Deliverer;
use crate::store::Store;
use crate::time::now_ms;

/// Longest sleep between looks at the due queue (a safety net; normally a
/// notification or the next due time wakes the dispatcher first).
const MAX_IDLE: Duration = Duration::from_secs(1);

/// Runs delivery attempts.
pub struct Dispatcher {
    store: Store,
    deliverer: Arc<Deliverer>,
    scheduled: Arc<Notify>,
    slots: Arc<Semaphore>,
}

impl Dispatcher {
    /// A dispatcher running at most `concurrency` attempts at once.
    pub fn new(store: Store, deliverer: Deliverer, scheduled: Arc<Notify>, concurrency: usize) -> Self {
        Self {
            store,
            deliverer: Arc::new(deliverer),
            scheduled,
            slots: Arc::new(Semaphore::new(concurrency)),
        }
    }

    /// Dispatches until `shutdown`, then waits for attempts in flight.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut workers = JoinSet::new();
        while !shutdown.is_cancelled() {
            while workers.try_join_next().is_some() {}
            let free = self.slots.available_permits();
            if free > 0 {
                match self.store.claim_due(now_ms(), free) {
                    Ok(claimed) if !claimed.is_empty() => {
                        for delivery in claimed {
                            let Ok(permit) = Arc::clone(&self.slots).acquire_owned().await else {
                                return;
                            };
                            let deliverer = Arc::clone(&self.deliverer);
                            workers.spawn(async move {
                                let id = delivery.id;
                                if let Err(error) = deliverer.attempt(delivery).await {
                                    tracing::error!(delivery = %id, %error, "cannot record attempt; it will be retried after a restart");
                                }
                                drop(permit);
                            });
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(error) => tracing::error!(%error, "cannot claim due deliveries"),
                }
            }
            let wait = match self.store.next_due_ms() {
                Ok(Some(at)) if free > 0 => Duration::from_millis(at.saturating_sub(now_ms())).min(MAX_IDLE),
                _ => MAX_IDLE,
            };
            tokio::select! {
                () = self.scheduled.notified() => {}
                () = tokio::time::sleep(wait) => {}
                Some(_) = workers.join_next(), if !workers.is_empty() => {}
                () = shutdown.cancelled() => {}
            }
        }
        while workers.join_next().await.is_some() {}
    }
}
