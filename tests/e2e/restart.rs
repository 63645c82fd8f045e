//! Restart safety: deliveries pending at a stop are delivered after a
//! restart on the same data directory; finished ones are not sent again.

use std::time::Duration;

use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload};

const SECRET: &str = "restart-secret";
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn pending_deliveries_survive_a_restart_and_finished_ones_are_not_resent() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    // Long enough that nothing dies while the engine is down.
    config.delivery.retry_schedule = vec![Duration::from_millis(300); 50];
    let server = TestServer::start(config.clone()).await;
    let trigger = server.github_trigger(SECRET).await;
    let destination = server.destination(&receiver.url).await;
    server.rule("github.push", &destination, Some("slack")).await;
    let url = trigger["webhook_url"].as_str().expect("url").to_owned();
    let payload = github_push_payload();

    let (status, first) = server
        .post_github(&url, SECRET, "push", "before-1", &payload)
        .await;
    assert_eq!(status, 202);
    eventually("the first delivery", WAIT, || async {
        (receiver.successes().len() == 1).then_some(())
    })
    .await;
    let first_webhook_id = receiver.successes()[0].header("webhook-id").to_owned();

    receiver.set_default(503);
    let mut pending_events = Vec::new();
    for n in 0..3 {
        let (status, answer) = server
            .post_github(&url, SECRET, "push", &format!("pending-{n}"), &payload)
            .await;
        assert_eq!(status, 202);
        pending_events.push(answer["event_ids"][0].as_str().expect("id").to_owned());
    }
    // Every pending delivery has failed at least once before the stop.
    eventually("failed attempts", WAIT, || async {
        let failed = receiver.received().iter().filter(|(_, s)| *s == 503).count();
        (failed >= 3).then_some(())
    })
    .await;
    server.stop().await;

    receiver.set_default(200);
    let failures_before_restart = receiver.received().len();
    let server = TestServer::start(config).await;
    for event in &pending_events {
        eventually("a pending delivery after restart", WAIT, || async {
            let deliveries = server.deliveries_of(event).await;
            (deliveries.len() == 1 && deliveries[0]["status"] == "delivered").then_some(())
        })
        .await;
    }
    let successes = receiver.successes();
    assert_eq!(
        successes.len(),
        4,
        "the first delivery plus the three pending ones"
    );
    assert_eq!(
        successes
            .iter()
            .filter(|r| r.header("webhook-id") == first_webhook_id)
            .count(),
        1,
        "the finished delivery is not sent again"
    );
    assert!(receiver.received().len() > failures_before_restart);
    let (_, events) = server.get("/api/v1/events").await;
    assert_eq!(events["data"].as_array().expect("list").len(), 4);
    let _ = first;
    server.stop().await;
}
