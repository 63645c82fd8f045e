//! [`Dispatcher`]: claims due deliveries and runs their attempts
//! concurrently, isolating destinations from each other, waking when the
//! router schedules work, when a retry falls due or when an attempt ends.
//!
//! The bookkeeping (a cap on attempts in flight per destination, a global
//! cap, claimed deliveries waiting in memory, spills) lives in [`Lanes`];
//! this task owns it alone and does the I/O: claims from the store, spawns
//! attempts, and puts spilled or (at shutdown) waiting deliveries back in
//! the due queue. A claimed delivery is `sending` and in the store's
//! `inflight` tree until it is recorded or put back, so a crash re-queues
//! it at start-up (`Store::recover_inflight`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::attempt::Deliverer;
use super::lanes::{Admission, Lanes, Limits};
use crate::ids::DestinationId;
use crate::model::Delivery;
use crate::store::Store;
use crate::time::now_ms;

/// Longest sleep between looks at the due queue (a safety net; normally a
/// notification or the next due time wakes the dispatcher first).
const MAX_IDLE: Duration = Duration::from_secs(1);

/// What an attempt task hands back: its destination and how long it took.
type Ended = (DestinationId, u64);

/// Runs delivery attempts.
pub struct Dispatcher {
    store: Store,
    deliverer: Arc<Deliverer>,
    scheduled: Arc<Notify>,
    lanes: Lanes<DestinationId, Delivery>,
    workers: JoinSet<Ended>,
    /// The destination of each running task, to give its slot back even
    /// if the task panicked.
    tasks: HashMap<tokio::task::Id, DestinationId>,
}

impl Dispatcher {
    /// A dispatcher running at most `concurrency` attempts at once, each
    /// destination limited by [`Deliverer::max_in_flight`].
    pub fn new(store: Store, deliverer: Deliverer, scheduled: Arc<Notify>, concurrency: usize) -> Self {
        Self {
            store,
            deliverer: Arc::new(deliverer),
            scheduled,
            lanes: Lanes::new(Limits::new(concurrency)),
            workers: JoinSet::new(),
            tasks: HashMap::new(),
        }
    }

    /// Dispatches until `shutdown`, puts the deliveries waiting in memory
    /// back in the due queue, then waits for attempts in flight.
    pub async fn run(mut self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            while let Some(ended) = self.workers.try_join_next_with_id() {
                self.ended(ended);
            }
            while let Some((_, delivery)) = self.lanes.next_start() {
                self.spawn(delivery);
            }
            let mut claim_came_back_empty = false;
            if let Some(limit) = self.lanes.wants_claim() {
                match self.store.claim_due(now_ms(), limit) {
                    Ok(claimed) if !claimed.is_empty() => {
                        self.admit(claimed);
                        // Let other tasks run between claims while a
                        // backlog is worked through.
                        tokio::task::yield_now().await;
                        continue;
                    }
                    Ok(_) => claim_came_back_empty = true,
                    Err(error) => tracing::error!(%error, "cannot claim due deliveries"),
                }
            }
            let wait = match self.store.next_due_ms() {
                Ok(Some(at)) if claim_came_back_empty => {
                    Duration::from_millis(at.saturating_sub(now_ms())).min(MAX_IDLE)
                }
                _ => MAX_IDLE,
            };
            tokio::select! {
                () = self.scheduled.notified() => {}
                () = tokio::time::sleep(wait) => {}
                Some(ended) = self.workers.join_next_with_id(), if !self.workers.is_empty() => {
                    self.ended(ended);
                }
                () = shutdown.cancelled() => {}
            }
        }
        let waiting = self.lanes.drain_waiting();
        if !waiting.is_empty() {
            self.put_back(waiting.into_iter().map(|d| {
                let at = d.next_attempt_at_ms.unwrap_or_else(now_ms);
                (d, at)
            }));
        }
        while let Some(ended) = self.workers.join_next_with_id().await {
            self.ended(ended);
        }
    }

    /// Starts, queues or spills each claimed delivery.
    fn admit(&mut self, claimed: Vec<Delivery>) {
        let now = now_ms();
        let mut spilled = Vec::new();
        for delivery in claimed {
            let destination = delivery.destination_id;
            let cap = self.deliverer.max_in_flight(destination);
            match self.lanes.admit(destination, delivery, cap, now) {
                Admission::Start(delivery) => self.spawn(delivery),
                Admission::Queued => {}
                Admission::Spill { item, at_ms } => spilled.push((item, at_ms)),
            }
        }
        if !spilled.is_empty() {
            tracing::debug!(
                spilled = spilled.len(),
                "destinations at their cap with a full backlog; deliveries put back for later"
            );
            self.put_back(spilled.into_iter());
        }
    }

    /// Puts claimed deliveries back in the due queue without an attempt.
    /// If the store refuses, they stay in flight there and are re-queued
    /// at the next start.
    fn put_back(&self, deliveries: impl Iterator<Item = (Delivery, u64)>) {
        let deliveries: Vec<(Delivery, u64)> = deliveries.collect();
        if let Err(error) = self.store.release(&deliveries) {
            tracing::error!(
                %error,
                count = deliveries.len(),
                "cannot put deliveries back in the due queue; they will be queued again after a restart"
            );
        }
    }

    fn spawn(&mut self, delivery: Delivery) {
        let deliverer = Arc::clone(&self.deliverer);
        let destination = delivery.destination_id;
        let handle = self.workers.spawn(async move {
            let id = delivery.id;
            let started = Instant::now();
            if let Err(error) = deliverer.attempt(delivery).await {
                tracing::error!(delivery = %id, %error, "cannot record attempt; it will be retried after a restart");
            }
            let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            (destination, elapsed)
        });
        self.tasks.insert(handle.id(), destination);
    }

    fn ended(&mut self, ended: Result<(tokio::task::Id, Ended), JoinError>) {
        let (task, elapsed) = match ended {
            Ok((task, (_, elapsed))) => (task, elapsed),
            Err(error) => {
                tracing::error!(%error, "a delivery attempt task failed");
                (error.id(), 0)
            }
        };
        if let Some(destination) = self.tasks.remove(&task) {
            self.lanes.finished(destination, elapsed);
        }
    }
}
