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
//! it at start-up (`Store::recover_inflight`). An attempt whose record the
//! store refused (a full disk), or whose task panicked, leaves its
//! delivery "stranded" in flight: the dispatcher puts it back in the due
//! queue as soon as the store takes writes again, without a restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::attempt::Deliverer;
use super::lanes::{Admission, Lanes, Limits};
use crate::ids::{DeliveryId, DestinationId};
use crate::model::Delivery;
use crate::store::Store;
use crate::time::now_ms;

/// Longest sleep between looks at the due queue (a safety net; normally a
/// notification or the next due time wakes the dispatcher first).
const MAX_IDLE: Duration = Duration::from_secs(1);

/// How often putting stranded deliveries back is retried while the store
/// refuses it.
const STRANDED_RETRY: Duration = Duration::from_secs(2);

/// What an attempt task hands back.
struct Ended {
    /// How long the attempt took.
    elapsed_ms: u64,
    /// Whether its outcome was written (else it is stranded in flight).
    recorded: bool,
}

/// Runs delivery attempts.
pub struct Dispatcher {
    store: Store,
    deliverer: Arc<Deliverer>,
    scheduled: Arc<Notify>,
    lanes: Lanes<DestinationId, Delivery>,
    workers: JoinSet<Ended>,
    /// The destination and delivery of each running task, to give its slot
    /// back (and put its delivery back) even if the task panicked.
    tasks: HashMap<tokio::task::Id, (DestinationId, DeliveryId)>,
    /// Deliveries left in flight by attempts that could not be recorded.
    stranded: Vec<DeliveryId>,
    /// When to try putting `stranded` back next: in the past unless the
    /// last try failed.
    stranded_retry_at: Instant,
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
            stranded: Vec::new(),
            stranded_retry_at: Instant::now(),
        }
    }

    /// Dispatches until `shutdown`, puts the deliveries waiting in memory
    /// back in the due queue, then waits for attempts in flight.
    pub async fn run(mut self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            while let Some(ended) = self.workers.try_join_next_with_id() {
                self.ended(ended);
            }
            if !self.stranded.is_empty() && Instant::now() >= self.stranded_retry_at {
                self.requeue_stranded();
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
        if !self.stranded.is_empty() {
            self.requeue_stranded();
        }
    }

    /// Puts the stranded deliveries back in the due queue, due now; while
    /// the store refuses, tries again after [`STRANDED_RETRY`] (and at the
    /// latest, `recover_inflight` does it at the next start).
    fn requeue_stranded(&mut self) {
        match self.store.requeue_inflight(&self.stranded, now_ms()) {
            Ok(requeued) => {
                tracing::info!(
                    requeued,
                    "deliveries whose attempt could not be recorded are queued again"
                );
                self.stranded.clear();
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    stranded = self.stranded.len(),
                    "cannot queue again the deliveries whose attempt could not be recorded; retrying"
                );
                self.stranded_retry_at = Instant::now() + STRANDED_RETRY;
            }
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
        let ids = (delivery.destination_id, delivery.id);
        let handle = self.workers.spawn(async move {
            let id = delivery.id;
            let started = Instant::now();
            let recorded = match deliverer.attempt(delivery).await {
                Ok(_) => true,
                Err(error) => {
                    tracing::error!(delivery = %id, %error, "cannot record attempt; the delivery is queued again once the store takes writes");
                    false
                }
            };
            Ended {
                elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                recorded,
            }
        });
        self.tasks.insert(handle.id(), ids);
    }

    fn ended(&mut self, ended: Result<(tokio::task::Id, Ended), JoinError>) {
        let (task, elapsed_ms, recorded) = match ended {
            Ok((task, ended)) => (task, ended.elapsed_ms, ended.recorded),
            Err(error) => {
                tracing::error!(%error, "a delivery attempt task failed");
                (error.id(), 0, false)
            }
        };
        if let Some((destination, delivery)) = self.tasks.remove(&task) {
            self.lanes.finished(destination, elapsed_ms);
            if !recorded {
                self.stranded.push(delivery);
            }
        }
    }
}
