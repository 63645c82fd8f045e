//! The walking skeleton, end to end: a GitHub-signed push comes in through
//! the github connector (WASM) and goes out through the slack transformer
//! (WASM) to a local receiver, signed with Standard Webhooks.

use std::time::Duration;

use serde_json::Value;

use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload, standard_webhooks};

const SECRET: &str = "It's a Secret to Everybody";
const WAIT: Duration = Duration::from_secs(20);

async fn setup(receiver: &Receiver) -> (TestServer, TestDirs, Value, Value) {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let destination = server.destination(&receiver.url).await;
    server.rule("github.push", &destination, Some("slack")).await;
    (server, dirs, trigger, destination)
}

#[tokio::test]
async fn a_signed_push_is_delivered_as_a_signed_slack_message() {
    let receiver = Receiver::start().await;
    let (server, _dirs, trigger, destination) = setup(&receiver).await;
    let webhook_url = trigger["webhook_url"].as_str().expect("url");
    assert!(trigger["webhook_key"].as_str().expect("key").starts_with("wh_"));
    assert!(webhook_url.ends_with(trigger["webhook_key"].as_str().expect("key")));

    let (status, answer) = server
        .post_github(
            webhook_url,
            SECRET,
            "push",
            "72d3162e-cc78-11e3-81ab-4c9367dc0958",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let event_id = answer["event_ids"][0].as_str().expect("event id").to_owned();
    assert!(event_id.starts_with("evt_"));

    let delivered = eventually("the slack message", WAIT, || async {
        receiver.successes().into_iter().next()
    })
    .await;
    let body: Value = serde_json::from_slice(&delivered.body).expect("json body");
    assert_eq!(
        body["text"],
        "octocat pushed 3 commits to refs/heads/main on octo-org/hello-world\n\
         • 7638417 Fix crash when the config file is empty\n\
         • d9ba87a Add retry budget to the delivery worker\n\
         • 1e5f6a7 Update README with the five-minute walkthrough"
    );
    assert_eq!(delivered.header("content-type"), "application/json");

    let webhook_id = delivered.header("webhook-id");
    assert!(webhook_id.starts_with("del_"), "{webhook_id}");
    let timestamp: u64 = delivered
        .header("webhook-timestamp")
        .parse()
        .expect("unix seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(
        now.abs_diff(timestamp) < 300,
        "timestamp {timestamp} vs now {now}"
    );
    let secret = destination["signing_secret"].as_str().expect("secret");
    assert!(standard_webhooks::verify(
        secret,
        webhook_id,
        delivered.header("webhook-timestamp"),
        &delivered.body,
        delivered.header("webhook-signature"),
    ));
    assert!(!standard_webhooks::verify(
        secret,
        webhook_id,
        delivered.header("webhook-timestamp"),
        b"{\"text\":\"tampered\"}",
        delivered.header("webhook-signature"),
    ));

    let deliveries = server.deliveries_of(&event_id).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0]["id"], webhook_id);
    let delivery = eventually("the delivery to be marked delivered", WAIT, || async {
        let (_, d) = server.get(&format!("/api/v1/deliveries/{webhook_id}")).await;
        (d["status"] == "delivered").then_some(d)
    })
    .await;
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["attempt_log"][0]["status_code"], 200);

    let (status, event) = server.get(&format!("/api/v1/events/{event_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(event["type"], "github.push");
    assert_eq!(event["subject"], "refs/heads/main");
    assert_eq!(
        event["weir"]["idempotency_key"],
        "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    );
    assert_eq!(event["weir"]["headers"]["x-github-event"], "push");
    assert!(event["weir"]["headers"].get("x-hub-signature-256").is_none());
    assert_eq!(event["data"]["repository"]["full_name"], "octo-org/hello-world");
    server.stop().await;
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_nothing_is_delivered() {
    let receiver = Receiver::start().await;
    let (server, _dirs, trigger, _destination) = setup(&receiver).await;
    let webhook_url = trigger["webhook_url"].as_str().expect("url");

    let (status, answer) = server
        .post_github(
            webhook_url,
            "not the secret",
            "push",
            "bad-1",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"]["code"], "signature_invalid");
    let response = server
        .http
        .post(webhook_url)
        .header("x-github-event", "push")
        .header("x-github-delivery", "bad-2")
        .body(github_push_payload())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401, "a missing signature is refused too");

    // A good push afterwards is delivered, and it is the only thing delivered.
    let (status, _) = server
        .post_github(webhook_url, SECRET, "push", "good-1", &github_push_payload())
        .await;
    assert_eq!(status, 202);
    eventually("the good push", WAIT, || async {
        (!receiver.successes().is_empty()).then_some(())
    })
    .await;
    let (_, events) = server.get("/api/v1/events").await;
    let events = events["data"].as_array().expect("list").clone();
    assert_eq!(events.len(), 1, "only the signed push is stored");
    assert_eq!(events[0]["weir"]["idempotency_key"], "good-1");
    assert_eq!(receiver.received().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn the_same_delivery_twice_is_one_event_and_one_delivery() {
    let receiver = Receiver::start().await;
    let (server, _dirs, trigger, _destination) = setup(&receiver).await;
    let webhook_url = trigger["webhook_url"].as_str().expect("url");
    let payload = github_push_payload();

    let (first_status, first) = server
        .post_github(webhook_url, SECRET, "push", "dup-1", &payload)
        .await;
    let (second_status, second) = server
        .post_github(webhook_url, SECRET, "push", "dup-1", &payload)
        .await;
    assert_eq!(first_status, 202, "{first}");
    assert_eq!(second_status, 200, "{second}");
    assert_eq!(second["status"], "duplicate");
    assert_eq!(
        second["event_ids"][0], first["event_ids"][0],
        "the duplicate names the original event"
    );

    let event_id = first["event_ids"][0].as_str().expect("id");
    eventually("the delivery", WAIT, || async {
        (!receiver.successes().is_empty()).then_some(())
    })
    .await;
    // Another, different push proves the router has moved past the duplicate.
    let (status, _) = server
        .post_github(webhook_url, SECRET, "push", "dup-2", &payload)
        .await;
    assert_eq!(status, 202);
    eventually("the second delivery", WAIT, || async {
        (receiver.successes().len() == 2).then_some(())
    })
    .await;
    assert_eq!(server.deliveries_of(event_id).await.len(), 1);
    let (_, events) = server.get("/api/v1/events").await;
    assert_eq!(events["data"].as_array().expect("list").len(), 2);
    let ids: Vec<String> = receiver
        .successes()
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    assert_ne!(ids[0], ids[1]);
    server.stop().await;
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_one_success_after_two_failures() {
    let receiver = Receiver::start().await;
    receiver.script(&[500, 503]);
    let (server, _dirs, trigger, _destination) = setup(&receiver).await;
    let webhook_url = trigger["webhook_url"].as_str().expect("url");

    let (status, answer) = server
        .post_github(webhook_url, SECRET, "push", "retry-1", &github_push_payload())
        .await;
    assert_eq!(status, 202);
    let event_id = answer["event_ids"][0].as_str().expect("id");
    let delivery_id = eventually("the delivery to finish", WAIT, || async {
        let deliveries = server.deliveries_of(event_id).await;
        let delivery = deliveries.first()?;
        (delivery["status"] == "delivered").then(|| delivery["id"].as_str().map(str::to_owned))?
    })
    .await;

    let received = receiver.received();
    let statuses: Vec<u16> = received.iter().map(|(_, status)| *status).collect();
    assert_eq!(statuses, [500, 503, 200]);
    assert!(
        received
            .iter()
            .all(|(r, _)| r.header("webhook-id") == delivery_id),
        "retries keep the webhook-id"
    );

    let (_, detail) = server.get(&format!("/api/v1/deliveries/{delivery_id}")).await;
    assert_eq!(detail["attempts"], 3);
    let log = detail["attempt_log"].as_array().expect("attempts");
    let outcomes: Vec<(&str, u64)> = log
        .iter()
        .map(|a| {
            (
                a["outcome"].as_str().unwrap_or_default(),
                a["status_code"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("http_error", 500), ("http_error", 503), ("delivered", 200)]
    );
    assert!(log[0]["next_attempt_at_ms"].is_u64());
    assert!(log[2]["next_attempt_at_ms"].is_null());
    server.stop().await;
}

#[tokio::test]
async fn a_receiver_that_never_recovers_ends_dead_after_the_schedule() {
    let receiver = Receiver::start().await;
    receiver.set_default(500);
    let (server, _dirs, trigger, _destination) = setup(&receiver).await;
    let webhook_url = trigger["webhook_url"].as_str().expect("url");
    let (_, answer) = server
        .post_github(webhook_url, SECRET, "push", "dead-1", &github_push_payload())
        .await;
    let event_id = answer["event_ids"][0].as_str().expect("id");
    let delivery = eventually("the delivery to die", WAIT, || async {
        let deliveries = server.deliveries_of(event_id).await;
        deliveries.into_iter().find(|d| d["status"] == "dead")
    })
    .await;
    // One first attempt plus one per entry of the three-step test schedule.
    assert_eq!(delivery["attempts"], 4);
    assert_eq!(receiver.received().len(), 4);
    assert!(
        delivery["last_error"]
            .as_str()
            .expect("reason")
            .contains("HTTP 500")
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_keys_oversized_bodies_and_missing_tokens_get_typed_errors() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.ingest.max_body_bytes = 1024;
    let server = TestServer::start(config).await;
    let trigger = server.github_trigger(SECRET).await;
    let _ = receiver;

    let response = server
        .http
        .post(format!("{}/api/v1/webhooks/wh_doesnotexist", server.url))
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    let body = crate::support::server::json_body(response).await;
    assert_eq!(body["error"]["code"], "unknown_webhook");

    let big = "x".repeat(4096);
    let (status, answer) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            SECRET,
            "push",
            "big",
            &big,
        )
        .await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"]["code"], "body_too_large");

    let response = server
        .http
        .get(format!("{}/api/v1/triggers", server.url))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let response = server
        .http
        .get(format!("{}/api/v1/triggers", server.url))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);

    let (status, packs) = server.get("/api/v1/packs").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = packs["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|p| p["state"] == "loaded")
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["github", "slack"]);
    server.stop().await;
}
