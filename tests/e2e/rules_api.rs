//! Rules: update and delete, validation against the transformer's config
//! schema, dry runs that show what every check saw, and replays (retry one
//! delivery; reroute an event after a rule was added) that keep the
//! `webhook-id`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::outbound::{delivery_id, publish};
use crate::support::server::{ADMIN_TOKEN, TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload};

const SECRET: &str = "rules-secret";
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn rules_are_checked_updated_and_deleted() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let destination = server.destination("http://127.0.0.1:9/").await;
    let destination_id = destination["id"].clone();

    // The transformer's schema is applied on save and names the field.
    let (status, error) = server
        .post(
            "/api/v1/rules",
            &json!({"event_types": ["github.push"], "destination_id": destination_id,
                    "transformer": "slack", "transformer_config": {"icon_emoji": "rocket", "colour": 1}}),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["code"], "invalid_config");
    let message = error["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("/icon_emoji") && message.contains("colour"),
        "{message}"
    );

    // A bad condition names the operator.
    let (status, error) = server
        .post(
            "/api/v1/rules",
            &json!({"event_types": ["github.push"], "destination_id": destination_id,
                    "condition": {"path": "$.ref", "op": "resembles", "value": "x"}}),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["code"], "invalid_condition");
    assert!(
        error["error"]["message"]
            .as_str()
            .expect("message")
            .contains("resembles"),
        "{error}"
    );

    let (status, rule) = server
        .post(
            "/api/v1/rules",
            &json!({"event_types": ["github.push"], "destination_id": destination_id,
                    "transformer": "slack", "transformer_config": {"icon_emoji": ":rocket:"},
                    "condition": {"path": "$.ref", "op": "eq", "value": "refs/heads/main"}}),
        )
        .await;
    assert_eq!(status, 201, "{rule}");
    let path = format!("/api/v1/rules/{}", rule["id"].as_str().expect("id"));

    // PATCH: fields left out stay; `null` removes the condition; a new
    // transformer starts from an empty configuration.
    let (status, updated) = server
        .patch(
            &path,
            &json!({"name": "pushes", "condition": null, "priority": 5}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "pushes");
    assert_eq!(updated["condition"], Value::Null);
    assert_eq!(updated["priority"], 5);
    assert_eq!(updated["transformer_config"], json!({"icon_emoji": ":rocket:"}));
    let (status, updated) = server.patch(&path, &json!({"transformer": null})).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["transformer"], Value::Null);
    assert_eq!(updated["transformer_config"], json!({}));
    let (status, error) = server.patch(&path, &json!({"event_types": []})).await;
    assert_eq!(status, 422, "{error}");
    let (status, error) = server
        .patch(
            &path,
            &json!({"transformer": "slack", "transformer_config": {"nope": true}}),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (422, Some("invalid_config")),
        "{error}"
    );
    let (status, error) = server.patch(&path, &json!({"transformer": "no-such-pack"})).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (422, Some("unknown_transformer")),
        "{error}"
    );
    let (_, stored) = server.get(&path).await;
    assert_eq!(
        stored["transformer"],
        Value::Null,
        "a refused update changes nothing"
    );

    // A destination in use cannot be deleted; after the rule goes, it can.
    let destination_path = format!("/api/v1/destinations/{}", destination_id.as_str().expect("id"));
    let (status, error) = server.delete(&destination_path).await;
    assert_eq!(status, 409, "{error}");
    let (status, _) = server.delete(&path).await;
    assert_eq!(status, 204);
    let (status, _) = server.get(&path).await;
    assert_eq!(status, 404);
    let (status, _) = server.delete(&destination_path).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn a_dry_run_shows_what_each_check_saw_and_the_body_it_would_send() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let push: Value = serde_json::from_str(&github_push_payload()).expect("payload");
    let rule = json!({
        "event_types": ["github.*"],
        "condition": {"any": [
            {"path": "$.ref", "op": "eq", "value": "refs/heads/release"},
            {"path": "$.commits[*].author.username", "op": "contains", "value": "octocat"}
        ]},
        "transformer": "slack"
    });
    let (status, result) = server
        .post(
            "/api/v1/rules/test",
            &json!({"rule": rule, "event": {"type": "github.push", "data": push}}),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["matched"], true, "{result}");
    assert_eq!(result["event_type"]["matched"], true);
    let predicates = result["condition"]["predicates"].as_array().expect("trace");
    assert_eq!(predicates.len(), 2, "every member is shown: {result}");
    assert_eq!(predicates[0]["matched"], false);
    assert_eq!(predicates[0]["seen"], json!(["refs/heads/main"]));
    assert_eq!(result["output"]["status"], "sent");
    assert!(
        result["output"]["body"]["text"]
            .as_str()
            .expect("slack text")
            .starts_with("octocat pushed 3 commits"),
        "{result}"
    );

    // Against a stored event, by id, with a rule that does not match.
    let trigger = server.github_trigger(SECRET).await;
    let (status, answer) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            SECRET,
            "push",
            "dry-run-1",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let (status, result) = server
        .post(
            "/api/v1/rules/test",
            &json!({"rule": {"event_types": ["stripe.*"]}, "event_id": answer["event_ids"][0]}),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["matched"], false);
    assert_eq!(result["event_type"]["event_type"], "github.push");
    assert_eq!(result["trigger"]["trigger_id"], trigger["id"]);
    assert_eq!(result["output"], Value::Null, "nothing rendered for a miss");

    let (status, error) = server.post("/api/v1/rules/test", &json!({"rule": rule})).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (422, Some("invalid_request")),
        "{error}"
    );
}

#[tokio::test]
async fn replays_keep_the_webhook_id_and_reroutes_pick_up_new_rules() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let webhook_url = trigger["webhook_url"].as_str().expect("url").to_owned();
    let destination = server.destination(&receiver.url).await;

    // No rule yet: the event is stored and goes nowhere.
    let (status, answer) = server
        .post_github(&webhook_url, SECRET, "push", "replay-1", &github_push_payload())
        .await;
    assert_eq!(status, 202, "{answer}");
    let event_id = answer["event_ids"][0].as_str().expect("id").to_owned();
    // Wait for the router to pass the event (else it would apply the rule
    // added below by itself): it routes the log in order, so it has once
    // a later event has its delivery.
    let probe_receiver = Receiver::start().await;
    let probe_destination = server.destination(&probe_receiver.url).await;
    server.rule("test.probe", &probe_destination, None).await;
    let probe = publish(&server, "test.probe", json!({})).await;
    delivery_id(&server, &probe).await;
    let reroute = format!("/api/v1/events/{event_id}/reroute");
    let (status, rerouted) = server.post(&reroute, &json!({})).await;
    assert_eq!(status, 200, "{rerouted}");
    assert_eq!(rerouted["created"], json!([]));

    // Added afterwards, the rule applies once the event is rerouted.
    let rule = server.rule("github.push", &destination, None).await;
    let (status, rerouted) = server.post(&reroute, &json!({})).await;
    assert_eq!(status, 200, "{rerouted}");
    assert_eq!(rerouted["matched_rules"], json!([rule["id"]]));
    let delivery_id = rerouted["created"][0].as_str().expect("created").to_owned();
    let first = eventually("the rerouted delivery", WAIT, || async {
        receiver.successes().into_iter().next()
    })
    .await;
    assert_eq!(first.header("webhook-id"), delivery_id);

    // Rerouting again creates nothing new.
    let (_, again) = server.post(&reroute, &json!({})).await;
    assert_eq!(again["created"], json!([]));
    assert_eq!(again["unchanged"], json!([delivery_id]));

    // A retry sends the same message again: same webhook-id, fresh
    // timestamp and signature.
    eventually("delivered status", WAIT, || async {
        let (_, delivery) = server.get(&format!("/api/v1/deliveries/{delivery_id}")).await;
        (delivery["status"] == "delivered").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await; // a new second for the timestamp
    let (status, retried) = server
        .post(&format!("/api/v1/deliveries/{delivery_id}/retry"), &json!({}))
        .await;
    assert_eq!(status, 200, "{retried}");
    let second = eventually("the replay", WAIT, || async {
        receiver.successes().get(1).cloned()
    })
    .await;
    assert_eq!(second.header("webhook-id"), delivery_id);
    assert_eq!(second.body, first.body);
    assert_ne!(
        second.header("webhook-timestamp"),
        first.header("webhook-timestamp")
    );
    assert_ne!(
        second.header("webhook-signature"),
        first.header("webhook-signature")
    );

    // `redeliver` queues the existing delivery again, once the retry's
    // attempt is recorded (a delivery in flight is left alone).
    eventually("the retry recorded", WAIT, || async {
        let (_, delivery) = server.get(&format!("/api/v1/deliveries/{delivery_id}")).await;
        (delivery["status"] == "delivered" && delivery["attempts"] == 2).then_some(())
    })
    .await;
    let (_, redelivered) = server.post(&reroute, &json!({"redeliver": true})).await;
    assert_eq!(redelivered["requeued"], json!([delivery_id]), "{redelivered}");
    eventually("the redelivery", WAIT, || async {
        receiver.successes().get(2).cloned()
    })
    .await;
    // The attempt is recorded after the receiver answers, so wait for the
    // delivery to settle before reading its log.
    let detail = eventually("the redelivery recorded", WAIT, || async {
        let (_, delivery) = server.get(&format!("/api/v1/deliveries/{delivery_id}")).await;
        (delivery["status"] == "delivered" && delivery["attempts"] == 3).then_some(delivery)
    })
    .await;
    assert_eq!(
        detail["attempt_log"].as_array().map(Vec::len),
        Some(3),
        "{detail}"
    );
    assert_eq!(receiver.successes().len(), 3, "redelivered exactly once");

    // The delivery list pages with a cursor and filters by time.
    let destination_id = destination["id"].as_str().expect("id");
    let (status, page) = server
        .get(&format!(
            "/api/v1/deliveries?destination_id={destination_id}&limit=1&since=2000-01-01T00:00:00Z"
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"][0]["id"], delivery_id);
    assert_eq!(page["next_cursor"], Value::Null);
    let (_, none) = server.get("/api/v1/deliveries?until=2000-01-01T00:00:00Z").await;
    assert_eq!(none["data"], json!([]));
    let (status, error) = server.get("/api/v1/deliveries?since=yesterday").await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("invalid_query"))
    );
    let (status, _) = server
        .post(
            "/api/v1/deliveries/del_01JD0000000000000000000000/retry",
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

/// Data no `serde_json::Value` holds (here a number beyond `f64`) is kept
/// exactly: the dry run shows it as stored and says why its condition
/// cannot hold, instead of evaluating it as `null` (which a negated
/// condition turned into a match).
#[tokio::test]
async fn a_dry_run_keeps_data_exact_and_says_why_a_condition_cannot_be_evaluated() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let data = r#"{"env":"prod","big":12345678901234567890123,"f":1.0000000000000000001,"x":1e400}"#;
    let published = server
        .http
        .post(format!("{}/api/v1/events", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(format!(r#"{{"type":"acme.order","data":{data}}}"#))
        .send()
        .await
        .expect("publishes");
    assert_eq!(published.status().as_u16(), 202);
    let answer = crate::support::server::json_body(published).await;
    let event_id = answer["event_ids"][0].as_str().expect("event id");

    let not_test = json!({"not": {"path": "$.env", "op": "eq", "value": "test"}});
    let response = server
        .http
        .post(format!("{}/api/v1/rules/test", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(
            json!({"rule": {"event_types": ["acme.*"], "condition": not_test}, "event_id": event_id})
                .to_string(),
        )
        .send()
        .await
        .expect("dry run");
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.expect("text");
    let result: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(result["matched"], false, "{text}");
    let error = result["condition"]["error"].as_str().expect("the reason");
    assert!(error.contains("cannot be evaluated"), "{error}");

    // Without a condition it matches, and the body shown is the data as sent.
    let response = server
        .http
        .post(format!("{}/api/v1/rules/test", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(json!({"rule": {"event_types": ["acme.*"]}, "event_id": event_id}).to_string())
        .send()
        .await
        .expect("dry run");
    let text = response.text().await.expect("text");
    assert!(text.contains(r#""matched":true"#), "{text}");
    assert!(text.contains(data), "the body keeps every digit: {text}");
}

/// A delivery whose destination was deleted has nowhere to go: a retry is
/// refused and says why, rather than queued only to die.
#[tokio::test]
async fn a_retry_after_the_destination_was_deleted_is_refused() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let destination = server.destination(&receiver.url).await;
    let rule = server.rule("test.gone", &destination, None).await;
    let event = publish(&server, "test.gone", json!({})).await;
    let delivery = delivery_id(&server, &event).await;
    eventually("delivered", WAIT, || async {
        let (_, found) = server.get(&format!("/api/v1/deliveries/{delivery}")).await;
        (found["status"] == "delivered").then_some(())
    })
    .await;
    let (status, _) = server
        .delete(&format!("/api/v1/rules/{}", rule["id"].as_str().expect("id")))
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .delete(&format!(
            "/api/v1/destinations/{}",
            destination["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(status, 204);
    let (status, error) = server
        .post(&format!("/api/v1/deliveries/{delivery}/retry"), &json!({}))
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (409, Some("destination_deleted")),
        "{error}"
    );
    let (_, found) = server.get(&format!("/api/v1/deliveries/{delivery}")).await;
    assert_eq!(found["status"], "delivered", "left as it was: {found}");
    assert_eq!(receiver.successes().len(), 1);
}
