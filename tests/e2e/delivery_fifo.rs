//! FIFO ordering by key: events of one key reach the receiver strictly in
//! log order, one at a time, even while the head of the queue is being
//! retried; other keys are not held up by it.

use std::collections::HashMap;

use serde_json::json;
use tokio::task::JoinSet;

use crate::support::TestServer;
use crate::support::outbound::{delivery_id, destination, finished, rule};
use crate::support::scripted::{Reply, ScriptedReceiver};
use crate::support::server::{ADMIN_TOKEN, TestDirs, json_body, test_config};

const PER_KEY: usize = 6;

#[tokio::test]
async fn events_of_a_key_arrive_in_order_and_other_keys_are_not_blocked() {
    // Key `a` fails its first request, and every request until all of key
    // `b` has arrived: `a` can only finish if `b` was never stuck behind it.
    let receiver = ScriptedReceiver::start(|hit, earlier| {
        let body = hit.json();
        if body["account"] != "a" {
            return Reply::status(200);
        }
        let first_of_a = !earlier.iter().any(|h| h.json()["account"] == "a");
        let b_done = earlier
            .iter()
            .filter(|h| h.json()["account"] == "b" && h.status == 200)
            .count();
        if first_of_a || b_done < PER_KEY {
            Reply::status(500)
        } else {
            Reply::status(200)
        }
    })
    .await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let target = destination(
        &server,
        json!({
            "name": "ordered", "url": receiver.url,
            "ordering": {"mode": "fifo", "key": "$.account"},
            "retry_schedule": vec!["300ms"; 20],
        }),
    )
    .await;
    rule(&server, "test.ordered", &target).await;

    // Published concurrently so they land in few commit batches (and are
    // routed within the same millisecond): the order that counts is the
    // log's, i.e. event id order.
    let mut publishing = JoinSet::new();
    for n in 0..PER_KEY {
        for account in ["a", "b"] {
            let http = server.http.clone();
            let url = format!("{}/api/v1/events", server.url);
            publishing.spawn(async move {
                let response = http
                    .post(url)
                    .bearer_auth(ADMIN_TOKEN)
                    .header("content-type", "application/json")
                    .body(json!({"type": "test.ordered", "data": {"account": account, "n": n}}).to_string())
                    .send()
                    .await
                    .expect("publish");
                assert_eq!(response.status(), 202);
                let answer = json_body(response).await;
                (account, answer["event_ids"][0].as_str().expect("id").to_owned())
            });
        }
    }
    let mut events: Vec<(&str, String)> = publishing.join_all().await;
    events.sort_by(|x, y| x.1.cmp(&y.1));
    let mut expected: HashMap<&str, Vec<String>> = HashMap::new();
    for (account, event) in &events {
        expected
            .entry(account)
            .or_default()
            .push(delivery_id(&server, event).await);
    }

    for (account, ids) in &expected {
        for id in ids {
            let delivery = finished(&server, id).await;
            assert_eq!(delivery["status"], "delivered", "key {account}: {delivery:#}");
        }
    }
    let hits = receiver.hits();
    for (account, ids) in &expected {
        // The requests of this key, in arrival order: each delivery's
        // attempts, then the next delivery's, never interleaved or reordered.
        let seen: Vec<(&str, u16)> = hits
            .iter()
            .filter(|h| h.json()["account"] == *account)
            .map(|h| (h.header("webhook-id"), h.status))
            .collect();
        let mut order: Vec<&str> = Vec::new();
        for (id, _) in &seen {
            if order.last() != Some(id) {
                assert!(
                    !order.contains(id),
                    "key {account}: {id} was sent again after a later event: {seen:?}"
                );
                if let Some(previous) = order.last() {
                    let previous_ok = seen.iter().any(|(p, s)| p == previous && *s == 200);
                    assert!(
                        previous_ok,
                        "key {account}: {id} was sent before {previous} was delivered"
                    );
                }
                order.push(id);
            }
        }
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(
            order, ids,
            "key {account}: arrival order differs from the log order"
        );
    }
    let a_head = &expected["a"][0];
    let head_attempts = hits.iter().filter(|h| h.header("webhook-id") == a_head).count();
    assert!(head_attempts >= 2, "the head of key a was retried");
    for id in &expected["a"][1..] {
        let attempts = hits.iter().filter(|h| h.header("webhook-id") == id).count();
        assert_eq!(
            attempts, 1,
            "{id} waited for the head instead of failing beside it"
        );
    }
    server.stop().await;
}
