//! Per-destination isolation in the dispatcher: a destination that stalls
//! holds at most its own cap of attempts (its `max_in_flight`, else
//! `delivery.per_destination_concurrency`), never the global pool, so a
//! healthy destination keeps getting its deliveries; the stalled destination's other deliveries wait
//! in memory and are put back in the due queue at a graceful stop, so they
//! are delivered (once) after a restart.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;
use weir::config::Durability;
use weir::model::DeliveryStatus;
use weir::store::{DeliveryFilter, Store};

use crate::support::outbound::{WAIT, delivery_id, destination, publish, rule};
use crate::support::scripted::{Reply, ScriptedReceiver};
use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually};

/// Longer than any test here runs: a stalled request is never answered.
const STALL: Duration = Duration::from_secs(300);

/// A receiver that stalls every request while `stalling` is set, and
/// answers 200 otherwise.
async fn stalling_receiver(stalling: Arc<AtomicBool>) -> ScriptedReceiver {
    ScriptedReceiver::start(move |_, _| {
        if stalling.load(Ordering::SeqCst) {
            Reply::status(200).after(STALL)
        } else {
            Reply::status(200)
        }
    })
    .await
}

#[tokio::test]
async fn a_stalled_destination_holds_only_its_own_slots() {
    let stalled = stalling_receiver(Arc::new(AtomicBool::new(true))).await;
    let healthy = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    // With one shared pool of 4, the stalled destination's 6 deliveries
    // would take all 4 slots and nothing else would be sent until they
    // time out (after 2 minutes). Its own cap (2) overrides the instance's.
    config.delivery.concurrency = 4;
    config.delivery.per_destination_concurrency = 3;
    let server = TestServer::start(config).await;
    let (status, refused) = server
        .post(
            "/api/v1/destinations",
            &json!({"name": "none", "url": stalled.url, "max_in_flight": 0}),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (422, &json!("invalid_max_in_flight")),
        "{refused}"
    );
    let slow = destination(
        &server,
        json!({"name": "stalled", "url": stalled.url, "timeout_ms": 120_000, "max_in_flight": 2}),
    )
    .await;
    assert_eq!(slow["max_in_flight"], 2, "{slow}");
    let fast = destination(&server, json!({"name": "healthy", "url": healthy.url})).await;
    rule(&server, "slow.tick", &slow).await;
    rule(&server, "fast.tick", &fast).await;

    let mut slow_events = Vec::new();
    for n in 0..6 {
        slow_events.push(publish(&server, "slow.tick", json!({"n": n})).await);
    }
    eventually("the stalled destination's first requests", WAIT, || async {
        (stalled.hits().len() >= 2).then_some(())
    })
    .await;
    for n in 0..10 {
        publish(&server, "fast.tick", json!({"n": n})).await;
    }
    let delivered = eventually("all ten healthy deliveries", WAIT, || async {
        let successes = healthy.successes();
        (successes.len() >= 10).then_some(successes)
    })
    .await;

    let ids: HashSet<&str> = delivered.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(
        (delivered.len(), ids.len()),
        (10, 10),
        "each healthy delivery once"
    );
    assert_eq!(
        stalled.hits().len(),
        2,
        "the stalled destination never has more than its cap of 2 requests open"
    );
    for event in &slow_events {
        let deliveries = server.deliveries_of(event).await;
        assert_eq!(
            deliveries[0]["status"], "sending",
            "the stalled destination's deliveries are in flight or waiting, none given up: {deliveries:?}"
        );
    }
}

#[tokio::test]
async fn deliveries_waiting_for_their_destination_are_put_back_at_a_stop() {
    let stalling = Arc::new(AtomicBool::new(true));
    let receiver = stalling_receiver(Arc::clone(&stalling)).await;
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.delivery.per_destination_concurrency = 1;
    // Long enough that nothing dies while stalled or stopped.
    config.delivery.retry_schedule = vec![Duration::from_millis(100); 50];
    let server = TestServer::start(config.clone()).await;
    // A short timeout, so the attempt in flight ends soon after the stop.
    let target = destination(
        &server,
        json!({"name": "stalled", "url": receiver.url, "timeout_ms": 500}),
    )
    .await;
    rule(&server, "slow.tick", &target).await;
    let mut deliveries = Vec::new();
    for n in 0..6 {
        let event = publish(&server, "slow.tick", json!({"n": n})).await;
        deliveries.push(delivery_id(&server, &event).await);
    }
    eventually("the first stalled request", WAIT, || async {
        (!receiver.hits().is_empty()).then_some(())
    })
    .await;
    server.stop().await;

    // Stopped gracefully: nothing is left claimed; what waited in memory
    // is pending again, none of it finished or lost.
    {
        let store = Store::open(&dirs.data, Durability::Fsync).expect("the store opens");
        let stored = store
            .deliveries(&DeliveryFilter::default(), usize::MAX)
            .expect("deliveries");
        assert_eq!(stored.len(), 6);
        for delivery in &stored {
            assert_eq!(
                delivery.status,
                DeliveryStatus::Pending,
                "{} after a graceful stop",
                delivery.id
            );
        }
        assert_eq!(store.unfinished_deliveries().expect("count"), 6);
    }

    stalling.store(false, Ordering::SeqCst);
    let server = TestServer::start(config).await;
    for id in &deliveries {
        eventually(&format!("delivery {id} after the restart"), WAIT, || async {
            let (status, delivery) = server.get(&format!("/api/v1/deliveries/{id}")).await;
            assert_eq!(status, 200, "{delivery}");
            (delivery["status"] == "delivered").then_some(())
        })
        .await;
    }
    let answered: Vec<String> = receiver
        .hits()
        .iter()
        .filter(|hit| !hit.stalled)
        .map(|hit| hit.header("webhook-id").to_owned())
        .collect();
    let distinct: HashSet<&String> = answered.iter().collect();
    assert_eq!(
        (answered.len(), distinct.len()),
        (6, 6),
        "each delivery answered once: {answered:?}"
    );
}
