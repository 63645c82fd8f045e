//! Retries against a flaky receiver: every delivery ends `delivered` or
//! `dead`, its recorded attempts are exactly what the receiver saw, and a
//! 429's `Retry-After` is honoured (read from the recorded attempt times).

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::TestServer;
use crate::support::outbound::{delivery_id, destination, finished, publish, rule};
use crate::support::scripted::{Reply, ScriptedReceiver};
use crate::support::server::{TestDirs, test_config};

/// The destination's attempt timeout; a stall outlasts it.
const TIMEOUT_MS: u64 = 2000;
const STALL: Duration = Duration::from_secs(6);
/// The `Retry-After` the receiver asks for, in seconds (the configured
/// retry delay is 100 ms, so honouring it is visible).
const RETRY_AFTER_SECS: u64 = 1;

/// What the receiver does on attempt `n` (1-based) of the delivery of the
/// event with `i`, deterministically. Four shapes: delivered at once;
/// 500 then delivered; stall then 429 then delivered; and failing all four
/// attempts the schedule allows (dead).
fn plan(i: u64) -> Vec<Step> {
    match i % 4 {
        0 => vec![Step::Ok],
        1 => vec![Step::Status(500), Step::Ok],
        2 => vec![Step::Stall, Step::TooMany, Step::Ok],
        _ => vec![Step::Status(500), Step::Stall, Step::TooMany, Step::Status(503)],
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Ok,
    Status(u16),
    Stall,
    TooMany,
}

impl Step {
    fn reply(self) -> Reply {
        match self {
            Self::Ok => Reply::status(200),
            Self::Status(code) => Reply::status(code),
            Self::Stall => Reply::status(200).after(STALL),
            Self::TooMany => Reply::status(429).header("retry-after", &RETRY_AFTER_SECS.to_string()),
        }
    }
}

#[tokio::test]
async fn every_delivery_ends_delivered_or_dead_with_the_attempts_the_receiver_saw() {
    let receiver = ScriptedReceiver::start(|hit, earlier| {
        let i = hit.json()["i"].as_u64().expect("the event's `i`");
        let n = earlier
            .iter()
            .filter(|h| h.header("webhook-id") == hit.header("webhook-id"))
            .count();
        plan(i).get(n).copied().unwrap_or(Step::Status(599)).reply()
    })
    .await;
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.delivery.retry_schedule = vec![Duration::from_millis(100); 3];
    config.delivery.jitter = 0.0;
    let server = TestServer::start(config).await;
    let target = destination(
        &server,
        json!({"name": "flaky", "url": receiver.url, "timeout_ms": TIMEOUT_MS}),
    )
    .await;
    rule(&server, "test.flaky", &target).await;

    let mut ids = Vec::new();
    for i in 0..12u64 {
        let event = publish(&server, "test.flaky", json!({"i": i})).await;
        ids.push((i, delivery_id(&server, &event).await));
    }

    let mut retry_after_checked = 0;
    for (i, id) in &ids {
        let delivery = finished(&server, id).await;
        let steps = plan(*i);
        let expected = if steps.last() == Some(&Step::Ok) {
            "delivered"
        } else {
            "dead"
        };
        assert_eq!(delivery["status"], expected, "event {i}: {delivery:#}");
        let attempts = delivery["attempt_log"].as_array().expect("attempt log");
        let seen = receiver.hits_for(id);
        assert_eq!(attempts.len(), steps.len(), "event {i}: {delivery:#}");
        assert_eq!(
            seen.len(),
            steps.len(),
            "event {i}: the receiver saw {} requests",
            seen.len()
        );
        assert_eq!(delivery["attempts"], steps.len());
        for (n, ((attempt, hit), step)) in attempts.iter().zip(&seen).zip(&steps).enumerate() {
            assert_eq!(attempt["number"], n + 1);
            assert_eq!(hit.status, step.reply().status, "event {i} attempt {}", n + 1);
            assert_eq!(hit.stalled, *step == Step::Stall, "event {i} attempt {}", n + 1);
            let (outcome, code) = match step {
                Step::Ok => ("delivered", json!(200)),
                Step::Status(code) => ("http_error", json!(code)),
                Step::Stall => ("timeout", Value::Null),
                Step::TooMany => ("http_error", json!(429)),
            };
            assert_eq!(
                attempt["outcome"],
                outcome,
                "event {i} attempt {}: {attempt:#}",
                n + 1
            );
            assert_eq!(
                attempt["status_code"],
                code,
                "event {i} attempt {}: {attempt:#}",
                n + 1
            );
            if *step == Step::TooMany {
                let started = attempt["started_at_ms"].as_u64().expect("started");
                let floor = started + RETRY_AFTER_SECS * 1000;
                let scheduled = attempt["next_attempt_at_ms"].as_u64().unwrap_or(0);
                assert!(
                    scheduled >= floor,
                    "event {i}: retry scheduled {} ms after a 429 asking for {RETRY_AFTER_SECS}s: {attempt:#}",
                    scheduled.saturating_sub(started)
                );
                if let Some(next) = attempts.get(n + 1) {
                    let next_started = next["started_at_ms"].as_u64().expect("started");
                    assert!(
                        next_started >= scheduled,
                        "event {i}: the retry ran {} ms before its time",
                        scheduled - next_started
                    );
                    retry_after_checked += 1;
                }
            }
        }
        if expected == "dead" {
            let error = delivery["last_error"].as_str().unwrap_or_default();
            assert!(error.contains("gave up after 4 attempts"), "{error}");
            assert!(delivery["next_attempt_at_ms"].is_null(), "{delivery:#}");
        }
    }
    assert!(retry_after_checked >= 6, "every 429 was followed by a retry");

    // Nothing else: no request the deliveries do not account for, and no
    // delivery left pending or sending.
    let known: HashSet<&str> = ids.iter().map(|(_, id)| id.as_str()).collect();
    let hits = receiver.hits();
    let total: usize = ids.iter().map(|(i, _)| plan(*i).len()).sum();
    assert_eq!(hits.len(), total, "the receiver saw extra requests");
    assert!(hits.iter().all(|h| known.contains(h.header("webhook-id"))));
    let (status, list) = server
        .get(&format!(
            "/api/v1/deliveries?destination_id={}&limit=500",
            target["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(status, 200, "{list}");
    let list = list["data"].as_array().expect("data");
    assert_eq!(list.len(), ids.len());
    for delivery in list {
        assert!(
            matches!(delivery["status"].as_str(), Some("delivered" | "dead")),
            "{delivery:#}"
        );
    }
    server.stop().await;
}
