//! Event retention: events past `ingest.event_retention` are pruned with
//! their deliveries and attempts once those are final; an event whose
//! delivery is still being retried is kept.

use std::time::Duration;

use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload};

const SECRET: &str = "retention-secret";
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn old_events_go_with_their_deliveries_but_unfinished_work_stays() {
    let healthy = Receiver::start().await;
    let failing = Receiver::start().await;
    failing.set_default(500);
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.ingest.event_retention = Duration::from_millis(300);
    config.ingest.prune_interval = Duration::from_millis(50);
    // The failing receiver's delivery keeps retrying for the whole test.
    config.delivery.retry_schedule = vec![Duration::from_secs(60); 3];
    let server = TestServer::start(config).await;
    let trigger = server.github_trigger(SECRET).await;
    let url = trigger["webhook_url"].as_str().expect("url").to_owned();
    let to_healthy = server.destination(&healthy.url).await;
    server.rule("github.push", &to_healthy, None).await;
    let to_failing = server.destination(&failing.url).await;
    server.rule("github.issues", &to_failing, None).await;

    let post = |kind: &'static str, delivery: &'static str| {
        let url = url.clone();
        let server = &server;
        async move {
            let (status, answer) = server
                .post_github(&url, SECRET, kind, delivery, &github_push_payload())
                .await;
            assert_eq!(status, 202, "{answer}");
            answer["event_ids"][0].as_str().expect("id").to_owned()
        }
    };
    let delivered = post("push", "retention-1").await;
    let retrying = post("issues", "retention-2").await;
    eventually("the healthy delivery", WAIT, || async {
        healthy.successes().into_iter().next()
    })
    .await;
    let delivery_id = server.deliveries_of(&delivered).await[0]["id"]
        .as_str()
        .expect("delivery")
        .to_owned();

    eventually("the delivered event pruned", WAIT, || async {
        let (status, _) = server.get(&format!("/api/v1/events/{delivered}")).await;
        (status == 404).then_some(())
    })
    .await;
    let (status, _) = server.get(&format!("/api/v1/deliveries/{delivery_id}")).await;
    assert_eq!(status, 404, "its delivery went with it");

    // Well past the retention, the event still being retried is kept.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, event) = server.get(&format!("/api/v1/events/{retrying}")).await;
    assert_eq!(status, 200, "{event}");
    let deliveries = server.deliveries_of(&retrying).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0]["status"], "pending");
}
