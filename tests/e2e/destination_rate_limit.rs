//! A destination's rate limit spaces its deliveries: four events at once to
//! a destination allowing one per second (burst 1) reach the receiver over
//! at least three seconds (read from the signed `webhook-timestamp`s).

use std::time::Duration;

use serde_json::json;

use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually};

#[tokio::test]
async fn deliveries_to_a_rate_limited_destination_are_spaced() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let (status, destination) = server
        .post(
            "/api/v1/destinations",
            &json!({"name": "slow", "url": receiver.url, "rate_limit": {"per_second": 1.0, "burst": 1}}),
        )
        .await;
    assert_eq!(status, 201, "{destination}");
    server.rule("app.*", &destination, None).await;
    for n in 0..4 {
        let (status, answer) = server
            .post("/api/v1/events", &json!({"type": "app.tick", "data": {"n": n}}))
            .await;
        assert_eq!(status, 202, "{answer}");
    }
    let received = eventually("four deliveries", Duration::from_secs(30), || async {
        let received = receiver.successes();
        (received.len() == 4).then_some(received)
    })
    .await;
    let mut stamps: Vec<u64> = received
        .iter()
        .map(|r| r.header("webhook-timestamp").parse().expect("timestamp"))
        .collect();
    stamps.sort_unstable();
    assert!(
        stamps[3] - stamps[0] >= 3,
        "four deliveries at one per second span at least three seconds: {stamps:?}"
    );
}
